"""Rows of the ledger read and written with hand-written SQL: the movement engine's hot statements.

A transfer sends about fifteen statements. Through the ORM, building each one (``as_sql``: the
query tree, its joins, its compilation) cost more CPU than the database took to run it. Here
each statement's text is made once per process from the model's metadata and only its
parameters change; values go through the fields' own conversions both ways
(``get_db_prep_save`` in, the backend's and the fields' converters out), so a row read or
written here is the row the ORM would read or write, on SQLite and on PostgreSQL.

What this does not do, on purpose: no signals (the models written here have no receivers: see
``registry.disclosure.apps`` for the watched ones, which are never written here), no cascades
(``delete`` only removes rows nothing refers to), no routing (the engine's reads and writes are
on the primary, in the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


def _db() -> BaseDatabaseWrapper:
    # The engine's database (the primary), looked up once per call: ``django.db.connection`` is a
    # proxy that would look it up again at every attribute.
    return connections[DEFAULT_DB_ALIAS]


def engine_database() -> BaseDatabaseWrapper:
    """The engine's database (this thread's connection to the primary), for ``build`` to be given
    when one row makes several instances."""
    return _db()


@dataclass(frozen=True)
class _Shape:
    """What the statements of one model need, worked out once per database."""

    table: str
    pk: str
    attnames: list[str]
    columns: list[str]
    converters: list[tuple[int, list[Converter], Any]]
    insert_fields: list[Field[Any, Any]]
    #: Per inserted field: its attribute, its own ``pre_save`` if it has one (``auto_now``...), its ``get_db_prep_save``.
    insert_values: Sequence[tuple[str, Callable[[Model, bool], Any] | None, Callable[[Any, BaseDatabaseWrapper], Any]]]
    insert_head: str  # INSERT INTO table (columns) VALUES
    insert_row: str  # (%s, ...)
    returning: str


_shapes: dict[tuple[type[Model], str], _Shape] = {}


def _shape(model: type[Model], db: BaseDatabaseWrapper) -> _Shape:
    key = (model, db.alias)
    found = _shapes.get(key)
    if found is not None:
        return found
    meta = model._meta
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    fields = list(meta.concrete_fields)
    converters: list[tuple[int, list[Converter], Any]] = []
    for index, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        chain = db.ops.get_db_converters(expression) + expression.get_db_converters(db)
        if chain:
            converters.append((index, chain, expression))
    insert_fields = [f for f in fields if not f.primary_key]
    columns = [f"{table}.{quote(f.column)}" for f in fields]
    returning = f" RETURNING {table}.{quote(meta.pk.column)}" if db.features.can_return_columns_from_insert else ""
    head = f"INSERT INTO {table} ({', '.join(quote(f.column) for f in insert_fields)}) VALUES "
    row = "(" + ", ".join(["%s"] * len(insert_fields)) + ")"
    values = [(f.attname, f.pre_save if type(f).pre_save is not Field.pre_save else None, f.get_db_prep_save) for f in insert_fields]
    found = _Shape(
        table, quote(meta.pk.column), [f.attname for f in fields], columns, converters, insert_fields, values, head, row, returning
    )
    _shapes[key] = found
    return found


def statement(make: Callable[..., str]) -> Callable[..., str]:
    """Make a statement's text once per database (and per value of the arguments, which say
    which variant: how many ids, which conditions), from the helpers below."""
    made: dict[tuple[Hashable, ...], str] = {}

    @wraps(make)
    def text(*variant: Hashable) -> str:
        # Always of the default database (``_db``): its backend does not change in a process.
        found = made.get(variant)
        if found is None:
            found = made[variant] = make(*variant)
        return found

    return text


def placeholders(count: int) -> str:
    """``%s, %s, ...``: ``count`` parameters (of an ``IN (...)``)."""
    return ", ".join(["%s"] * count)


def quote(name: str) -> str:
    return _db().ops.quote_name(name)


def table(model: type[Model]) -> str:
    """The model's table, quoted."""
    return _shape(model, _db()).table


def columns(model: type[Model]) -> str:
    """Every column of the model, qualified by its table, in the order ``build`` expects."""
    return ", ".join(_shape(model, _db()).columns)


def width(model: type[Model]) -> int:
    """How many columns ``columns`` names."""
    return len(_shape(model, _db()).columns)


def column(model: type[Model], attname: str) -> str:
    """One column of the model (by its attribute name, ``account_id``), qualified by its table."""
    shape = _shape(model, _db())
    return shape.columns[shape.attnames.index(attname)]


