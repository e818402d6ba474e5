"""The bare floor: the least work a request and a verify can do, to put the app's figures in proportion.

A request must at least read its JSON body, store one row and make the gateway's ``postSMS``; a verify
must at least parse its body and make one conditional ``UPDATE`` that either verifies the row or
counts the wrong guess. These views do exactly that and nothing else: no serializer, no phone
parsing, no hashing (the code is stored as it is, in the ``code_hash`` column: a floor, not a design),
no rate limit, no second statement. They write the app's own ``OtpChallenge`` table, so the floor pays
the same indexes and constraints as the app, and they pass through the same middleware as every other
view of the site. The floor of the same guarantees (:mod:`.floor_guarantees`) is verified here too.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django_voiceotp.models import OtpChallenge

from .gateway_post import post_sms

PURPOSE = "floor"


@csrf_exempt
@require_POST
def request_floor(request: HttpRequest) -> JsonResponse:
    """Parse ``{"phone": ...}``, INSERT one challenge row, POST ``postSMS``; 201 with the row's id."""
    phone = json.loads(request.body)["phone"]
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    challenge = OtpChallenge.objects.create(
        phone=phone,
        purpose=PURPOSE,
        code_hash=code,
        code_salt="",
        max_attempts=5,
        max_sends=3,
        sends=1,
        created_at=now,
        expires_at=now + timedelta(seconds=300),
        resend_available_at=now,
    )
    post_sms(phone, code)
    return JsonResponse({"id": str(challenge.pk)}, status=201)


@csrf_exempt
@require_POST
def verify_floor(request: HttpRequest, pk: str) -> JsonResponse:
    """Parse ``{"code": ...}``; one conditional UPDATE judges the guess: a right code flips a pending,
    unexpired row with attempts left to ``verified``, a wrong one adds an attempt (a verify that did not
    count wrong guesses would not be a verify). ``RETURNING`` says which it was, in the same statement."""
    code = json.loads(request.body)["code"]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row_id = OtpChallenge._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_SQL, [code, code, now, code, row_id, now])
        rows = cursor.fetchall()  # all of them: SQLite commits once the statement is done
    if rows and rows[0][0] == "verified":
        return JsonResponse({"verified": True})
    return JsonResponse({"code": "invalid_code"}, status=400)


_VERIFY_SQL = f"""
UPDATE {OtpChallenge._meta.db_table}
   SET status = CASE WHEN code_hash = %s THEN 'verified' ELSE status END,
       verified_at = CASE WHEN code_hash = %s THEN %s ELSE verified_at END,
       attempts = attempts + CASE WHEN code_hash = %s THEN 0 ELSE 1 END
 WHERE id = %s AND status = 'pending' AND expires_at > %s AND attempts < max_attempts
RETURNING status
"""  # noqa: S608 (the table name is the model's own, not input)
