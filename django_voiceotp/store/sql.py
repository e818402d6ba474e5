"""The hot paths' statements, written out, as Django's own ``DatabaseCache`` writes its statements.

Why not the ORM here: compiling a query costs several times what the database spends running it
(``make bench`` prints both), and a verify and a request are a few single-row statements each. So the
statements a person waits on are literal text: ``{challenge}`` is the challenge table and
``{challenge.status}`` one of its columns, quoted by the backend's ``quote_name``; every value is a
``%s``, bound and never formatted in, and prepared by the field of the column it is compared with or
assigned to (``get_db_prep_value``: a UUID as hex on SQLite, an aware datetime, ...). Each statement
has an ORM twin in :mod:`.writers`, and a test runs both on SQLite and PostgreSQL and compares what
they wrote and read.

On PostgreSQL, :data:`OPEN` writes a new challenge and its first call in the statement that replaces
the older challenge: one round trip, where the others need three and a transaction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models, transaction

from ..models import OtpChallenge, VoiceCall

TABLES: dict[str, type[models.Model]] = {"challenge": OtpChallenge, "call": VoiceCall}
"""The names a template uses for the two tables."""

_COLUMN = re.compile(r"\{(?P<table>\w+)\.(?P<column>\w+)\}")
_BOUND = re.compile(r"\{(?P<table>\w+)\.(?P<column>\w+)\}\s*(?:=|>=|<=|>|<)\s*%s")
_ROW = re.compile(r"\{(?P<table>\w+):(?P<part>columns|inserted|values|marks)\}")
ROW = "*row"
"""The "field" of a whole new row's values (``{challenge:values}``): given as the model instance."""


def row_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """A whole row's columns, as a read gives them: every concrete one, in the model's order."""
    return list(model._meta.concrete_fields)


def inserted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns an insert writes, as ``Model.save`` writes them: all but those the database fills
    (an automatic primary key, a generated column)."""
    return [
        f
        for f in row_fields(model)
        if not getattr(f, "generated", False) and not (f.primary_key and getattr(f, "db_returning", False))
    ]


@dataclass(frozen=True)
class Statement:
    """One literal statement and the field each of its values is prepared for, in order.

    A value's field is the column it is compared with or assigned to (``{challenge.status} = %s``);
    ``{challenge:inserted}`` and ``{challenge:marks}`` are a whole new row (``{challenge:values}`` in
    an ``INSERT ... SELECT``: its values cast to their columns' types, which a ``SELECT`` list does not
    infer), and ``{challenge:columns}`` every column of a row read.
    """

    name: str
    template: str
    fields: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        bound = [(m.end(), (m["table"], m["column"])) for m in _BOUND.finditer(self.template)]
        if len(bound) != self.template.count("%s"):
            raise ValueError(f"{self.name}: every %s must follow the column it is for")
        rows = [
            (m.end(), (m["table"], ROW))
            for m in _ROW.finditer(self.template)
            if m["part"] in ("values", "marks")
        ]
        object.__setattr__(self, "fields", tuple(f for _, f in sorted(bound + rows)))

    def sql(self, alias: str) -> str:
        return _render(self.template, alias)

    def params(self, alias: str, values: Sequence[Any]) -> list[Any]:
        """``values`` in the statement's order, each as its field writes it to this database; a whole
        row is given as its model instance."""
        connection = connections[alias]
        prepared: list[Any] = []
        for (table, column), value in zip(self.fields, values, strict=True):
            model = TABLES[table]
            if column == ROW:
                prepared += [
                    f.get_db_prep_save(f.pre_save(value, True), connection) for f in inserted_fields(model)
                ]
            else:
                prepared.append(_field(model, column).get_db_prep_value(value, connection, prepared=False))
        return prepared

    def run(self, alias: str, *values: Any, fetch: bool = False) -> Any:
        """Run it on ``alias``: the rows it returned when ``fetch``, else the number of rows it changed.

        As ``QuerySet.update`` does, a failure inside a caller's atomic block marks it for rollback.
        """
        connection = connections[alias]
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            cursor.execute(self.sql(alias), self.params(alias, values))
            return cursor.fetchall() if fetch else int(cursor.rowcount)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


@functools.cache
def _render(template: str, alias: str) -> str:
    """The statement for ``alias``'s backend: names quoted, rows spelled out."""
    connection = connections[alias]
    quote = connection.ops.quote_name

    def row(match: re.Match[str]) -> str:
        model = TABLES[match["table"]]
        if match["part"] == "columns":
            return ", ".join(quote(str(f.column)) for f in row_fields(model))
        if match["part"] == "inserted":
            return ", ".join(quote(str(f.column)) for f in inserted_fields(model))
        if match["part"] == "marks":
            return ", ".join("%s" for _ in inserted_fields(model))
        return ", ".join(f"CAST(%s AS {_cast_type(f, connection)})" for f in inserted_fields(model))

    text = _ROW.sub(row, template)
    text = _COLUMN.sub(lambda m: quote(str(_field(TABLES[m["table"]], m["column"]).column)), text)
    for name, model in TABLES.items():
        text = text.replace("{" + name + "}", quote(model._meta.db_table))
    return " ".join(text.split())


def _cast_type(column: models.Field[Any, Any], connection: Any) -> str:
    """A column's type for a cast, text without a length: a cast to ``varchar(n)`` would cut a longer
    value that assigning it to the column refuses, as a plain ``INSERT`` does."""
    if isinstance(column, models.CharField):
        return str(connection.ops.cast_char_field_without_max_length)
    return str(column.cast_db_type(connection))


