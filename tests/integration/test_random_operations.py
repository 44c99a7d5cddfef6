"""Random sequences of ledger operations, checked serial by serial against a simple model.

The model is a dictionary from serial to (holder, vintage) plus the set of reserved serials; the
services must agree with it after every step (which serials moved, which were refused and why),
and ``verify`` must pass at the end of every sequence.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from registry.accounts.models import AccountType
from registry.accounts.services import system_account
from registry.core.checks import CheckFailed
from registry.core.entries import parse_body, write_body
from registry.core.serials import SerialRange
from registry.journal.models import JournalEntry
from registry.transactions.models import Transaction
from registry.transactions.services import (
    approve_transaction,
    cancel_transaction,
    cancel_units,
    retire_units,
    transfer_units,
)
from registry.units.models import UnitBlock
from registry.verification import verify
from tests.factories import make_user, make_world, trust

HOLDERS = 3  # seller, buyer, government


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.world = make_world()
        self.approver = make_user(administers=self.world.mongolia)
        self.holders = [self.world.seller, self.world.buyer, self.world.government_mn]
        trust(self.world, *[(a, b) for a in self.holders for b in self.holders if a != b])
        voluntary = system_account(self.world.mongolia, AccountType.VOLUNTARY_CANCELLATION)
        assert voluntary is not None
        self.finals = {"retire": self.world.retirement_mn.number, "cancel": voluntary.number}
        self.serials: dict[int, tuple[str, int]] = {}
        self.reserved: dict[int, set[int]] = {}  # pending transaction -> its serials
        self.next_serial = 1

    def teardown(self) -> None:
        try:
            report = verify()
            assert report.ok, report.problems
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # what the model expects -------------------------------------------------------------------

    def available(self, number: str) -> list[int]:
        taken = set().union(*self.reserved.values()) if self.reserved else set()
        return sorted(
            (s for s, (holder, _) in self.serials.items() if holder == number and s not in taken), key=lambda s: (self.serials[s][1], s)
        )

    def give(self, serials: list[int], number: str) -> None:
        for s in serials:
            self.serials[s] = (number, self.serials[s][1])

    # rules ------------------------------------------------------------------------------------

    @rule(holder=st.integers(0, HOLDERS - 1), quantity=st.integers(1, 40), vintage=st.sampled_from([2022, 2023]))
    def issue(self, holder: int, quantity: int, vintage: int) -> None:
        self.world.issue(quantity, account=self.holders[holder], vintage=vintage)
        for s in range(self.next_serial, self.next_serial + quantity):
            self.serials[s] = (self.holders[holder].number, vintage)
        self.next_serial += quantity

    @rule(sender=st.integers(0, HOLDERS - 1), receiver=st.integers(0, HOLDERS - 1), quantity=st.integers(1, 60))
    def transfer_by_quantity(self, sender: int, receiver: int, quantity: int) -> None:
        source, target = self.holders[sender], self.holders[receiver]
        expected = self.available(source.number)
        try:
            transfer_units(actor=self.world.admin_mn, from_account=source, to_account=target, quantity=quantity)
        except CheckFailed as failure:
            assert failure.code == (5101 if sender == receiver else 4004)
            assert sender == receiver or len(expected) < quantity
            return
        assert sender != receiver and len(expected) >= quantity
        self.give(expected[:quantity], target.number)

    @rule(sender=st.integers(0, HOLDERS - 1), receiver=st.integers(0, HOLDERS - 1), first=st.integers(1, 200), length=st.integers(1, 30))
    def transfer_by_range(self, sender: int, receiver: int, first: int, length: int) -> None:
        source, target = self.holders[sender], self.holders[receiver]
        wanted = list(range(first, first + length))
        held = set(s for s, (holder, _) in self.serials.items() if holder == source.number)
        free = set(self.available(source.number))
        try:
            transfer_units(
                actor=self.world.admin_mn,
                from_account=source,
                to_account=target,
                ranges=[("MNG01", SerialRange(first, first + length - 1))],
            )
        except CheckFailed as failure:
            if sender == receiver:
                assert failure.code == 5101
            elif not set(wanted) <= held:
                assert failure.code == 4001
            else:
                assert failure.code == 4002 and not set(wanted) <= free
            return
        assert sender != receiver and set(wanted) <= free
        self.give(wanted, target.number)

    @rule(final=st.sampled_from(["retire", "cancel"]), holder=st.integers(0, HOLDERS - 1), quantity=st.integers(1, 30))
    def retire_or_cancel(self, final: str, holder: int, quantity: int) -> None:
        source = self.holders[holder]
        expected = self.available(source.number)
        try:
            if final == "retire":
                retire_units(actor=self.world.admin_mn, account=source, quantity=quantity)
            else:
                cancel_units(actor=self.world.admin_mn, account=source, kind="voluntary", quantity=quantity)
        except CheckFailed as failure:
            assert failure.code == 4004 and len(expected) < quantity
            return
        self.give(expected[:quantity], self.finals[final])

    @rule(sender=st.integers(0, HOLDERS - 1), receiver=st.integers(0, HOLDERS - 1), quantity=st.integers(1, 30))
    def propose(self, sender: int, receiver: int, quantity: int) -> None:
        source, target = self.holders[sender], self.holders[receiver]
        expected = self.available(source.number)
        if sender == receiver or len(expected) < quantity:
            return
        tx = transfer_units(actor=self.world.admin_mn, from_account=source, to_account=target, quantity=quantity, require_approval=True)
        self.reserved[tx.pk] = set(expected[:quantity])

    @precondition(lambda self: bool(self.reserved))
    @rule(approve=st.booleans(), pick=st.integers(0, 10**6))
    def decide(self, approve: bool, pick: int) -> None:
        pk = sorted(self.reserved)[pick % len(self.reserved)]
        tx = Transaction.objects.get(pk=pk)
        serials = self.reserved.pop(pk)
        if approve:
            approve_transaction(actor=self.approver, transaction=tx)
            assert tx.to_account is not None
            self.give(sorted(serials), tx.to_account.number)
        else:
            cancel_transaction(actor=self.world.admin_mn, transaction=tx)

    # after every step ---------------------------------------------------------------------------

    @invariant()
    def every_serial_is_where_the_model_says(self) -> None:
        actual: dict[int, str] = {}
        reserved: dict[int, set[int]] = {}
        for start, end, number, tx in UnitBlock.objects.values_list("start", "end", "account__number", "reserved_by"):
            for s in range(start, end + 1):
                assert s not in actual, f"serial {s} is in two blocks"
                actual[s] = number
                if tx is not None:
                    reserved.setdefault(tx, set()).add(s)
        assert actual == {s: holder for s, (holder, _) in self.serials.items()}
        assert reserved == self.reserved

    @invariant()
    def no_two_touching_blocks_could_be_one(self) -> None:
        """Blocks stay maximally merged: unreserved neighbours of one holder differ in some attribute."""
        for a, b in pairwise(UnitBlock.objects.order_by("originating_registry", "start")):
            same_place = a.originating_registry == b.originating_registry and a.end + 1 == b.start and a.account_id == b.account_id
            if same_place and a.reserved_by_id is None and b.reserved_by_id is None:
                assert a.attributes() != b.attributes(), f"blocks {a.start}-{a.end} and {b.start}-{b.end} were left unmerged"

    @invariant()
    def every_body_is_what_the_typed_journal_writes(self) -> None:
        """Parsing each stored body into its typed entry and writing it again gives the same bytes."""
        for body in JournalEntry.objects.values_list("body", flat=True):
            assert write_body(parse_body(body)) == body


@pytest.mark.django_db
def test_random_operation_sequences_keep_every_invariant():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=25, stateful_step_count=15, deadline=None, suppress_health_check=list(HealthCheck)),
    )
