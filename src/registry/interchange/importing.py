"""Importing registries' histories (docs/interchange.md): checked first, then written in one database
transaction through the registry's own services, each entry journaled with when it took effect.

Every file is checked in full first (``checking.check_files``); nothing is written unless no file has
a problem. The write then reads the files again, each once: reference data first, then the dated
records of every file merged in the order they took effect (so an external transfer finds the
acquiring account its registry's file opened earlier). Each record that causes something calls the
service a live action would (``issue_units``, ``transfer_units``, ``retire_units``...), inside
``taking_effect(record's date)``: every rule of the live registry applies again, and the journal
entries it writes carry the effective date beside the date of import. What a service records by
itself (first transfers, the acquisition of an external transfer) is not written again: the file's
record of it must match what the service recorded (7634). Any refusal rolls everything back and
names its line and code.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction as db
from django.db.models import Max, Q

from registry.accounts.models import Account, AccountStatus, AccountType
from registry.accounts.services import change_account_status, open_account
from registry.article6.models import Authorization, FirstTransfer
from registry.article6.services import (
    AMENDABLE,
    EntityConditions,
    authorization_version,
    authorize_entity,
    create_authorization,
    record_authorization_version,
)
from registry.core import entries as e
from registry.core.checks import Check, CheckFailed
from registry.core.serials import SerialRange
from registry.interchange.checking import FileProblem, ImportRefused, Progress, check_files
from registry.interchange.direct import DirectTransfers
from registry.interchange.records import effective_of, typed_entry
from registry.interchange.schemas import REFERENCE_SCHEMAS
from registry.interchange.validation import Problem
from registry.journal.models import JournalEntry
from registry.journal.services import taking_effect
from registry.parties.models import CooperativeApproach, CreditingProgramme, Entity, Party, Project, Registry, UnitType
from registry.parties.services import (
    Actor,
    create_cooperative_approach,
    create_party,
    create_programme,
    create_registry,
    define_use_purpose,
    register_entity,
    register_project,
)
from registry.transactions.authorization_services import authorize_units
from registry.transactions.models import Transaction
from registry.transactions.services import (
    cancel_units,
    correct_transaction,
    issue_units,
    retire_units,
    transfer_externally,
    transfer_units,
)
from registry.units.models import UnitBlock

#: Accounts kept at hand between records (most movements name a few busy accounts again and again).
ACCOUNTS_REMEMBERED = 4096
#: The records whose services may record something by themselves (a first transfer, an acquisition).
WITH_CONSEQUENCES = (e.Issuance, e.UnitsAuthorized, e.ExternalTransfer, e.Cancellation)


@dataclass
class Imported:
    """What an import wrote: per registry, the records read and the journal entries written."""

    registries: list[str] = field(default_factory=list)
    records: int = 0
    entries: int = 0


# Writing -----------------------------------------------------------------------------------------


@dataclass(order=True)
class _Dated:
    effective: dt.datetime
    file: int
    line: int
    record: dict[str, Any] = field(compare=False)
    size: int = field(compare=False, default=0)


def import_history(actor: Actor, paths: Sequence[Path], progress: Progress | None = None) -> Imported:
    """Check ``paths`` in full, then write them in one database transaction (``ImportRefused``
    with the problems, and nothing written, otherwise)."""
    reports = check_files(paths, progress)
    with db.atomic():
        writer = _Writer(actor, [r.registry for r in reports if r.registry is not None])
        try:
            for path in paths:
                writer.reference(path)
            writer.dated(paths, progress)
            writer.finish()
        finally:
            writer.close()
    return writer.imported


def _dated_records(index: int, path: Path) -> Iterator[_Dated]:
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            record = json.loads(line)
            if record["record"] not in REFERENCE_SCHEMAS:
                yield _Dated(effective_of(record), index, number, record, len(line))


class _Writer:
    def __init__(self, actor: Actor, registries: list[str]) -> None:
        self.actor = actor
        self.imported = Imported(registries=registries)
        self.paths: list[Path] = []
        self.entities: dict[tuple[str, int], Entity] = {}
        self.registries: dict[str, Registry] = {}
        # File transaction numbers of internal transfers -> this installation's, for corrections:
        # on disk, so memory does not grow with the file.
        self.numbers = sqlite3.connect("", isolation_level=None)
        self.numbers.execute("CREATE TABLE number (registry TEXT, file INTEGER, here INTEGER, PRIMARY KEY (registry, file))")
        self.numbers.execute("BEGIN")
        self.expected: Counter[tuple[Any, ...]] = Counter()
        self.produced: Counter[tuple[Any, ...]] = Counter()
        self.where: dict[tuple[Any, ...], tuple[int, int]] = {}
        self.group: dt.datetime | None = None
        self.last_entry = 0
        self.entries_before = JournalEntry.objects.count()
        self.accounts: dict[str, Account] = {}
        self.direct = DirectTransfers(actor.pk if isinstance(actor, User) else None)

    def close(self) -> None:
        self.numbers.close()

    # Reference data ------------------------------------------------------------------------------

    def reference(self, path: Path) -> None:
        self.paths.append(path)
        registry_id = ""
        with path.open(encoding="utf-8") as text:
            for line in text:
                record = json.loads(line)
                kind = record["record"]
                if kind not in REFERENCE_SCHEMAS:
                    return
                if kind == "header":
                    registry_id = record["registry"]
                else:
                    self._reference(registry_id, record)

    def _reference(self, registry_id: str, r: dict[str, Any]) -> None:
        match r["record"]:
            case "party":
                if not Party.objects.filter(alpha3=r["alpha3"]).exists():
                    create_party(r["alpha2"], r["alpha3"], r["name"], r.get("name_ja", ""))
            case "registry":
                if not Registry.objects.filter(registry_id=r["registry_id"]).exists():
                    create_registry(Party.objects.get(alpha3=r["party"]), r["registry_id"], r["name"])
            case "programme":
                if not CreditingProgramme.objects.filter(code=r["code"]).exists():
                    create_programme(r["code"], r["name"], r["scheme_code"], {}, international=r["international"])
            case "unit_type":
                if not UnitType.objects.filter(code=r["code"]).exists():
                    programme = CreditingProgramme.objects.get(code=r["programme"])
                    create_programme(programme.code, programme.name, programme.scheme_code, {r["code"]: r["name"]}, programme.international)
            case "approach":
                if not CooperativeApproach.objects.filter(identifier=r["identifier"]).exists():
                    create_cooperative_approach(r["identifier"], r["name"], list(Party.objects.filter(alpha3__in=r["parties"])))
            case "use_purpose":
                define_use_purpose(
                    CreditingProgramme.objects.get(code=r["programme"]),
                    r["code"],
                    r["name"],
                    r.get("name_ja", ""),
                    towards_ndc=r["towards_ndc"],
                    domestic_only=r["domestic_only"],
                    unit_types=tuple(r["unit_types"]),
                    position=r.get("position", 0),
                )
            case "project":
                registry = self._registry(r["registry"])
                if not Project.objects.filter(registry=registry, identifier=r["identifier"]).exists():
                    approach = CooperativeApproach.objects.filter(identifier=r["approach"]).first() if r["approach"] else None
                    register_project(
                        self.actor,
                        registry,
                        identifier=r["identifier"],
                        name=r["name"],
                        programme=CreditingProgramme.objects.get(code=r["programme"]),
                        host_party=Party.objects.get(alpha3=r["host_party"]),
                        cooperative_approach=approach,
                        methodology=r.get("methodology", ""),
                        sector=r.get("sector", ""),
                    )
            case "entity":
                self.entities[(registry_id, r["id"])] = register_entity(
                    self.actor,
                    self._registry(registry_id),
                    name=r["name"],
                    country=r["country"],
                    name_ja=r.get("name_ja", ""),
                    identification_number=r.get("identification_number", ""),
                    head_office=r.get("head_office", ""),
                )

    def _registry(self, registry_id: str) -> Registry:
        if registry_id not in self.registries:
            self.registries[registry_id] = Registry.objects.select_related("party").get(registry_id=registry_id)
        return self.registries[registry_id]

    # Dated records -------------------------------------------------------------------------------

    def dated(self, paths: Sequence[Path], progress: Progress | None = None) -> None:
        registry_of = dict(enumerate(self.imported.registries))
        streams = [_dated_records(index, path) for index, path in enumerate(paths)]
        read = 0
        for item in heapq.merge(*streams):
            read += item.size
            if progress is not None:
                progress(read)
            if item.effective != self.group:
                self._settle()
                self.group = item.effective
            registry_id = registry_of[item.file]
            recorded = typed_entry(item.record, registry_id, 0)
            if isinstance(recorded.entry, e.InternalTransfer):
                written = self.direct.transfer(registry_id, recorded.entry, item.effective)
                if written is not None:
                    self.numbers.execute("INSERT INTO number VALUES (?, ?, ?)", (registry_id, recorded.entry.transaction, written))
                    self.imported.records += 1
                    continue
            self.direct.flush()  # what the services read next is in the database
            if isinstance(recorded.entry, WITH_CONSEQUENCES):  # what its service writes comes after this entry
                self.last_entry = JournalEntry.objects.aggregate(last=Max("pk"))["last"] or 0
            try:
                with taking_effect(item.effective, _named(recorded.entry)):
                    self._apply(registry_id, recorded.entry, item)
            except CheckFailed as failure:
                self._refuse(item.file, item.line, failure.check, failure.params)
            except (ValueError, LookupError, ObjectDoesNotExist) as error:
                # A value no service accepts (a purpose, a kind) or a code that names nothing.
                self._refuse(item.file, item.line, Check.IMPORT_RECORD_MALFORMED, {"detail": str(error)})
            self.imported.records += 1
        self.direct.flush()
        self._settle()

    def _refuse(self, file: int, line: int, check: Check, params: dict[str, Any]) -> None:
        raise ImportRefused([FileProblem(self.paths[file], Problem(line, check, params))])

    def _apply(self, registry_id: str, entry: e.Entry, item: _Dated) -> None:
        registry = self._registry(registry_id)
        actor = self.actor
        match entry:
            case e.AccountOpened():
                self._open(registry, entry, item.effective)
            case e.AccountStatusChanged():
                account = self._account(entry.account)
                change_account_status(actor, account, entry.status)
                Account.objects.filter(pk=account.pk, closed_at__isnull=False).update(closed_at=item.effective)
            case e.AuthorizationVersion():
                self._version(registry, entry)
            case e.Issuance():
                for block in entry.blocks:
                    self._issue(registry, entry.to_account, block, item)
            case e.InternalTransfer():
                tx = transfer_units(
                    actor=actor,
                    from_account=self._account(entry.from_account),
                    to_account=self._account(entry.to_account),
                    ranges=_ranges(entry),
                )
                self.numbers.execute("INSERT INTO number VALUES (?, ?, ?)", (registry_id, entry.transaction, tx.pk))
                self._done(tx, entry, item)
            case e.Correction():
                corrected = self._corrected(registry_id, entry, item)
                self._done(correct_transaction(actor=actor, transaction=corrected, reason=entry.reason), entry, item)
            case e.Retirement():
                tx = retire_units(
                    actor=actor,
                    account=self._account(entry.from_account),
                    ranges=_ranges(entry),
                    purpose=entry.purpose,
                    towards_ndc=entry.towards_ndc,
                    using_party=Party.objects.get(alpha3=entry.using_party) if entry.using_party else None,
                    using_entity=self._entity(registry_id, entry.using_entity),
                    ndc_year=entry.ndc_year,
                    purpose_code=entry.purpose_code,
                    aim=entry.aim,
                    credit_user=entry.credit_user,
                    use_country=entry.use_country,
                )
                self._done(tx, entry, item)
            case e.Cancellation():
                tx = cancel_units(
                    actor=actor,
                    account=self._account(entry.from_account),
                    kind=entry.cancellation_kind,
                    ranges=_ranges(entry),
                    oimp_purpose=entry.oimp_purpose,
                    purpose=entry.purpose,
                    using_entity=self._entity(registry_id, entry.using_entity),
                    purpose_code=entry.purpose_code,
                    aim=entry.aim,
                    credit_user=entry.credit_user,
                    use_country=entry.use_country,
                )
                self._done(tx, entry, item)
            case e.ExternalTransfer():
                tx = transfer_externally(
                    actor=actor,
                    from_account=self._account(entry.from_account),
                    to_account=self._account(entry.to_account),
                    ranges=_ranges(entry),
                )
                self._done(tx, entry, item)
            case e.UnitsAuthorized():
                authorization = Authorization.objects.get(identifier=entry.authorization)
                held = [(s.originating_registry, SerialRange(s.start, s.end)) for s in entry.ranges]
                self._done(authorize_units(actor=actor, authorization=authorization, ranges=held), entry, item)
            case e.Acquisition():
                # Written by the external transfer of the sending registry's file, merged in before.
                blocks = tuple((b.originating_registry, b.start, b.end) for b in entry.blocks)
                self._expect(("acquisition", registry_id, entry.from_registry, entry.from_account, entry.to_account, _spans(blocks)), item)
            case e.FirstTransferred():
                spans = tuple((s.originating_registry, s.start, s.end) for s in entry.ranges)
                self._expect(("first_transfer", registry_id, entry.authorization, _spans(spans)), item)

    def _open(self, registry: Registry, entry: e.AccountOpened, effective: dt.datetime) -> None:
        entity = self._entity(registry.registry_id, entry.entity)
        account_type = AccountType(entry.type)
        name = entity.name if entity is not None else f"{registry.party.name} {account_type.label}"
        account = open_account(
            self.actor, registry, account_type=account_type, name=name, entity=entity, purpose=entry.purpose, number=entry.account
        )
        Account.objects.filter(pk=account.pk).update(opened_at=effective)
        if entry.status != AccountStatus.OPEN:
            change_account_status(self.actor, account, entry.status)

    def _version(self, registry: Registry, entry: e.AuthorizationVersion) -> None:
        parties = list(Party.objects.filter(alpha3__in=entry.authorized_parties))
        entities = [self._entity(registry.registry_id, named.entity) for named in entry.authorized_entities]
        conditions = {
            found.pk: EntityConditions(named.conditions, named.change_and_revocation_conditions, named.explanation)
            for named, found in zip(entry.authorized_entities, entities, strict=True)
            if found is not None
        }
        fields: dict[str, object] = {
            "date": entry.date,
            "purposes": entry.purposes,
            "oimp_purposes": entry.oimp_purposes,
            "first_transfer_definition": entry.first_transfer_definition,
            "authorized_quantity": entry.authorized_quantity,
            "document_reference": entry.document_reference,
            "sectors": entry.sectors,
            "activity_types": entry.activity_types,
            "timeframe_first_vintage": entry.timeframe_first_vintage,
            "timeframe_last_vintage": entry.timeframe_last_vintage,
            "terms": entry.terms,
        }
        assert set(fields) == set(AMENDABLE)
        if entry.version == 1:
            create_authorization(
                self.actor,
                registry,
                identifier=entry.identifier,
                date=entry.date,
                cooperative_approach=CooperativeApproach.objects.get(identifier=entry.cooperative_approach),
                purposes=entry.purposes,
                first_transfer_definition=entry.first_transfer_definition,
                document_reference=entry.document_reference,
                authorized_quantity=entry.authorized_quantity,
                oimp_purposes=entry.oimp_purposes,
                authorized_parties=parties,
                authorized_entities=[x for x in entities if x is not None],
                sectors=entry.sectors,
                activity_types=entry.activity_types,
                timeframe=(entry.timeframe_first_vintage, entry.timeframe_last_vintage),
                terms=entry.terms,
                entity_conditions=conditions,
            )
        else:
            authorization = Authorization.objects.get(identifier=entry.identifier)
            added = self._entity_added(registry, authorization, entry)
            if added is not None:
                # A version that only authorises one more entity, with Table 5's conditions.
                authorize_entity(
                    self.actor,
                    authorization,
                    name=added.name,
                    country=added.country,
                    identification_number=added.identification_number,
                    conditions=added.conditions,
                    change_and_revocation_conditions=added.change_and_revocation_conditions,
                    explanation=added.explanation,
                )
                return
            record_authorization_version(
                self.actor,
                authorization,
                authorized_parties=parties,
                authorized_entities=[x for x in entities if x is not None],
                entity_conditions=conditions,
                **fields,
            )

    def _entity_added(self, registry: Registry, authorization: Authorization, entry: e.AuthorizationVersion) -> e.AuthorizedEntity | None:
        """The one entity ``entry`` adds to the version in force, if that is all it changes."""
        previous = authorization_version(authorization)
        named = tuple(
            replace(n, entity=found.pk) for n in entry.authorized_entities if (found := self._entity(registry.registry_id, n.entity))
        )
        before = {n.entity for n in previous.authorized_entities}
        added = [n for n in named if n.entity not in before]
        if len(added) != 1 or len(named) != len(before) + 1:
            return None
        same = replace(entry, version=previous.version, recorded_by=previous.recorded_by, authorized_entities=previous.authorized_entities)
        return added[0] if same == previous else None

    def _issue(self, registry: Registry, to_account: str, block: e.JournalBlock, item: _Dated) -> None:
        # The issuance takes the registry's next serials: the file's, which the check found free.
        Registry.objects.filter(pk=registry.pk).update(next_serial=block.start)
        tx = issue_units(
            actor=self.actor,
            account=self._account(to_account),
            project=Project.objects.get(registry=registry, identifier=block.project),
            unit_type=UnitType.objects.get(code=block.unit_type),
            vintage=block.vintage,
            quantity=block.end - block.start + 1,
            cooperative_approach=CooperativeApproach.objects.filter(identifier=block.approach).first() if block.approach else None,
            first_transferring_party=Party.objects.filter(alpha3=block.first_transferring_party).first(),
            authorization=Authorization.objects.get(identifier=block.authorization) if block.authorization else None,
        )
        self._done(tx, None, item)

    def _corrected(self, registry_id: str, entry: e.Correction, item: _Dated) -> Transaction:
        row = self.numbers.execute("SELECT here FROM number WHERE registry = ? AND file = ?", (registry_id, entry.corrects)).fetchone()
        if row is None:
            self._refuse(item.file, item.line, Check.TRANSACTION_UNKNOWN, {"transaction": entry.corrects, "registry": registry_id})
        return Transaction.objects.select_related("registry", "from_account", "to_account").get(pk=row[0])

    def _done(self, tx: Transaction, entry: e.Movement | e.UnitsAuthorized | None, item: _Dated) -> None:
        """Date what the service recorded by when it took effect, and note what it recorded by itself."""
        if isinstance(entry, e.Movement) and tx.to_account is not None and tx.to_account.number != entry.to_account:
            detail = f"the units went to {tx.to_account.number}, not {entry.to_account}"
            self._refuse(item.file, item.line, Check.IMPORT_RESULT_DIFFERS, {"record": "transaction", "detail": detail})
        effective = item.effective
        if entry is not None and not isinstance(entry, WITH_CONSEQUENCES):
            Transaction.objects.filter(pk=tx.pk).update(created_at=effective, completed_at=effective)
            return
        Transaction.objects.filter(Q(pk=tx.pk) | Q(trigger_id=tx.pk) | Q(counterpart_id=tx.pk)).update(
            created_at=effective, completed_at=effective
        )
        FirstTransfer.objects.filter(transaction__trigger_id=tx.pk).update(at=effective)
        written = (
            JournalEntry.objects.filter(pk__gt=self.last_entry, kind="transaction")
            .order_by("pk")
            .values_list("pk", "registry__registry_id", "body")
        )
        for pk, registry_id, body in written:
            self.last_entry = pk
            produced = e.parse_body(body).entry
            match produced:
                case e.FirstTransferred():
                    spans = tuple((s.originating_registry, s.start, s.end) for s in produced.ranges)
                    self._produce(("first_transfer", registry_id, produced.authorization, _spans(spans)), item)
                case e.Acquisition():
                    blocks = tuple((b.originating_registry, b.start, b.end) for b in produced.blocks)
                    key = ("acquisition", registry_id, produced.from_registry, produced.from_account, produced.to_account, _spans(blocks))
                    self._produce(key, item)

    def _expect(self, key: tuple[Any, ...], item: _Dated) -> None:
        self.expected[key] += 1
        self.where.setdefault(key, (item.file, item.line))

    def _produce(self, key: tuple[Any, ...], item: _Dated) -> None:
        self.produced[key] += 1
        self.where.setdefault(key, (item.file, item.line))

    def _settle(self) -> None:
        """What the services recorded by themselves at one moment is what the files say they did."""
        missing, extra = self.expected - self.produced, self.produced - self.expected
        for key in [*missing, *extra]:
            file, line = self.where[key]
            what = "no such record" if key in missing else "a record the file does not have"
            detail = f"{key[0]} of {_shown(key[-1])}: the services made {what}"
            self._refuse(file, line, Check.IMPORT_RESULT_DIFFERS, {"record": key[0], "detail": detail})
        self.expected.clear()
        self.produced.clear()
        self.where.clear()

    def finish(self) -> None:
        """The next serial of each registry follows the last it ever issued."""
        self.imported.entries = JournalEntry.objects.count() - self.entries_before
        for registry_id in self.imported.registries:
            registry = self._registry(registry_id)
            last = UnitBlock.objects.filter(originating_registry=registry_id).aggregate(last=Max("end"))["last"] or 0
            Registry.objects.filter(pk=registry.pk, next_serial__lte=last).update(next_serial=last + 1)

    def _account(self, number: str) -> Account:
        """The account, as the services take it: they lock it and read its status afresh, so a copy
        read earlier in the import serves (its number, type and registry never change)."""
        account = self.accounts.pop(number, None) or Account.objects.select_related("registry").get(number=number)
        self.accounts[number] = account  # most recently used last
        if len(self.accounts) > ACCOUNTS_REMEMBERED:
            del self.accounts[next(iter(self.accounts))]
        return account

    def _entity(self, registry_id: str, file_id: int | None) -> Entity | None:
        return None if file_id is None else self.entities[(registry_id, file_id)]


#: The people a record names, carried into the journal entries its service writes.
PEOPLE = ("proposed_by", "approved_by", "recorded_by")


def _named(entry: e.Entry) -> dict[str, str | None]:
    return {name: getattr(entry, name) for name in PEOPLE if hasattr(entry, name)}


def _ranges(entry: e.Movement) -> list[tuple[str, SerialRange]]:
    return [(s.originating_registry, SerialRange(s.start, s.end)) for s in entry.ranges]


def _spans(spans: Iterable[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    """Serials as one canonical tuple: sorted, touching ranges joined (two records may cut them differently)."""
    joined: list[tuple[str, int, int]] = []
    for registry, start, end in sorted(spans):
        if joined and joined[-1][0] == registry and joined[-1][2] + 1 == start:
            joined[-1] = (registry, joined[-1][1], end)
        else:
            joined.append((registry, start, end))
    return tuple(joined)


def _shown(spans: tuple[tuple[str, int, int], ...]) -> str:
    return ", ".join(f"{r}:{s}-{t}" for r, s, t in spans)
