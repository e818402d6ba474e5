"""The challenge's manager: the two statements of a verify, written as SQL instead of built by the ORM.

Why: verify is the endpoint that guessers hammer, and it is two statements, a read by primary key and
a compare-and-set ``UPDATE``. Building and compiling those through the ORM costs more CPU than the
database spends running them (``make bench`` prints both), and was half of the whole request.
Everything else in the app uses the ORM.

What keeps this as portable as the ORM: the SQL is a plain ``SELECT`` and ``UPDATE`` by primary key
with no vendor syntax; table and column names come from the model's ``_meta`` through the backend's
``quote_name``; every value goes through its field's own ``get_db_prep_*`` (UUIDs as hex on SQLite,
time zones, ...); rows come back as model instances through ``Manager.raw``, which applies the
backend's converters; and the database is the one the routers choose, as for the ORM.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction

if TYPE_CHECKING:
    from .models import OtpChallenge

AS_READ = ("code_hash", "attempts")
"""What must not have changed since the challenge was read; it must also still be pending and not
have expired."""
PENDING = "pending"


class ChallengeManager(models.Manager["OtpChallenge"]):
    def get_for_verify(self, challenge_id: Any, *, for_write: bool = False) -> OtpChallenge | None:
        """The challenge with this id, or None (also for an id that is not a UUID).

        ``for_write`` reads from the database the writes go to: a guess must be judged against the
        row it will update, not a replica's older copy (and its re-reads, by ``refresh_from_db``,
        follow).
        """
        pk_field = self.model._meta.pk
        assert pk_field is not None
        try:
            pk = pk_field.to_python(challenge_id)
        except (ValidationError, TypeError, AttributeError):
            return None
        if pk is None:
            return None
        alias = router.db_for_write(self.model) if for_write else router.db_for_read(self.model)
        params = [pk_field.get_db_prep_value(pk, connections[alias])]
        rows = list(self.db_manager(alias).raw(_select_sql(self.model, alias), params))
        return rows[0] if rows else None

    def compare_and_set(self, challenge: OtpChallenge, now: datetime, **changes: Any) -> bool:
        """Write ``changes`` to the challenge only if its row is still as it was read: pending, the
        same code and attempt count, not expired at ``now``. True when it was (and so was written)."""
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        names = tuple(changes)
        params = [_field(self.model, name).get_db_prep_save(changes[name], connection) for name in names]
        params.append(_field(self.model, "id").get_db_prep_value(challenge.pk, connection))
        params.append(_field(self.model, "status").get_db_prep_value(PENDING, connection))
        for name in AS_READ:
            params.append(_field(self.model, name).get_db_prep_value(getattr(challenge, name), connection))
        params.append(_field(self.model, "expires_at").get_db_prep_value(now, connection))
        # As QuerySet.update does: a failure inside a caller's atomic block marks it for rollback.
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            cursor.execute(_update_sql(self.model, alias, names), params)
            return bool(cursor.rowcount == 1)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _column(model: type[models.Model], name: str) -> str:
    column = _field(model, name).column
    assert column is not None
    return column


@cache
def _select_sql(model: type[models.Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(_column(model, field.name)) for field in model._meta.concrete_fields)
    table = quote(model._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE {quote(_column(model, 'id'))} = %s"  # noqa: S608 (names from _meta)


@cache
def _update_sql(model: type[models.Model], alias: str, names: tuple[str, ...]) -> str:
    quote = connections[alias].ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in names)
    conditions = " AND ".join(f"{quote(_column(model, name))} = %s" for name in ("id", "status", *AS_READ))
    table = quote(model._meta.db_table)
    expires_at = quote(_column(model, "expires_at"))
    return f"UPDATE {table} SET {assignments} WHERE {conditions} AND {expires_at} > %s"  # noqa: S608 (names from _meta, values bound)
