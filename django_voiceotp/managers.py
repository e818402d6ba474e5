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
LIVE = (("phone", "="), ("purpose", "="), ("status", "="))
"""A number's live challenge for a purpose: the one a new challenge replaces."""
SINCE = (("phone", "="), ("created_at", ">="))
"""A number's calls since a moment."""
SENT_SINCE = (*SINCE, ("sent_digest", "="))
"""A code's calls to a number since a moment."""
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

    def open(
        self,
        challenge: OtpChallenge,
        call: VoiceCall,
        *,
        canceled: str,
        unless_sent_since: datetime | None = None,
    ) -> bool:
        """Cancel the number's live challenge for the purpose, if it has one, then insert ``challenge``
        and its first ``call``: one statement where :meth:`opens_in_one_statement`, else three, which
        the caller keeps in one transaction.

        With ``unless_sent_since``, nothing is written, and the answer is False, when the call's code
        was sent to this number since then (the gateway would refuse it as a repeat): checked in the
        same statement, so that a request that draws a fresh code needs no read of its own.
        """
        cancel = statements.Update(
            self.model, {"status": canceled}, LIVE, [challenge.phone, challenge.purpose, PENDING]
        )
        unless = None
        if unless_sent_since is not None:
            unless = statements.Match(
                type(call), SENT_SINCE, [call.phone, unless_sent_since, call.sent_digest]
            )
        return statements.replace_and_insert(cancel, challenge, call, unless=unless)

    def opens_in_one_statement(self) -> bool:
        return statements.in_one_statement(self.model, self._call_model())

    def _call_model(self) -> type[models.Model]:
        related = self.model._meta.get_field("calls").related_model
        assert isinstance(related, type)
        return related

    def call_status_update(self, challenge_id: Any, call_status: str) -> statements.Update:
        """The write that shows a call's status on its challenge (for ``CallManager.record``)."""
        return statements.Update(self.model, {"call_status": call_status}, [("id", "=")], [challenge_id])


class CallManager(models.Manager["VoiceCall"]):
    def add(self, call: VoiceCall) -> VoiceCall:
        """Insert the call's row before the gateway is asked, its every column as Django would."""
        return statements.insert(call)

    def record(self, call_id: int, *, first: statements.Update | None = None, **changes: Any) -> None:
        """Write what the gateway said (or its silence) on the call's row; ``first`` (the call's
        status on its challenge) is written before it, or in the same statement where the database
        can."""
        answer = statements.Update(self.model, changes, [("id", "=")], [call_id])
        if first is None:
            answer.run()
        else:
            statements.update_both(first, answer)

    def digests_since(self, phone: str, since: datetime) -> set[str]:
        """The sent digests of the codes this number was sent since ``since`` (see :mod:`.codes`)."""
        # From the database the writes go to: a replica's lag could hide the very call whose code
        # made the request draw again.
        found = statements.column(self.model, "sent_digest", SINCE, [phone, since], write=True)
        return {str(digest) for digest in found}
