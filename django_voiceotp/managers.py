"""The models' managers: the statements of a request and a verify, as :mod:`.statements` writes them.

A verify is a read by primary key and one compare-and-set ``UPDATE``; a request inserts a challenge
and its call, and records the gateway's answer after. These are the paths every person (and every
guesser) takes, so they skip the ORM's query building (see :mod:`.statements` for why and how);
everything else is plain ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

from . import statements

if TYPE_CHECKING:
    from .models import OtpChallenge, VoiceCall

PENDING = "pending"
AS_READ = (("id", "="), ("status", "="), ("code_hash", "="), ("attempts", "="), ("expires_at", ">"))
"""What must not have changed since the challenge was read: still pending, the same code and attempt
count, and not expired at the moment the guess is judged."""


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
        found = statements.rows(self.model, [("id", "=")], [pk], write=for_write)
        return found[0] if found else None

    def compare_and_set(self, challenge: OtpChallenge, now: datetime, **changes: Any) -> bool:
        """Write ``changes`` to the challenge only if its row is still as it was read: pending, the
        same code and attempt count, not expired at ``now``. True when it was (and so was written)."""
        values = [challenge.pk, PENDING, challenge.code_hash, challenge.attempts, now]
        return statements.update(self.model, changes, AS_READ, values) == 1

    def add(self, challenge: OtpChallenge) -> OtpChallenge:
        """Insert a new challenge, its every column as Django would write it."""
        return statements.insert(challenge)

    def cancel_pending(self, phone: str, purpose: str, canceled: str) -> int:
        """Replace the number's live challenge for ``purpose``, if it has one."""
        conditions = (("phone", "="), ("purpose", "="), ("status", "="))
        return statements.update(self.model, {"status": canceled}, conditions, [phone, purpose, PENDING])

    def set_call_status(self, challenge_id: Any, call_status: str) -> None:
        statements.update(self.model, {"call_status": call_status}, [("id", "=")], [challenge_id])


class CallManager(models.Manager["VoiceCall"]):
    def add(self, call: VoiceCall) -> VoiceCall:
        """Insert the call's row before the gateway is asked, its every column as Django would."""
        return statements.insert(call)

    def record(self, call_id: int, **changes: Any) -> None:
        """Write what the gateway said (or its silence) on the call's row."""
        statements.update(self.model, changes, [("id", "=")], [call_id])

    def digests_since(self, phone: str, since: datetime) -> set[str]:
        """The sent digests of the codes this number was sent since ``since`` (see :mod:`.codes`)."""
        found = statements.column(
            self.model, "sent_digest", [("phone", "="), ("created_at", ">=")], [phone, since]
        )
        return {str(digest) for digest in found}
