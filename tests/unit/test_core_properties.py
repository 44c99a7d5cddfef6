"""Property tests of the pure core: serial ranges, block arithmetic, the replay ledger, the hash chain."""

from __future__ import annotations

import itertools
import string
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from registry.core.checks import Check, CheckFailed, check_codes_markdown
from registry.core.identifiers import BlockIdentity, block_identifier
from registry.core.journal import GENESIS, StoredEntry, canonical_json, chain_hash, verify_chain
from registry.core.ledger import InMemory, Ledger, LedgerConflict, Store
from registry.core.serials import (
    Block,
    SerialRange,
    locate_ranges,
    merge_adjacent,
    parse_range,
    select_for_quantity,
    split,
    validate_requested_ranges,
)
from registry.core.status import FINAL, PENDING, TRANSITIONS, Status, can_move
from registry.journal.scratch import ScratchStore


@st.composite
def ranges(draw, low: int = 1, high: int = 10_000):
    start = draw(st.integers(low, high))
    return SerialRange(start, draw(st.integers(start, min(start + 500, high + 500))))


@st.composite
def range_and_inner(draw):
    outer = draw(ranges())
    start = draw(st.integers(outer.start, outer.end))
    return outer, SerialRange(start, draw(st.integers(start, outer.end)))


def serials(r: SerialRange | None) -> list[int]:
    return [] if r is None else list(range(r.start, r.end + 1))


@given(range_and_inner())
def test_split_partitions_the_block_exactly(case):
    block, taken = case
    before, middle, after = split(block, taken)
    assert middle == taken
    assert serials(before) + serials(middle) + serials(after) == serials(block)


@st.composite
def touching_blocks(draw):
    """Consecutive blocks (some touching, some not) with a few holders and attributes."""
    cursor = draw(st.integers(1, 50))
    blocks = []
    for _ in range(draw(st.integers(0, 25))):
        cursor += draw(st.sampled_from([0, 0, 0, 3]))
        end = cursor + draw(st.integers(0, 20))
        blocks.append(Block("MNG01", SerialRange(cursor, end), draw(st.sampled_from("AB")), draw(st.sampled_from([2022, 2023]))))
        cursor = end + 1
    return blocks


@given(touching_blocks())
def test_merging_keeps_every_serial_with_its_holder_and_attributes(blocks):
    merged = list(merge_adjacent(blocks))

    def owners(bs):
        return {s: (b.holder, b.attributes) for b in bs for s in serials(b.range)}

    assert owners(merged) == owners(blocks)
    assert sum(b.range.quantity for b in merged) == sum(b.range.quantity for b in blocks)
    for first, second in itertools.pairwise(merged):
        assert first.range.end < second.range.start  # sorted, no overlap
        assert not first.mergeable_with(second)  # maximally merged


@given(touching_blocks(), st.integers(1, 400))
def test_select_for_quantity_takes_exactly_the_quantity_in_order(blocks, quantity):
    keyed = [(i, b.range) for i, b in enumerate(blocks)]
    held = sum(r.quantity for _, r in keyed)
    if quantity > held:
        with pytest.raises(ValueError):
            select_for_quantity(keyed, quantity)
        return
    pieces = select_for_quantity(keyed, quantity)
    assert sum(p.taken.quantity for p in pieces) == quantity
    assert [p.block for p in pieces] == list(range(len(pieces)))  # the given order, no block skipped
    for piece in pieces:
        assert piece.block_range.contains(piece.taken) and piece.taken.start == piece.block_range.start
    assert all(p.taken == p.block_range for p in pieces[:-1])  # only the last is partial


@pytest.mark.parametrize("quantity", [0, -3])
def test_select_for_quantity_refuses_no_units_with_1001(quantity):
    with pytest.raises(CheckFailed) as failure:
        select_for_quantity([(0, SerialRange(1, 5))], quantity)
    assert failure.value.code == 1001


@given(touching_blocks(), ranges(1, 400))
def test_located_pieces_and_missing_parts_partition_the_request(blocks, wanted):
    keyed = [(i, b.range) for i, b in enumerate(blocks)]
    pieces, missing = locate_ranges([wanted], keyed)
    found = sorted(s for p in pieces for s in serials(p.taken))
    gaps = sorted(s for r in missing for s in serials(r))
    assert sorted(found + gaps) == serials(wanted)
    assert not set(found) & set(gaps)
    assert all(p.block_range.contains(p.taken) for p in pieces)


