"""The pure part of reconciliation: span arithmetic, the statement's wire form and digest, and the
comparison of two statements, each discrepancy named with its code (docs/interoperability.md section 6)."""

from __future__ import annotations

import copy
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.core import reconciliation as core
from registry.core.checks import CheckFailed

spans = st.lists(
    st.tuples(st.sampled_from(["JPN01", "THA01"]), st.integers(1, 60), st.integers(0, 15)).map(lambda t: (t[0], t[1], t[1] + t[2])),
    max_size=8,
)


def serials(items) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {(registry, n) for registry, start, end in items for n in range(start, end + 1)}


@given(spans, spans)
def test_span_arithmetic_is_set_arithmetic_of_serials(first, second):
    assert serials(core.normalise(first)) == serials(first)
    assert serials(core.intersect(first, second)) == serials(first) & serials(second)
    assert serials(core.subtract(first, second)) == serials(first) - serials(second)
    merged = core.normalise(first)
    assert all(a[0] != b[0] or a[2] + 1 < b[1] for a, b in pairwise(merged))


def statement(registry: str, peer: str, **parts) -> dict:  # type: ignore[no-untyped-def]
    fields = {"sent": [], "received": [], "pending": [], "holdings": []} | parts
    return core.statement_body(registry=registry, peer=peer, journal_length=7, journal_head="ab" * 32, **fields)


def parsed(body: dict) -> core.Statement:
    return core.parse_statement(body, registry=body["registry"], peer=body["peer"])


def transfer(number: int, *spans: core.Span, to: str = "THA01-000002") -> core.Exchange:
    return core.Exchange(number, "JPN01-000001", to, spans)


def held(span: core.Span, account: str, reserved_by: int = 0) -> core.Held:
    return core.Held(span, account, reserved_by)


def compare(ours: dict, theirs: dict, after: dict | None = None) -> core.Comparison:
    return core.compare(parsed(ours), parsed(theirs), parsed(after or ours))


def codes(comparison: core.Comparison) -> list[int]:
    return [d.code for d in comparison.discrepancies]


SENT = transfer(5, ("JPN01", 1, 10), ("JPN01", 21, 30))


def test_two_agreeing_statements_find_nothing():
    ours = statement("JPN01", "THA01", sent=[SENT], holdings=[])
    theirs = statement(
        "THA01", "JPN01", received=[SENT], holdings=[held(("JPN01", 1, 10), "THA01-000002"), held(("JPN01", 21, 30), "THA01-000002")]
    )
    assert compare(ours, theirs) == core.Comparison((), ())


def test_a_transfer_sent_but_not_received_is_1540():
    found = compare(statement("JPN01", "THA01", sent=[SENT]), statement("THA01", "JPN01"))
    assert codes(found) == [1540]
    assert (
        found.discrepancies[0].message
        == "Transaction 5 of JPN01 sent serials JPN01:1-10, JPN01:21-30 to THA01, which records no acquisition of it."
    )


def test_an_acquisition_the_sender_never_sent_is_1541_unless_it_is_pending_there():
    theirs = statement("THA01", "JPN01", received=[SENT])
    assert codes(compare(statement("JPN01", "THA01"), theirs)) == [1541]
    pending = statement("JPN01", "THA01", pending=[SENT], holdings=[held(("JPN01", 1, 10), "JPN01-000001", 5)])
    found = compare(pending, theirs)
    assert found.agreed and found.in_flight == (core.InFlight("JPN01", 5, (("JPN01", 1, 10), ("JPN01", 21, 30)), accepted=True),)
    # completed between our two readings: in flight as well, not a discrepancy
    assert compare(statement("JPN01", "THA01"), theirs, statement("JPN01", "THA01", sent=[SENT])).agreed


def test_other_serials_received_than_sent_is_1542():
    theirs = statement("THA01", "JPN01", received=[transfer(5, ("JPN01", 1, 10), ("JPN01", 21, 29))])
    found = compare(statement("JPN01", "THA01", sent=[SENT]), theirs)
    assert codes(found) == [1542]
    assert "JPN01 records serials JPN01:1-10, JPN01:21-30, THA01 records serials JPN01:1-10, JPN01:21-29" in found.discrepancies[0].message


def test_their_transfers_to_us_are_compared_with_what_we_received_after_asking():
    theirs_sent = transfer(9, ("THA01", 100, 140), to="JPN01-000001")
    theirs = statement("THA01", "JPN01", sent=[theirs_sent])
    assert codes(compare(statement("JPN01", "THA01"), theirs)) == [1540]
    assert compare(statement("JPN01", "THA01"), theirs, statement("JPN01", "THA01", received=[theirs_sent])).agreed
    # and an acquisition of ours they never sent
    assert codes(compare(statement("JPN01", "THA01", received=[theirs_sent]), statement("THA01", "JPN01"))) == [1541]
    # their pending transfer, not yet proposed: in flight
    found = compare(statement("JPN01", "THA01"), statement("THA01", "JPN01", pending=[theirs_sent]))
    assert found.agreed and [f.accepted for f in found.in_flight] == [False]


def test_serials_held_on_both_sides_are_1543_except_for_a_transfer_in_flight():
    ours = statement("JPN01", "THA01", sent=[SENT], holdings=[held(("JPN01", 5, 25), "JPN01-000001")])
    theirs = statement(
        "THA01", "JPN01", received=[SENT], holdings=[held(("JPN01", 1, 10), "THA01-000002"), held(("JPN01", 21, 30), "THA01-000002")]
    )
    found = compare(ours, theirs)
    assert codes(found) == [1543]
    assert found.discrepancies[0].params["ranges"] == "JPN01:5-10, JPN01:21-25"
    # held by us before asking but no longer after: moved meanwhile, not on both sides
    assert compare(ours, theirs, statement("JPN01", "THA01", sent=[SENT])).agreed
    # reserved here for the pending transfer the peer already accepted: in flight
    flying = statement("JPN01", "THA01", pending=[SENT], holdings=[held(("JPN01", 1, 10), "JPN01-000001", 5)])
    assert compare(flying, theirs).agreed


def test_a_statement_whose_digest_does_not_match_is_1532_and_a_malformed_one_1531():
    body = statement("THA01", "JPN01", received=[SENT])
    tampered = copy.deepcopy(body)
    tampered["received"][0]["ranges"][0][2] = 11
    with pytest.raises(CheckFailed) as failure:
        parsed(tampered)
    assert failure.value.code == 1532
    for broken, why in (
        ({k: v for k, v in body.items() if k != "holdings"}, "exactly the fields"),
        (body | {"peer": "MNG01"}, "not of THA01 about JPN01"),
        (body | {"journal": {"length": "7", "head": "x"}}, '"journal"'),
    ):
        with pytest.raises(CheckFailed) as failure:
            core.parse_statement(broken, registry="THA01", peer="JPN01")
        assert failure.value.code == 1531 and why in failure.value.message
    for field, value in (
        ("received", [{"transaction": 5, "from": "a", "to": "b", "ranges": [["JPN01", 10, 1]]}]),
        ("received", [{"transaction": True, "from": "a", "to": "b", "ranges": []}]),
        ("holdings", [{"range": ["jpn", 1, 2], "account": "x", "reserved_by": 0}]),
        ("holdings", "all of them"),
        ("sent", [{"transaction": 1, "from": "a", "to": "b", "ranges": []}] * 2),
    ):
        broken = body | {field: value}
        broken["digest"] = core.digest(broken)
        with pytest.raises(CheckFailed) as failure:
            core.parse_statement(broken, registry="THA01", peer="JPN01")
        assert failure.value.code == 1531, (field, value)