def assigned(model: type[Model], attname: str) -> str:
    """One column of the model as an UPDATE's SET names it: quoted, without its table."""
    shape = _shape(model, _db())
    return shape.columns[shape.attnames.index(attname)].removeprefix(f"{shape.table}.")


def lock_rows(model: type[Model]) -> str:
    """What a SELECT ends with to lock the rows of ``model`` it reads: ``FOR NO KEY UPDATE OF``
    that table on PostgreSQL (only those rows, and without blocking inserts that refer to them);
    nothing on SQLite, whose writers are serialised by the write lock ``BEGIN IMMEDIATE`` took."""
    features = _db().features
    if not features.has_select_for_update:
        return ""
    return f" FOR NO KEY UPDATE OF {table(model)}" if features.has_select_for_no_key_update else f" FOR UPDATE OF {table(model)}"


def fetch(sql: str, params: Sequence[Any], *, locking: bool = False) -> list[tuple[Any, ...]]:
    """The rows of a hand-written SELECT (``%s`` placeholders). ``locking`` ones only inside a
    transaction: a lock taken outside one would be released at once."""
    db = _db()
    if locking and not db.in_atomic_block:
        raise RuntimeError("rows are locked only inside a ledger transaction")
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a hand-written INSERT, UPDATE or DELETE; how many rows it changed."""
    with _db().cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def build(model: type[M], row: Sequence[Any], start: int = 0, db: BaseDatabaseWrapper | None = None) -> M:
    """The instance of ``model`` whose ``columns`` begin at ``row[start]``, as the ORM makes it.
    (``db``: the engine's database, when the caller builds several instances from one row.)"""
    db = db or _db()
    shape = _shape(model, db)
    values = list(row[start : start + len(shape.attnames)])
    for index, chain, expression in shape.converters:
        for convert in chain:
            values[index] = convert(values[index], expression, db)
    return _made(model, shape.attnames, values, db.alias)


def _made(model: type[M], attnames: list[str], values: list[Any], alias: str | None) -> M:
    """``model(*values)`` as ``from_db`` makes it (``alias`` given: read from that database; ``None``:
    a new instance), without ``Model.__init__``'s generic work: for a fresh instance (no field
    cached yet), setting each attribute is storing it, and with nobody listening to
    ``pre_init``/``post_init`` (asked each time) there is nothing else it does."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        made = model(*values)
        made._state.adding, made._state.db = alias is None, alias
        return made
    made = model.__new__(model)
    state = made._state = ModelState()
    state.adding, state.db = alias is None, alias
    made.__dict__.update(zip(attnames, values, strict=True))
    return made


def copied(instance: M, **changes: Any) -> M:
    """A new instance of ``instance``'s model (not saved: no primary key) with its field values and
    ``changes``, as ``Model(**values)`` makes it; related objects are not carried over."""
    model = type(instance)
    shape = _shape(model, _db())
    pk = model._meta.pk.attname
    values = [None if name == pk else changes.get(name, getattr(instance, name)) for name in shape.attnames]
    return _made(model, shape.attnames, values, None)


def build_some(model: type[M], attnames: Sequence[str], row: Sequence[Any]) -> M:
    """The instance of ``model`` with only ``attnames`` read (from ``row``, in that order); the
    other fields are deferred, read from the database if ever asked for."""
    db = _db()
    shape = _shape(model, db)
    loaded = [name for name in shape.attnames if name in attnames]  # ``from_db`` takes them in the model's order
    values = [row[attnames.index(name)] for name in loaded]
    for index, chain, expression in shape.converters:
        if shape.attnames[index] in loaded:
            at = loaded.index(shape.attnames[index])
            for convert in chain:
                values[at] = convert(values[at], expression, db)
    return model.from_db(db.alias, loaded, values)


def relate(instance: Model, name: str, related: Model | None) -> None:
    """Set the object a foreign key ``name`` of ``instance`` points to, as ``select_related`` does."""
    instance._meta.get_field(name).set_cached_value(instance, related)  # type: ignore[union-attr]


def insert(instance: Model) -> None:
    """Insert ``instance`` (without a primary key yet) and give it the id the database chose."""
    insert_many([instance])


def insert_many(instances: Sequence[Model]) -> None:
    """Insert ``instances`` of one model, in as many statements as the database's limit on
    parameters asks, and give each the id the database chose (in order, as ``bulk_create``)."""
    if not instances:
        return
    db = _db()
    model = type(instances[0])
    shape = _shape(model, db)
    fields = shape.insert_fields
    values = [
        [prep(pre_save(instance, True) if pre_save else getattr(instance, name), db) for name, pre_save, prep in shape.insert_values]
        for instance in instances
    ]
    batch = 1 if len(instances) == 1 else max(1, db.ops.bulk_batch_size(fields, instances))
    with db.cursor() as cursor:
        for first in range(0, len(instances), batch):
            chunk = values[first : first + batch]
            if len(chunk) == 1 or not db.features.can_return_rows_from_bulk_insert:
                ids = []
                for row in chunk:
                    cursor.execute(shape.insert_head + shape.insert_row + shape.returning, row)
                    ids.append(
                        cursor.fetchone()[0]
                        if shape.returning
                        else db.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
                    )
            else:
                cursor.execute(
                    shape.insert_head + ", ".join([shape.insert_row] * len(chunk)) + shape.returning, [v for row in chunk for v in row]
                )
                ids = [returned[0] for returned in cursor.fetchall()]
            for instance, pk in zip(instances[first : first + batch], ids, strict=True):
                instance.pk = pk
                instance._state.adding = False
                instance._state.db = db.alias


def insert_with_rows(parent: Model, children: Sequence[Model], link: str) -> None:
    """Insert ``parent`` and ``children`` (of one model, whose foreign key ``link`` then points to
    ``parent``), giving each the id the database chose, as ``insert`` then ``insert_many`` would.

    On PostgreSQL one statement (one round trip): the children's INSERT takes the parent's new id
    from a data-modifying ``WITH``; their values are still typed by their columns (``VALUES``).
    """
    db = _db()
    if not children or db.vendor != "postgresql" or len(children) > _ROWS_WITH_PARENT:
        insert(parent)
        for instance in children:
            setattr(instance, link, parent)
        insert_many(children)
        return
    model = type(children[0])
    attname = model._meta.get_field(link).attname  # type: ignore[union-attr]
    head, rows_shape = _shape(type(parent), db), _shape(model, db)
    own = [value for value in rows_shape.insert_values if value[0] != attname]
    columns = ", ".join(assigned(model, name) for name, _, _ in own)
    parent_pk = head.pk
    row = f"((SELECT {parent_pk} FROM parent), " + ", ".join(["%s"] * len(own)) + ")"
    sql = (
        f"WITH parent AS ({head.insert_head}{head.insert_row} RETURNING {parent_pk})"
        f" INSERT INTO {rows_shape.table} ({assigned(model, attname)}, {columns}) VALUES {', '.join([row] * len(children))}"
        f" RETURNING {column(model, attname)}, {rows_shape.table}.{rows_shape.pk}"
    )
    params = [prep(pre_save(parent, True) if pre_save else getattr(parent, name), db) for name, pre_save, prep in head.insert_values]
    for instance in children:
        params += [prep(pre_save(instance, True) if pre_save else getattr(instance, name), db) for name, pre_save, prep in own]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    for instance in (parent, *children):
        instance._state.adding = False
        instance._state.db = db.alias
    parent.pk = returned[0][0]
    for instance, (_, pk) in zip(children, returned, strict=True):
        instance.pk = pk
        setattr(instance, link, parent)


#: More children than this go in statements of their own (``insert_many``: the database's limit on parameters).
_ROWS_WITH_PARENT = 100


_updates: dict[tuple[type[Model], str, tuple[str, ...]], tuple[str, list[Field[Any, Any]]]] = {}


def update(instance: Model, *names: str) -> None:
    """Write the fields ``names`` of ``instance`` to its row, as ``save(update_fields=...)``
    would; like it, refuse when the row is not there."""
    db = _db()
    model = type(instance)
    key = (model, db.alias, names)
    if key not in _updates:
        fields: list[Field[Any, Any]] = [model._meta.get_field(name) for name in names]  # type: ignore[misc]
        assignments = ", ".join(f"{db.ops.quote_name(f.column)} = %s" for f in fields)
        _updates[key] = (f"UPDATE {table(model)} SET {assignments} WHERE {_shape(model, db).pk} = %s", fields)
    sql, fields = _updates[key]
    params = [f.get_db_prep_save(f.pre_save(instance, False), db) for f in fields]
    if execute(sql, [*params, instance.pk]) != 1:
        raise DatabaseError(f"{model._meta.label} {instance.pk}: the row to update is not there")


def delete(model: type[Model], ids: Iterable[Any]) -> int:
    """Delete rows by id (rows nothing refers to: no cascade is looked for)."""
    wanted = list(ids)
    if not wanted:
        return 0
    return execute(f"DELETE FROM {table(model)} WHERE {_shape(model, _db()).pk} IN ({placeholders(len(wanted))})", wanted)