def test_requested_ranges_must_ascend_without_overlap():
    validate_requested_ranges([SerialRange(1, 5), SerialRange(6, 9)])
    with pytest.raises(CheckFailed) as overlap:
        validate_requested_ranges([SerialRange(1, 5), SerialRange(5, 9)])
    with pytest.raises(CheckFailed) as order:
        validate_requested_ranges([SerialRange(6, 9), SerialRange(1, 5)])
    assert (overlap.value.code, order.value.code) == (4005, 4006)


@pytest.mark.parametrize(("start", "end"), [(0, 3), (5, 4), (-1, 2)])
def test_malformed_ranges_are_refused_with_1002(start, end):
    with pytest.raises(CheckFailed) as failure:
        SerialRange(start, end)
    assert failure.value.code == 1002


def test_ranges_are_read_from_text():
    assert (parse_range("5-9"), parse_range(" 7 ")) == (SerialRange(5, 9), SerialRange(7, 7))
    with pytest.raises(CheckFailed) as failure:
        parse_range("x")
    assert failure.value.code == 1013


class LedgerAgainstModel(RuleBasedStateMachine):
    """The replay ledger against a dictionary serial -> (holder, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger: Ledger[int] = Ledger(self.store())
        self.model: dict[int, tuple[str, int]] = {}
        self.next = 1

    def store(self) -> Store[int]:
        return InMemory()

    def teardown(self) -> None:
        if isinstance(self.ledger._store, ScratchStore):
            self.ledger._store.close()

    @rule(quantity=st.integers(1, 30), holder=st.sampled_from("ABC"), vintage=st.sampled_from([2022, 2023]))
    def issue(self, quantity, holder, vintage):
        self.ledger.add(Block("MNG01", SerialRange(self.next, self.next + quantity - 1), holder, vintage))
        for s in range(self.next, self.next + quantity):
            self.model[s] = (holder, vintage)
        self.next += quantity

    @rule(start=st.integers(1, 200), length=st.integers(1, 25), giver=st.sampled_from("ABC"), taker=st.sampled_from("ABC"))
    def move(self, start, length, giver, taker):
        wanted = range(start, start + length)
        before = list(self.ledger.blocks())
        if all(self.model.get(s, ("",))[0] == giver for s in wanted):
            self.ledger.move("MNG01", SerialRange(start, start + length - 1), giver, taker)
            for s in wanted:
                self.model[s] = (taker, self.model[s][1])
        else:
            with pytest.raises(LedgerConflict):
                self.ledger.move("MNG01", SerialRange(start, start + length - 1), giver, taker)
            assert list(self.ledger.blocks()) == before, "a refused move changed the ledger"

    @rule(start=st.integers(1, 200), length=st.integers(1, 25), holder=st.sampled_from("ABC"), leave=st.booleans())
    def restate_or_remove(self, start, length, holder, leave):
        """Units leaving the registry, or changing attributes (here: the other vintage), in place."""
        wanted, serial_range = range(start, start + length), SerialRange(start, start + length - 1)
        before = list(self.ledger.blocks())
        if not all(self.model.get(s, ("",))[0] == holder for s in wanted):
            with pytest.raises(LedgerConflict):
                self.ledger.remove("MNG01", serial_range, holder)
            assert list(self.ledger.blocks()) == before, "a refused change changed the ledger"
            return
        if leave:
            pieces = self.ledger.remove("MNG01", serial_range, holder)
            for s in wanted:
                del self.model[s]
        else:
            pieces = self.ledger.restate("MNG01", serial_range, holder, lambda vintage: 4045 - vintage)
            for s in wanted:
                self.model[s] = (holder, 4045 - self.model[s][1])
        assert [s for p in pieces for s in serials(p.range)] == list(wanted)

    @rule(start=st.integers(1, 200), length=st.integers(1, 10))
    def issuing_held_serials_again_conflicts(self, start, length):
        if any(s in self.model for s in range(start, start + length)):
            with pytest.raises(LedgerConflict):
                self.ledger.add(Block("MNG01", SerialRange(start, start + length - 1), "A", 2022))

    @invariant()
    def every_serial_is_in_exactly_one_block_and_blocks_are_maximal(self):
        blocks = list(self.ledger.blocks())
        seen = {s: (b.holder, b.attributes) for b in blocks for s in serials(b.range)}
        assert seen == self.model
        assert sum(b.range.quantity for b in blocks) == len(self.model)
        for first, second in itertools.pairwise(blocks):
            assert first.range.end < second.range.start and not first.mergeable_with(second)


test_ledger_matches_a_serial_by_serial_model = LedgerAgainstModel.TestCase
test_ledger_matches_a_serial_by_serial_model.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


class ScratchLedgerAgainstModel(LedgerAgainstModel):
    """The same rules with the blocks in a scratch database (what verify and the AEF use)."""

    def store(self) -> Store[int]:
        return ScratchStore(int)


test_scratch_ledger_matches_a_serial_by_serial_model = ScratchLedgerAgainstModel.TestCase
test_scratch_ledger_matches_a_serial_by_serial_model.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def chain(bodies: list[dict]) -> list[StoredEntry]:
    entries, previous = [], GENESIS
    for sequence, body in enumerate(bodies, start=1):
        text = canonical_json(body)
        digest = chain_hash(previous, text)
        entries.append(StoredEntry(sequence, previous, text, digest))
        previous = digest
    return entries


bodies = st.lists(
    st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=5), st.integers(0, 99), max_size=4), min_size=1, max_size=8
)


@given(bodies)
def test_an_untouched_chain_verifies(items):
    entries = chain(items)
    assert verify_chain(entries, entries[-1].hash, len(entries)) == []


@given(bodies, st.data())
def test_any_edit_deletion_or_swap_of_the_chain_is_found(items, data):
    entries = chain(items)
    head, length = entries[-1].hash, len(entries)
    i = data.draw(st.integers(0, len(entries) - 1))
    edited = list(entries)
    tamper = data.draw(st.sampled_from(["body", "hash", "delete", "swap", "head"]))
    if tamper == "body":
        edited[i] = replace(edited[i], body=canonical_json({"forged": i}))
    elif tamper == "hash":
        edited[i] = replace(edited[i], hash="f" * 64)
    elif tamper == "delete":
        del edited[i]
    elif tamper == "swap" and len(edited) > 1:
        j = (i + 1) % len(edited)
        edited[i], edited[j] = edited[j], edited[i]
    else:
        head = "0" * 63 + "1"
    assert verify_chain(edited, head, length) != []


def test_canonical_json_ignores_key_order():
    assert canonical_json({"b": 1, "a": "日本"}) == canonical_json({"a": "日本", "b": 1}) == '{"a":"日本","b":1}'


def test_identifiers_of_itmos_and_of_other_units():
    itmo = BlockIdentity("CA0001", "JCM", "MNG01", "MNG", 1, 130, 2023)
    jcredit = BlockIdentity(None, "JC", "JPN01", None, 1, 50, 2022)
    assert block_identifier(itmo) == "CA0001-MNG01-MNG-1-130-2023"
    assert block_identifier(jcredit) == "JC-JPN01-NA-1-50-2022"


def test_final_statuses_have_no_way_out_and_pending_ones_can_finish():
    for status in FINAL:
        assert TRANSITIONS[status] == frozenset()
    for status in PENDING:
        assert can_move(status, Status.COMPLETED) and can_move(status, Status.CANCELLED)


def test_check_codes_are_unique_and_in_their_families():
    codes = [check.code for check in Check]
    assert len(codes) == len(set(codes))
    assert {code // 1000 for code in codes} <= {1, 2, 4, 5, 6, 7}


@pytest.mark.parametrize("check", list(Check), ids=lambda c: str(c.code))
def test_every_message_template_formats_with_its_own_fields(check):
    fields = {name: "x" for _, name, _, _ in string.Formatter().parse(check.template) if name}
    assert "{" not in check.format(**fields)


def test_the_published_table_lists_every_code():
    table = check_codes_markdown()
    assert all(f"| {check.code} |" in table for check in Check)
