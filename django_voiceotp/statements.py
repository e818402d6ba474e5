"""Hand-written statements for the two hot paths, built from the models' metadata and cached.

Why: a request and a verify are a handful of single-table statements (insert a row, update a row by
its key or by a condition, read a row by its key, read one column). Building and compiling each
through the ORM costs several times what the database spends running it (``make bench`` prints
both), and it was most of a request's CPU. These statements are plain SQL with no vendor syntax but
``RETURNING`` where the backend has it, and on PostgreSQL a data-modifying ``WITH`` that runs several
writes as one statement (see :func:`replace_and_insert`); table and column names come from ``_meta``
through the backend's ``quote_name``; every value goes through its field's own ``get_db_prep_*``
(UUIDs as hex on SQLite, time zones, ...); rows read come back as model instances through
``Model.from_db``, after the backend's and the fields' converters, as the ORM applies them; and the
database is the one the routers choose, as for the ORM.
Everything that is not on a hot path uses the ORM.

Conditions are ``(field name, operator)`` pairs joined by ``AND``, the operator one of
:data:`OPERATORS`; values are bound, never formatted into the SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router, transaction

M = TypeVar("M", bound=models.Model)

OPERATORS = frozenset({"=", ">", ">=", "<", "<="})
Condition = tuple[str, str]


def field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def _column(model: type[models.Model], name: str) -> str:
    column = field(model, name).column
    assert column is not None
    return column


def _alias(model: type[models.Model], *, write: bool) -> str:
    return router.db_for_write(model) if write else router.db_for_read(model)


def _where(model: type[models.Model], alias: str, conditions: Sequence[Condition]) -> str:
    quote = connections[alias].ops.quote_name
    parts = []
    for name, operator in conditions:
        if operator not in OPERATORS:  # a programming error; never a value (values are bound)
            raise ValueError(f"not an operator of these statements: {operator!r}")
        parts.append(f"{quote(_column(model, name))} {operator} %s")
    return " AND ".join(parts)


def _prepared(
    model: type[models.Model], alias: str, names: Sequence[str], values: Sequence[Any]
) -> list[Any]:
    connection = connections[alias]
    return [
        field(model, name).get_db_prep_save(value, connection)
        for name, value in zip(names, values, strict=True)
    ]


def _compared(
    model: type[models.Model], alias: str, conditions: Sequence[Condition], values: Sequence[Any]
) -> list[Any]:
    """The values bound to ``conditions``, each as its field compares it."""
    connection = connections[alias]
    return [
        field(model, name).get_db_prep_value(value, connection)
        for (name, _operator), value in zip(conditions, values, strict=True)
    ]


@cache
def _insert_sql(model: type[models.Model], alias: str, names: tuple[str, ...], returning: bool) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (names from _meta)
    if returning:
        pk = model._meta.pk
        assert pk is not None
        sql += f" RETURNING {quote(_column(model, pk.name))}"
    return sql


@dataclass(frozen=True)
class _Row:
    """A new row's columns and values, as Django would write them (defaults and ``pre_save`` included)."""

    names: tuple[str, ...]
    params: list[Any]
    generated: bool
    """Whether the database gives the primary key (it is left out of the columns)."""


def _new_row(instance: models.Model, alias: str) -> _Row:
    connection = connections[alias]
    pk = instance._meta.pk
    assert pk is not None
    generated = getattr(instance, pk.attname) is None
    fields = [f for f in instance._meta.concrete_fields if not (generated and f is pk)]
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    return _Row(tuple(f.attname for f in fields), params, generated)


def _inserted(instance: M, alias: str, key: Any) -> M:
    pk = instance._meta.pk
    assert pk is not None
    if key is not None:
        setattr(instance, pk.attname, pk.to_python(key))
    instance._state.adding = False
    instance._state.db = alias
    return instance


def insert(instance: M) -> M:
    """Insert ``instance`` as a new row, every concrete field as Django would write it (defaults and
    ``pre_save`` included), and return it with its generated primary key filled in."""
    model = type(instance)
    alias = _alias(model, write=True)
    connection = connections[alias]
    row = _new_row(instance, alias)
    returning = row.generated and connection.features.can_return_columns_from_insert
    key = None
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, alias, row.names, returning), row.params)
        if returning:
            key = cursor.fetchone()[0]
        elif row.generated:
            pk = model._meta.pk
            assert pk is not None
            key = connection.ops.last_insert_id(cursor, model._meta.db_table, _column(model, pk.name))
    return _inserted(instance, alias, key)


@cache
def _update_sql(
    model: type[models.Model], alias: str, names: tuple[str, ...], conditions: tuple[Condition, ...]
) -> str:
    quote = connections[alias].ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in names)
    table = quote(model._meta.db_table)
    return f"UPDATE {table} SET {assignments} WHERE {_where(model, alias, conditions)}"  # noqa: S608 (names from _meta, values bound)


