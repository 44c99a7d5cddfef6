"""Every import problem (check codes 76xx) refused with its file, line and code, nothing written:
each test breaks the 2023-2025 history of test_import_two_registries one way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from registry.installation.seed import seed_reference_data
from registry.interchange.checking import ImportRefused, check_files
from registry.interchange.importing import import_history
from registry.journal.models import JournalEntry
from tests.integration.test_import_two_registries import JAPAN, MONGOLIA, _block, _move


def _lines(records: list[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def _refused(tmp_path: Path, mongolia: list[Any], japan: list[Any] | None = JAPAN) -> list[tuple[str, int, int]]:
    paths = [tmp_path / "MNG01.jsonl"]
    paths[0].write_text(_lines(mongolia), encoding="utf-8")
    if japan is not None:
        paths.append(tmp_path / "JPN01.jsonl")
        paths[1].write_text(_lines(japan), encoding="utf-8")
    before = JournalEntry.objects.count()
    with pytest.raises(ImportRefused) as refused:
        check_files(paths)
    assert JournalEntry.objects.count() == before
    return [(p.path.stem, p.problem.line, p.problem.code) for p in refused.value.problems]


def _at(records: list[Any], **wanted: Any) -> int:
    return next(i for i, r in enumerate(records) if isinstance(r, dict) and all(r.get(k) == v for k, v in wanted.items()))


def _with(records: list[Any], index: int, *inserted: Any) -> list[Any]:
    return [*records[:index], *inserted, *records[index:]]


LAST = "2025-06-01T00:00:00Z"


def test_a_line_that_is_not_json_is_refused_with_7601(db, tmp_path):
    assert ("MNG01", len(MONGOLIA) + 1, 7601) in _refused(tmp_path, [*MONGOLIA, "{not json"])


def test_an_empty_line_is_refused_with_7602(db, tmp_path):
    assert ("MNG01", 3, 7602) in _refused(tmp_path, _with(MONGOLIA, 2, ""))


def test_an_unknown_record_is_refused_with_7603(db, tmp_path):
    assert ("MNG01", 3, 7603) in _refused(tmp_path, _with(MONGOLIA, 2, {"record": "mystery"}))


def test_a_key_the_schema_does_not_know_is_refused_with_7604(db, tmp_path):
    at = _at(MONGOLIA, type="issuance")
    records = list(MONGOLIA)
    records[at] = records[at] | {"surprise": 1}
    assert ("MNG01", at + 1, 7604) in _refused(tmp_path, records)


def test_a_file_without_its_header_is_refused_with_7605(db, tmp_path):
    assert ("MNG01", 1, 7605) in _refused(tmp_path, MONGOLIA[1:])


def test_a_second_header_is_refused_with_7606(db, tmp_path):
    assert ("MNG01", 2, 7606) in _refused(tmp_path, _with(MONGOLIA, 1, MONGOLIA[0]))


def test_reference_data_after_a_dated_record_is_refused_with_7607(db, tmp_path):
    late = {"record": "party", "alpha2": "TH", "alpha3": "THA", "name": "Thailand"}
    assert ("MNG01", len(MONGOLIA) + 1, 7607) in _refused(tmp_path, [*MONGOLIA, late])


def test_a_project_of_an_unknown_approach_is_refused_with_7608(db, tmp_path):
    at = _at(MONGOLIA, record="project")
    records = list(MONGOLIA)
    records[at] = records[at] | {"approach": "CA0999"}
    assert ("MNG01", at + 1, 7608) in _refused(tmp_path, records)


def test_a_date_out_of_order_is_refused_with_7609(db, tmp_path):
    at = _at(MONGOLIA, type="issuance")
    records = list(MONGOLIA)
    records[at] = records[at] | {"effective": "2022-12-31T00:00:00Z"}
    assert ("MNG01", at + 1, 7609) in _refused(tmp_path, records)


def test_a_record_the_journal_cannot_hold_is_refused_with_7610(db, tmp_path):
    at = _at(MONGOLIA, record="authorization_version", authorization="MN-NDC-01", version=1)
    records = list(MONGOLIA)
    records[at] = records[at] | {"date": "2023-02-30"}  # the schema's pattern, but no such day
    assert ("MNG01", at + 1, 7610) in _refused(tmp_path, records)


def test_an_account_opened_twice_is_refused_with_7611(db, tmp_path):
    at = _at(MONGOLIA, record="account_opened", account="MNG01-000002")
    assert ("MNG01", at + 2, 7611) in _refused(tmp_path, _with(MONGOLIA, at + 1, MONGOLIA[at]))


def test_an_unknown_account_is_refused_with_7612(db, tmp_path):
    at = _at(MONGOLIA, type="external_transfer")
    records = list(MONGOLIA)
    records[at] = records[at] | {"from": "MNG01-000099"}
    assert ("MNG01", at + 1, 7612) in _refused(tmp_path, records)


def test_units_leaving_a_final_account_are_refused_with_7613(db, tmp_path):
    back = _move(LAST, 20, "internal_transfer", "MNG01-000003", "MNG01-000002", 401, 450)
    assert ("MNG01", len(MONGOLIA) + 1, 7613) in _refused(tmp_path, [*MONGOLIA, back])


def test_units_moving_into_a_blocked_account_are_refused_with_7614(db, tmp_path):
    blocked = {
        "record": "account_status_changed",
        "effective": LAST,
        "account": "MNG01-000001",
        "type": "party_holding",
        "status": "blocked",
        "entity": None,
        "purpose": "",
    }
    move = _move(LAST, 20, "internal_transfer", "MNG01-000002", "MNG01-000001", 951, 960)
    assert ("MNG01", len(MONGOLIA) + 2, 7614) in _refused(tmp_path, [*MONGOLIA, blocked, move])


def test_a_version_that_skips_one_is_refused_with_7615(db, tmp_path):
    version = MONGOLIA[_at(MONGOLIA, record="authorization_version", authorization="MN-OIMP-01")] | {"effective": LAST, "version": 3}
    assert ("MNG01", len(MONGOLIA) + 1, 7615) in _refused(tmp_path, [*MONGOLIA, version])


def test_an_issuance_of_another_registrys_serials_is_refused_with_7616(db, tmp_path):
    foreign = MONGOLIA[_at(MONGOLIA, type="issuance")] | {"effective": LAST, "transaction": 20}
    foreign["blocks"] = [_block(2001, 2100, None, False) | {"originating_registry": "JPN01"}]
    assert ("MNG01", len(MONGOLIA) + 1, 7616) in _refused(tmp_path, [*MONGOLIA, foreign])


def test_units_authorised_under_an_unrecorded_authorisation_are_refused_with_7617(db, tmp_path):
    authorised = MONGOLIA[_at(MONGOLIA, type="authorization", authorization="MN-OIMP-01")]
    unknown = authorised | {
        "effective": LAST,
        "transaction": 20,
        "authorization": "MN-NONE",
        "ranges": [["MNG01", 951, 960, "MNG01-000002"]],
    }
    assert ("MNG01", len(MONGOLIA) + 1, 7617) in _refused(tmp_path, [*MONGOLIA, unknown])


def test_an_action_before_its_authorisation_is_refused_with_7618(db, tmp_path):
    records = list(MONGOLIA)
    version = _at(records, record="authorization_version", authorization="MN-OIMP-01")
    records[version] = records[version] | {"effective": "2025-01-10T00:00:00Z"}  # recorded early, dated 15 January
    at = _at(records, type="authorization", authorization="MN-OIMP-01")
    records[at] = records[at] | {"effective": "2025-01-14T00:00:00Z"}
    assert ("MNG01", at + 1, 7618) in _refused(tmp_path, records)


def test_an_overlapping_issuance_is_refused_with_7619(db, tmp_path):
    at = _at(MONGOLIA, type="issuance")
    again = MONGOLIA[at] | {"transaction": 20, "blocks": [_block(901, 1100, None, False)]}
    assert ("MNG01", at + 2, 7619) in _refused(tmp_path, _with(MONGOLIA, at + 1, again))


def test_an_empty_file_is_refused_with_7620(db, tmp_path):
    assert ("MNG01", 0, 7620) in _refused(tmp_path, [], japan=None)


def test_a_record_dated_after_the_import_is_refused_with_7621(db, tmp_path):
    future = _move("2099-01-01T00:00:00Z", 20, "internal_transfer", "MNG01-000002", "MNG01-000001", 951, 960)
    assert ("MNG01", len(MONGOLIA) + 1, 7621) in _refused(tmp_path, [*MONGOLIA, future])


def test_a_registry_with_live_actions_is_refused_with_7630(db, tmp_path):
    seed_reference_data()  # opens the system accounts of MNG01 and JPN01: live actions
    found = _refused(tmp_path, MONGOLIA)
    assert ("MNG01", 1, 7630) in found and ("JPN01", 1, 7630) in found


def test_history_before_what_is_already_imported_is_refused_with_7631(db, tmp_path):
    operator = User.objects.create_superuser("importer", password=None)
    first = tmp_path / "first"
    first.mkdir()
    (first / "MNG01.jsonl").write_text(_lines(MONGOLIA), encoding="utf-8")
    (first / "JPN01.jsonl").write_text(_lines(JAPAN), encoding="utf-8")
    import_history(operator, [first / "MNG01.jsonl", first / "JPN01.jsonl"])
    paths = [first / "MNG01.jsonl", first / "JPN01.jsonl"]
    with pytest.raises(ImportRefused) as refused:
        check_files(paths)
    assert {(p.path.stem, p.problem.line, p.problem.code) for p in refused.value.problems} >= {("MNG01", 1, 7631), ("JPN01", 1, 7631)}


def test_an_external_transfer_without_the_receivers_file_is_refused_with_7632(db, tmp_path):
    at = _at(MONGOLIA, type="external_transfer")
    assert ("MNG01", at + 1, 7632) in _refused(tmp_path, MONGOLIA, japan=None)


def test_the_same_registry_twice_is_refused_with_7633(db, tmp_path):
    path = tmp_path / "MNG01.jsonl"
    path.write_text(_lines(MONGOLIA), encoding="utf-8")
    japan = tmp_path / "JPN01.jsonl"
    japan.write_text(_lines(JAPAN), encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        check_files([path, japan, path])
    assert ("MNG01", 1, 7633) in [(p.path.stem, p.problem.line, p.problem.code) for p in refused.value.problems]


def test_a_first_transfer_the_services_do_not_record_is_refused_with_7634(db, tmp_path):
    operator = User.objects.create_superuser("importer", password=None)
    at = _at(MONGOLIA, type="first_transfer", trigger=8)
    mongolia = [*MONGOLIA[:at], *MONGOLIA[at + 1 :]]
    (tmp_path / "MNG01.jsonl").write_text(_lines(mongolia), encoding="utf-8")
    (tmp_path / "JPN01.jsonl").write_text(_lines(JAPAN), encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_history(operator, [tmp_path / "MNG01.jsonl", tmp_path / "JPN01.jsonl"])
    ((stem, line, code),) = [(p.path.stem, p.problem.line, p.problem.code) for p in refused.value.problems]
    cancellation = _at(mongolia, type="cancellation", transaction=8)
    assert (stem, line, code) == ("MNG01", cancellation + 1, 7634)
    assert not JournalEntry.objects.exists()
