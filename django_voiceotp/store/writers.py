"""Two ways to write the same thing: the plain ORM (the reference) and the literal statements of
:mod:`.sql` (as fast as the database), behind one small interface that :mod:`django_voiceotp.store`
calls.

:class:`Reference` is what each operation means, in the ORM, and runs on any database Django
supports. :class:`Literal` runs the same operations as the statements of :mod:`.sql` on the two
backends the tests cover (SQLite and PostgreSQL); a test runs both and compares what they wrote and
read. Neither opens a transaction: that is the store's decision (:mod:`django_voiceotp.store`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db import connections
from django.db.models import signals

from ..models import ChallengeStatus, OtpChallenge, VoiceCall
from . import sql

ANSWER_FIELDS = ("status", "send_code", "request_id", "send_error", "send_raw", "send_ms", "completed_at")
"""What the gateway said, as the call's row keeps it (:meth:`Reference.record_answer`)."""


class Reference:
    """The plain ORM."""

    def read_challenge(self, alias: str, pk: Any) -> OtpChallenge | None:
        return OtpChallenge.objects.using(alias).filter(pk=pk).first()

    def judge(self, alias: str, challenge: OtpChallenge, now: datetime, changes: dict[str, Any]) -> bool:
        """Write ``changes`` (status, attempts, verified_at) only if the row is still as it was read:
        pending, the same code and attempt count, not expired at ``now``."""
        still = OtpChallenge.objects.using(alias).filter(
            pk=challenge.pk,
            status=ChallengeStatus.PENDING,
            code_hash=challenge.code_hash,
            attempts=challenge.attempts,
            expires_at__gt=now,
        )
        return still.update(**changes) == 1

    def sent_recently(self, alias: str, call: VoiceCall, since: datetime) -> bool:
        """Whether ``call``'s code was sent to its number at or after ``since``."""
        return (
            VoiceCall.objects.using(alias)
            .filter(phone=call.phone, created_at__gte=since, sent_digest=call.sent_digest)
            .exists()
        )

    def replace_live(self, alias: str, challenge: OtpChallenge) -> None:
        """Cancel the owner's live challenge for the number and purpose: ``challenge`` takes its place."""
        OtpChallenge.objects.using(alias).filter(
            phone=challenge.phone,
            purpose=challenge.purpose,
            owner=challenge.owner,
            status=ChallengeStatus.PENDING,
        ).update(status=ChallengeStatus.CANCELED)

    def insert(self, alias: str, *rows: OtpChallenge | VoiceCall) -> None:
        for row in rows:
            row.save(using=alias, force_insert=True)

    def opens_at_once(self, alias: str) -> bool:
        """Whether :meth:`open_at_once` is one statement here (so it needs no transaction)."""
        return False

    def open_at_once(
        self, alias: str, challenge: OtpChallenge, call: VoiceCall, since: datetime | None
    ) -> bool | None:
        """All of :func:`django_voiceotp.store.open_challenge`'s writes as one statement: whether it
        wrote them (not when the code was sent since ``since``), or None where this writer has no
        such statement."""
        return None

    def show_call_status(self, alias: str, challenge_id: Any, call_status: str) -> None:
        OtpChallenge.objects.using(alias).filter(pk=challenge_id).update(call_status=call_status)

    def record_answer(self, alias: str, call_id: Any, answer: dict[str, Any]) -> None:
        VoiceCall.objects.using(alias).filter(pk=call_id).update(**answer)

    def record_at_once(
        self, alias: str, challenge_id: Any, call_status: str, call_id: Any, answer: dict[str, Any]
    ) -> bool:
        """:meth:`show_call_status` and :meth:`record_answer` as one statement; False where this
        writer has no such statement (the caller then runs the two, in that order)."""
        return False