def update(
    model: type[models.Model],
    changes: Mapping[str, Any],
    conditions: Sequence[Condition],
    values: Sequence[Any],
) -> int:
    """Write ``changes`` to the rows matching ``conditions`` (bound to ``values``); the rows changed.

    As ``QuerySet.update`` does, a failure inside a caller's atomic block marks it for rollback.
    """
    return Update(model, changes, conditions, values).run()


@dataclass(frozen=True)
class Update:
    """``changes`` written to the rows of ``model`` matching ``conditions`` (bound to ``values``): an
    ``UPDATE`` run alone (:meth:`run`) or with another write (:func:`update_both`)."""

    model: type[models.Model]
    changes: Mapping[str, Any]
    conditions: Sequence[Condition]
    values: Sequence[Any]

    def sql(self, alias: str) -> tuple[str, list[Any]]:
        names = tuple(self.changes)
        params = _prepared(self.model, alias, names, [self.changes[name] for name in names])
        params += _compared(self.model, alias, self.conditions, self.values)
        return _update_sql(self.model, alias, names, tuple(self.conditions)), params

    def run(self) -> int:
        """The rows changed."""
        alias = _alias(self.model, write=True)
        sql, params = self.sql(alias)
        with transaction.mark_for_rollback_on_error(using=alias), connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)


@cache
def _select_sql(
    model: type[models.Model], alias: str, columns: tuple[str, ...] | None, conditions: tuple[Condition, ...]
) -> str:
    quote = connections[alias].ops.quote_name
    names = columns if columns is not None else tuple(f.name for f in model._meta.concrete_fields)
    selected = ", ".join(quote(_column(model, name)) for name in names)
    table = quote(model._meta.db_table)
    return f"SELECT {selected} FROM {table} WHERE {_where(model, alias, conditions)}"  # noqa: S608 (names from _meta, values bound)