READ_CHALLENGE = Statement(
    "read a challenge by its key",
    "SELECT {challenge:columns} FROM {challenge} WHERE {challenge.id} = %s",
)

JUDGE = Statement(
    "judge a guess: write its outcome only if the challenge is still as it was read",
    """
    UPDATE {challenge} SET {challenge.status} = %s, {challenge.attempts} = %s, {challenge.verified_at} = %s
    WHERE {challenge.id} = %s AND {challenge.status} = %s AND {challenge.code_hash} = %s
      AND {challenge.attempts} = %s AND {challenge.expires_at} > %s
    """,
)

SENT_RECENTLY = Statement(
    "was this code sent to this number since then",
    """
    SELECT 1 FROM {call}
    WHERE {call.phone} = %s AND {call.created_at} >= %s AND {call.sent_digest} = %s
    """,
)

REPLACE_LIVE = Statement(
    "cancel the owner's live challenge for the number and purpose, before a new one is written",
    """
    UPDATE {challenge} SET {challenge.status} = %s
    WHERE {challenge.phone} = %s AND {challenge.purpose} = %s AND {challenge.owner} = %s
      AND {challenge.status} = %s
    """,
)

OPEN = Statement(
    "PostgreSQL: replace the live challenge and write the new one and its first call, unless the code "
    "was sent to the number since then",
    # Reading a WITH query's rows to their end is what orders the writes of one statement (PostgreSQL
    # runs them in no set order otherwise): the old challenge leaves the one-pending-per-number index
    # before the new one enters it, and the call is written after the challenge it points at.
    """
    WITH clear AS (
        SELECT NOT EXISTS (
            SELECT 1 FROM {call}
            WHERE {call.phone} = %s AND {call.created_at} >= %s AND {call.sent_digest} = %s
        ) AS ok
    ), replaced AS (
        UPDATE {challenge} SET {challenge.status} = %s
        WHERE {challenge.phone} = %s AND {challenge.purpose} = %s AND {challenge.owner} = %s
          AND {challenge.status} = %s AND (SELECT ok FROM clear)
        RETURNING 1
    ), opened AS (
        INSERT INTO {challenge} ({challenge:inserted})
        SELECT {challenge:values} FROM (SELECT count(*) FROM replaced) AS after_replaced
        WHERE (SELECT ok FROM clear)
        RETURNING {challenge.id}
    )
    INSERT INTO {call} ({call:inserted}) SELECT {call:values} FROM opened RETURNING {call.id}
    """,
)

INSERT_CHALLENGE = Statement(
    "write a new challenge", "INSERT INTO {challenge} ({challenge:inserted}) VALUES ({challenge:marks})"
)

INSERT_CALL = Statement(
    "write a new call, its id given back",
    "INSERT INTO {call} ({call:inserted}) VALUES ({call:marks}) RETURNING {call.id}",
)

SHOW_CALL_STATUS = Statement(
    "show the latest call's status on its challenge",
    "UPDATE {challenge} SET {challenge.call_status} = %s WHERE {challenge.id} = %s",
)

RECORD_ANSWER = Statement(
    "record what the gateway answered (or its silence) on the call's row",
    """
    UPDATE {call} SET {call.status} = %s, {call.send_code} = %s, {call.request_id} = %s,
        {call.send_error} = %s, {call.send_raw} = %s, {call.send_ms} = %s, {call.completed_at} = %s
    WHERE {call.id} = %s
    """,
)

RECORD = Statement(
    "PostgreSQL: the call's status on its challenge and the gateway's answer on the call, together",
    """
    WITH shown AS (
        UPDATE {challenge} SET {challenge.call_status} = %s WHERE {challenge.id} = %s RETURNING 1
    )
    UPDATE {call} SET {call.status} = %s, {call.send_code} = %s, {call.request_id} = %s,
        {call.send_error} = %s, {call.send_raw} = %s, {call.send_ms} = %s, {call.completed_at} = %s
    WHERE {call.id} = %s
    """,
)

STATEMENTS = (
    READ_CHALLENGE,
    JUDGE,
    SENT_RECENTLY,
    REPLACE_LIVE,
    INSERT_CHALLENGE,
    INSERT_CALL,
    OPEN,
    SHOW_CALL_STATUS,
    RECORD_ANSWER,
    RECORD,
)


def readers(
    model: type[models.Model], alias: str
) -> tuple[list[str], list[tuple[int, Any, list[Callable[..., Any]]]]]:
    """A full row's attribute names and, per column that needs them, the converters the ORM's compiler
    would apply (the backend's, then the field's), so that a row read here is the instance the ORM
    would build. Kept on the connection: the backend's converters are its methods and read its state
    (the time zone), and a connection lives in one thread."""
    connection = connections[alias]
    kept: dict[type[models.Model], Any] = connection.__dict__.setdefault("_voiceotp_readers", {})
    found = kept.get(model)
    if found is None:
        fields = row_fields(model)
        converters = []
        for index, f in enumerate(fields):
            column = f.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((index, column, functions))
        found = kept[model] = ([f.attname for f in fields], converters)
    return found


def instance(model: type[models.Model], alias: str, row: Sequence[Any]) -> models.Model:
    """The model instance of a row read with ``{table:columns}``."""
    attnames, converters = readers(model, alias)
    values = list(row)
    connection = connections[alias]
    for index, column, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], column, connection)
    return model.from_db(alias, attnames, values)