class Literal(Reference):
    """The statements of :mod:`.sql`: what the hot paths run on SQLite and PostgreSQL."""

    def read_challenge(self, alias: str, pk: Any) -> OtpChallenge | None:
        rows = sql.READ_CHALLENGE.run(alias, pk, fetch=True)
        return cast(OtpChallenge, sql.instance(OtpChallenge, alias, rows[0])) if rows else None

    def judge(self, alias: str, challenge: OtpChallenge, now: datetime, changes: dict[str, Any]) -> bool:
        written = sql.JUDGE.run(
            alias,
            changes["status"],
            changes.get("attempts", challenge.attempts),
            changes.get("verified_at"),
            challenge.pk,
            ChallengeStatus.PENDING,
            challenge.code_hash,
            challenge.attempts,
            now,
        )
        return bool(written == 1)

    def sent_recently(self, alias: str, call: VoiceCall, since: datetime) -> bool:
        return bool(sql.SENT_RECENTLY.run(alias, call.phone, since, call.sent_digest, fetch=True))

    def replace_live(self, alias: str, challenge: OtpChallenge) -> None:
        sql.REPLACE_LIVE.run(
            alias,
            ChallengeStatus.CANCELED,
            challenge.phone,
            challenge.purpose,
            challenge.owner,
            ChallengeStatus.PENDING,
        )

    def opens_at_once(self, alias: str) -> bool:
        return bool(connections[alias].vendor == "postgresql")

    def insert(self, alias: str, *rows: OtpChallenge | VoiceCall) -> None:
        if not connections[alias].features.can_return_columns_from_insert:
            super().insert(alias, *rows)
            return
        for row in rows:
            _before_saving(alias, row)
            if isinstance(row, VoiceCall):
                row.pk = sql.INSERT_CALL.run(alias, row, fetch=True)[0][0]
            else:
                sql.INSERT_CHALLENGE.run(alias, row)
            _saved(alias, row)

    def open_at_once(
        self, alias: str, challenge: OtpChallenge, call: VoiceCall, since: datetime | None
    ) -> bool | None:
        if not self.opens_at_once(alias):
            return None
        for row in (challenge, call):
            _before_saving(alias, row)
        written = sql.OPEN.run(
            alias,
            call.phone,
            since,
            call.sent_digest,
            ChallengeStatus.CANCELED,
            challenge.phone,
            challenge.purpose,
            challenge.owner,
            ChallengeStatus.PENDING,
            challenge,
            call,
            fetch=True,
        )
        if not written:
            return False
        call.pk = written[0][0]
        for row in (challenge, call):
            _saved(alias, row)
        return True

    def show_call_status(self, alias: str, challenge_id: Any, call_status: str) -> None:
        sql.SHOW_CALL_STATUS.run(alias, call_status, challenge_id)

    def record_answer(self, alias: str, call_id: Any, answer: dict[str, Any]) -> None:
        sql.RECORD_ANSWER.run(alias, *(answer[name] for name in ANSWER_FIELDS), call_id)

    def record_at_once(
        self, alias: str, challenge_id: Any, call_status: str, call_id: Any, answer: dict[str, Any]
    ) -> bool:
        if not self.opens_at_once(alias):
            return False
        sql.RECORD.run(alias, call_status, challenge_id, *(answer[name] for name in ANSWER_FIELDS), call_id)
        return True


def _before_saving(alias: str, row: OtpChallenge | VoiceCall) -> None:
    """What ``Model.save`` sends before an insert (a receiver may still change the row)."""
    signals.pre_save.send(sender=type(row), instance=row, raw=False, using=alias, update_fields=None)


def _saved(alias: str, row: OtpChallenge | VoiceCall) -> None:
    """The row as ``Model.save`` leaves it after an insert, and what it sends."""
    row._state.adding, row._state.db = False, alias
    signals.post_save.send(
        sender=type(row), instance=row, created=True, update_fields=None, raw=False, using=alias
    )


REFERENCE = Reference()
LITERAL = Literal()
FAST_VENDORS = frozenset({"sqlite", "postgresql"})
"""The backends the literal statements are tested on; any other runs the reference."""


def for_database(alias: str) -> Reference:
    return LITERAL if connections[alias].vendor in FAST_VENDORS else REFERENCE
