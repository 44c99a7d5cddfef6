"""The typed journal: one writer and one parser of bodies, byte for byte, old forms included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.core.entries import (
    AccountOpened,
    Adjustment,
    AuthorizationVersion,
    AuthorizedEntity,
    Cancellation,
    Correction,
    ExternalTransfer,
    FirstTransferred,
    HeldSpan,
    InternalTransfer,
    Issuance,
    JournalBlock,
    MalformedEntry,
    PeerTransferReleased,
    PeerTransferReserved,
    Recorded,
    Retirement,
    Span,
    UnitsAuthorized,
    Unsequenced,
    UsedUnits,
    parse_body,
    write_body,
)
from registry.core.journal import chain_hash

BEFORE = Path(__file__).parent.parent / "data" / "journal-before-typed-entries.jsonl"


def bodies_written_before_the_typed_journal() -> list[str]:
    return BEFORE.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("body", bodies_written_before_the_typed_journal())
def test_a_body_written_before_the_typed_journal_is_written_again_byte_for_byte(body):
    assert write_body(parse_body(body)) == body


def test_every_kind_of_entry_is_in_the_bodies_written_before():
    kinds = {type(parse_body(b).entry) for b in bodies_written_before_the_typed_journal()}
    assert {Issuance, UnitsAuthorized, FirstTransferred, Cancellation, Correction, Retirement, ExternalTransfer, AccountOpened} <= kinds


def test_an_old_cancellation_for_corsia_has_its_kind_and_purpose_in_fields_of_their_own():
    cancellations = [parse_body(b).entry for b in bodies_written_before_the_typed_journal() if '"type":"cancellation"' in b]
    by_kind = {c.cancellation_kind: c for c in cancellations if isinstance(c, Cancellation)}
    assert set(by_kind) == {"voluntary", "oimp", "omge", "mandatory"}
    corsia = by_kind["oimp"]
    assert (corsia.oimp_purpose, corsia.purpose, corsia.using_entity, corsia.legacy) == ("CORSIA", "", 1, True)


def test_an_old_issuance_says_who_proposed_it_as_movements_do():
    issuance = next(
        parse_body(b).entry for b in bodies_written_before_the_typed_journal() if '"type":"issuance"' in b and '"kind":"transaction"' in b
    )
    assert isinstance(issuance, Issuance) and issuance.proposed_by == "system" and issuance.legacy


def test_a_new_cancellation_keeps_kind_and_purpose_apart():
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    entry = Cancellation(7, "ann", "bob", "MNG01-000007", "MNG01-000008", (Span("MNG01", 1, 5),), "oimp", oimp_purpose="CORSIA")
    body = write_body(Recorded("MNG01", 3, at, entry))
    assert '"cancellation_kind":"oimp"' in body and '"oimp_purpose":"CORSIA"' in body and "oimp:" not in body
    assert parse_body(body) == Recorded("MNG01", 3, at, entry)


@pytest.mark.parametrize(
    "body",
    [
        '{"kind":"nonsense","registry":"MNG01","sequence":1,"at":"2026-01-01T00:00:00+00:00"}',
        '{"account":"A","at":"2026-01-01T00:00:00+00:00","entity":null,"kind":"account_opened","purpose":"","registry":"MNG01",'
        '"sequence":1,"status":"open","type":"use","extra":1}',
        '{"account":"A","at":"2026-01-01T00:00:00+00:00","kind":"account_opened","purpose":"","registry":"MNG01","sequence":1,'
        '"status":"open","type":"use"}',
        '{"approved_by":null,"at":"2026-01-01T00:00:00+00:00","from":"A","kind":"transaction","proposed_by":null,"purpose":"oimp",'
        '"ranges":[["MNG01",1,2]],"registry":"MNG01","sequence":2,"to":"B","transaction":1,"type":"cancellation"}',
        '{"approved_by":null,"at":"2026-01-01T00:00:00+00:00","from":"A","kind":"transaction","proposed_by":null,'
        '"ranges":[["MNG01",1]],"registry":"MNG01","sequence":2,"to":"B","transaction":1,"type":"internal_transfer"}',
        '{"approved_by":null,"at":"2026-01-01T00:00:00+00:00","from":"A","kind":"transaction","proposed_by":null,"reason":"",'
        '"ranges":[["MNG01",1,2]],"registry":"MNG01","sequence":2,"to":"B","transaction":1,"type":"internal_transfer"}',
        "[1]",
        "not json",
    ],
)
def test_a_body_no_entry_describes_is_refused(body):
    with pytest.raises(MalformedEntry):
        parse_body(body)


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
maybe_names = st.none() | names
serials = st.integers(1, 2**53)
spans = st.builds(Span, names, serials, serials)
held = st.builds(HeldSpan, names, serials, serials, names)
adjustments = st.builds(
    Adjustment, names, st.sampled_from(["first_transfer", "use"]), names, st.integers(2000, 2100), st.integers(2000, 2100), serials
)
blocks = st.builds(
    JournalBlock,
    names,
    serials,
    serials,
    names,
    names,
    st.integers(2000, 2100),
    maybe_names,
    maybe_names,
    serials,
    maybe_names,
    st.booleans(),
)
texts = st.text(max_size=20)
optional = st.just("") | names
entity_ids = st.none() | serials
entries = st.one_of(
    st.builds(AccountOpened, names, names, names, entity_ids, texts),
    st.builds(Issuance, serials, maybe_names, names, st.lists(blocks, max_size=3).map(tuple), st.booleans()),
    st.builds(
        Retirement, serials, maybe_names, maybe_names, names, names, st.lists(spans, max_size=3).map(tuple), maybe_names, st.booleans(),
        st.none() | st.integers(2000, 2100), optional, optional, entity_ids, st.none() | st.lists(adjustments, max_size=2).map(tuple),
    ),
    st.builds(
        Cancellation, serials, maybe_names, maybe_names, names, names, st.lists(spans, max_size=3).map(tuple),
        st.sampled_from(["mandatory", "voluntary", "omge", "oimp"]), optional, optional, optional, entity_ids,
    ),
    st.builds(Correction, serials, maybe_names, maybe_names, names, names, st.lists(spans, max_size=3).map(tuple), st.none() | serials),
    st.builds(ExternalTransfer, serials, maybe_names, maybe_names, names, names, st.lists(spans, max_size=3).map(tuple), names),
    st.builds(UnitsAuthorized, serials, maybe_names, names, names, st.lists(held, max_size=3).map(tuple), st.booleans()),
    st.builds(
        FirstTransferred, serials, serials, names, names, names, names, maybe_names, st.lists(held, max_size=3).map(tuple),
        st.none() | st.lists(adjustments, max_size=2).map(tuple),
    ),
    st.builds(
        FirstTransferred, serials, serials, names, names, names, names, st.none(), st.lists(held, max_size=3).map(tuple),
        st.lists(adjustments, max_size=2).map(tuple), names,
        st.lists(st.builds(UsedUnits, names, serials, serials, names, names, st.integers(2000, 2100), maybe_names), max_size=3).map(tuple),
    ),
    st.builds(PeerTransferReserved, serials, names, names, names, names, st.lists(spans, min_size=1, max_size=3).map(tuple)),
    st.builds(
        PeerTransferReleased, serials, names, st.sampled_from(["refused", "void"]), st.lists(st.integers(1000, 7999), max_size=2).map(tuple),
        st.lists(spans, min_size=1, max_size=3).map(tuple),
    ),
    st.builds(
        AuthorizationVersion, names, st.integers(1, 99), st.dates(), names, names, texts, names, st.none() | serials, names,
        st.lists(names, max_size=3).map(tuple), st.lists(st.builds(AuthorizedEntity, serials, names, names, texts), max_size=2).map(tuple),
        texts, texts, texts, texts, maybe_names,
    ),
)  # fmt: skip


@given(entries, st.datetimes(timezones=st.just(dt.UTC)), st.integers(1, 2**40))
def test_parsing_a_written_entry_gives_the_entry_and_writing_it_again_the_same_text(entry, at, sequence):
    recorded = Recorded("MNG01", sequence, at, entry)
    text = write_body(recorded)
    assert parse_body(text) == recorded
    assert write_body(parse_body(text)) == text


# The body made before the registry's lock, its sequence put in under it ------------------------


@given(entries, st.datetimes(timezones=st.just(dt.UTC)), st.none() | st.datetimes(timezones=st.just(dt.UTC)), st.integers(1, 2**53))
def test_a_body_made_before_its_sequence_is_known_is_the_body_written_with_it(entry, at, effective, sequence):
    recorded = Recorded("MNG01", sequence, at, entry, effective)
    assert Unsequenced.of("MNG01", at, entry, effective).text(sequence) == write_body(recorded)


@pytest.mark.parametrize("body", bodies_written_before_the_typed_journal())
def test_a_body_written_before_is_made_again_byte_for_byte_with_its_sequence_put_in_last(body):
    recorded = parse_body(body)
    unsequenced = Unsequenced.of(recorded.registry, recorded.at, recorded.entry, recorded.effective)
    assert unsequenced.text(recorded.sequence) == body


#: Two entries as the journal wrote them before their bodies were made ahead of the registry's lock
#: (2026-12-03), with their hashes chained from ``"ab" * 32``: the texts and hashes a ledger of then
#: holds, which ``verify`` recomputes.
KNOWN = [
    (
        '{"approved_by":null,"at":"2026-12-03T19:05:01.234567+00:00","from":"MNG01-000004","kind":"transaction",'
        '"proposed_by":"admin-mn","ranges":[["MNG01",1001,1007],["MNG01",2001,2001]],"reason":"誤送金の訂正","registry":"MNG01",'
        '"sequence":12,"to":"MNG01-000005","transaction":41,"type":"internal_transfer"}',
        "ff1c82b6dd39952946737226a7cd431347fe36f1cdd014776d8ff2022a219215",
    ),
    (
        '{"approved_by":"b","at":"2026-12-03T19:05:01.234567+00:00","effective":"2020-01-02T00:00:00+00:00","from":"MNG01-000004",'
        '"kind":"transaction","ndc_year":2030,"proposed_by":"a","ranges":[["MNG01",5,9]],"registry":"MNG01","sequence":13,'
        '"to":"MNG01-000002","towards_ndc":true,"transaction":42,"type":"retirement","using_party":"MN"}',
        "a39f7d500d37a08876154afa6e10526232a8f02c8775a94768ba1e83fbbdf753",
    ),
]


def test_entries_written_before_keep_their_bodies_and_hashes():
    at = dt.datetime(2026, 12, 3, 19, 5, 1, 234567, tzinfo=dt.UTC)
    made = [
        Unsequenced.of(
            "MNG01",
            at,
            InternalTransfer(
                41, "admin-mn", None, "MNG01-000004", "MNG01-000005", (Span("MNG01", 1001, 1007), Span("MNG01", 2001, 2001)),
                reason="誤送金の訂正",
            ),
        ).text(12),
        Unsequenced.of(
            "MNG01",
            at,
            Retirement(42, "a", "b", "MNG01-000004", "MNG01-000002", (Span("MNG01", 5, 9),), "MN", True, 2030),
            dt.datetime(2020, 1, 2, tzinfo=dt.UTC),
        ).text(13),
    ]  # fmt: skip
    previous = "ab" * 32
    for text, (body, hashed) in zip(made, KNOWN, strict=True):
        assert text == body
        assert chain_hash(previous, text) == hashed
        previous = hashed