def rows(
    model: type[M], conditions: Sequence[Condition], values: Sequence[Any], *, write: bool = False
) -> list[M]:
    """The rows matching ``conditions``, as instances. ``write`` reads from the database the writes
    go to (a replica's older copy must not be judged)."""
    alias = _alias(model, write=write)
    params = _compared(model, alias, conditions, values)
    sql = _select_sql(model, alias, None, tuple(conditions))
    connection = connections[alias]
    attnames, converters = _reading(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    instances = []
    for row in found:
        converted = list(row)
        for index, expression, functions in converters:
            for convert in functions:
                converted[index] = convert(converted[index], expression, connection)
        instances.append(model.from_db(alias, attnames, converted))
    return instances


def _reading(
    model: type[models.Model], connection: Any
) -> tuple[list[str], list[tuple[int, Any, list[Callable[..., Any]]]]]:
    """The attribute names of a full row and the converters each column needs, the backend's and the
    field's, as the ORM's compiler finds them (``Manager.raw`` would find them again on every read).

    Kept on the connection itself: the backend's converters are its methods and read its state (the
    time zone, which a settings change resets), and a connection lives in one thread.
    """
    readers: dict[type[models.Model], Any] = connection.__dict__.setdefault("_voiceotp_readers", {})
    found = readers.get(model)
    if found is None:
        fields = model._meta.concrete_fields
        converters = []
        for index, f in enumerate(fields):
            expression = f.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if functions:
                converters.append((index, expression, functions))
        found = readers[model] = ([f.attname for f in fields], converters)
    return found


def column(
    model: type[models.Model],
    name: str,
    conditions: Sequence[Condition],
    values: Sequence[Any],
    *,
    write: bool = False,
) -> list[Any]:
    """One column of the rows matching ``conditions``, as the database gives it (for text columns:
    the text). ``write`` reads from the database the writes go to."""
    alias = _alias(model, write=write)
    params = _compared(model, alias, conditions, values)
    with connections[alias].cursor() as cursor:
        cursor.execute(_select_sql(model, alias, (name,), tuple(conditions)), params)
        return [row[0] for row in cursor.fetchall()]


def savepoint_in_a_transaction(model: type[models.Model]) -> Any:
    """A savepoint when a caller's transaction is open (so that a failed statement does not doom it),
    nothing otherwise: in autocommit a failed statement dooms nothing, and a BEGIN and a COMMIT
    would be two more round trips on the hot path."""
    alias = _alias(model, write=True)
    if connections[alias].in_atomic_block:
        return transaction.atomic(using=alias)
    return contextlib.nullcontext()


# Several writes as one statement. On PostgreSQL a data-modifying ``WITH`` runs them as one statement,
# so in autocommit as one transaction with no BEGIN or COMMIT of its own: a request's writes before the
# gateway (cancel the older challenge, insert the new one and its call) are one round trip instead of
# five, and its writes after (the call's status on the challenge, the gateway's answer on the call) one
# instead of two. Elsewhere the same writes run one after another, in the order given, and the caller
# keeps them in a transaction where they must be atomic (see ``guards.spend_slot``).


def in_one_statement(*models_written: type[models.Model]) -> bool:
    """Whether writes to these models run as one statement: PostgreSQL, every model on one database."""
    aliases = {_alias(model, write=True) for model in models_written}
    return len(aliases) == 1 and connections[aliases.pop()].vendor == "postgresql"


def update_both(first: Update, then: Update) -> int:
    """``first`` and ``then``, as one statement where the database can (:func:`in_one_statement`),
    else in that order; the rows ``then`` changed."""
    if not in_one_statement(first.model, then.model):
        first.run()
        return then.run()
    alias = _alias(then.model, write=True)
    connection = connections[alias]
    first_sql, first_params = first.sql(alias)
    then_sql, then_params = then.sql(alias)
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(f"WITH first AS ({first_sql} RETURNING 1) {then_sql}", first_params + then_params)
        return int(cursor.rowcount)


@dataclass(frozen=True)
class Match:
    """The rows of ``model`` matching ``conditions`` (bound to ``values``)."""

    model: type[models.Model]
    conditions: Sequence[Condition]
    values: Sequence[Any]

    def sql(self, alias: str) -> tuple[str, list[Any]]:
        params = _compared(self.model, alias, self.conditions, self.values)
        return _exists_sql(self.model, alias, tuple(self.conditions)), params


@cache
def _exists_sql(model: type[models.Model], alias: str, conditions: tuple[Condition, ...]) -> str:
    table = connections[alias].ops.quote_name(model._meta.db_table)
    return f"SELECT 1 FROM {table} WHERE {_where(model, alias, conditions)}"  # noqa: S608 (names from _meta, values bound)


def exists(match: Match) -> bool:
    """Whether a row matches, read from the database the writes go to."""
    alias = _alias(match.model, write=True)
    sql, params = match.sql(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"{sql} LIMIT 1", params)
        return cursor.fetchone() is not None


def _cast_type(column_field: models.Field[Any, Any], connection: Any) -> str:
    """The type a value is cast to before it is inserted: the column's, but text without a length (an
    explicit cast to ``varchar(n)`` would cut a longer value where assigning it to the column refuses
    it, as a plain ``INSERT`` does)."""
    if isinstance(column_field, models.CharField):
        return str(connection.ops.cast_char_field_without_max_length)
    return str(column_field.cast_db_type(connection))


@cache
def _insert_select_sql(model: type[models.Model], alias: str, names: tuple[str, ...], source: str) -> str:
    """``INSERT ... SELECT`` of one row per row of ``source``: reading a ``WITH`` query's rows to
    their end is what orders the writes of one statement (PostgreSQL runs them in no set order
    otherwise). Values are cast to their columns' types, which a ``SELECT`` list does not infer."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in names)
    values = ", ".join(f"CAST(%s AS {_cast_type(field(model, name), connection)})" for name in names)
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from _meta, values bound)
        f"SELECT {values} FROM {source} RETURNING {quote(_column(model, pk.name))}"
    )


def replace_and_insert(
    replaced: Update, parent: models.Model, child: models.Model, *, unless: Match | None = None
) -> bool:
    """``replaced``, then insert ``parent`` (its primary key set) and ``child`` (which may point at
    it): one statement where the database can, in that order, else three in that order. When a row
    matches ``unless`` (read in the same statement), nothing is written and the answer is False.

    Why the order: ``replaced`` takes the old row out of a unique constraint that ``parent`` would
    break while it stands.
    """
    parent_model, child_model = type(parent), type(child)
    if not in_one_statement(replaced.model, parent_model, child_model, *([unless.model] if unless else [])):
        if unless is not None and exists(unless):
            return False
        replaced.run()
        insert(parent)
        insert(child)
        return True
    alias = _alias(parent_model, write=True)
    connection = connections[alias]
    parent_row, child_row = _new_row(parent, alias), _new_row(child, alias)
    assert not parent_row.generated, "the parent's primary key is set before it is written"
    replaced_sql, params = replaced.sql(alias)
    clear, only_if_clear = "", ""
    if unless is not None:
        match_sql, match_params = unless.sql(alias)
        clear = f"clear AS (SELECT NOT EXISTS ({match_sql}) AS ok), "
        only_if_clear = " AND (SELECT ok FROM clear)"
        params = match_params + params
    after_replaced = "(SELECT count(*) FROM replaced) AS after_replaced WHERE TRUE" + only_if_clear  # noqa: S608
    sql = (
        f"WITH {clear}replaced AS ({replaced_sql}{only_if_clear} RETURNING 1), "
        f"parent AS ({_insert_select_sql(parent_model, alias, parent_row.names, after_replaced)}) "
        f"{_insert_select_sql(child_model, alias, child_row.names, 'parent')}"
    )
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params + parent_row.params + child_row.params)
        written = cursor.fetchone()
    if written is None:
        return False
    _inserted(parent, alias, None)
    _inserted(child, alias, written[0] if child_row.generated else None)
    return True
