"""The floor of the same guarantees: a request written plainly with the ORM, keeping what the app keeps.

The bare floor (:mod:`.floor`) says what no implementation can avoid; this says what a competent
developer pays for the guarantees a site choosing an app would ask for, without any of this app's
rules: the number is parsed and validated (``phonenumbers``, Vietnam by default), the challenge and
its call are written in one transaction *before* the gateway is asked (a crash or a timeout mid-call
still leaves a record of the call), the gateway is asked outside any transaction (the same
``postSMS``), and its answer is written on the call after. No rate limit, no cooldown, no repeat
window, no hashing: the code is kept as it is, in the ``code_hash`` column, so that the floor's
verify (one conditional ``UPDATE``) judges these challenges as it judges the bare floor's.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import phonenumbers
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from django_voiceotp.models import CallStatus, OtpChallenge, VoiceCall

from .gateway_post import GatewayPostError, send

PURPOSE = "floor-guarantees"


@csrf_exempt
@require_POST
def request_with_guarantees(request: HttpRequest) -> JsonResponse:
    """Parse ``{"phone": ...}``; challenge and call rows in one transaction; ``postSMS``; its answer."""
    try:
        raw = json.loads(request.body)["phone"]
        number = phonenumbers.parse(str(raw), "VN")
    except (ValueError, KeyError, TypeError, phonenumbers.NumberParseException):
        return JsonResponse({"code": "invalid_phone"}, status=400)
    if not phonenumbers.is_valid_number(number):
        return JsonResponse({"code": "invalid_phone"}, status=400)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    local = "0" + str(number.national_number)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        challenge = OtpChallenge.objects.create(
            phone=e164,
            purpose=PURPOSE,
            code_hash=code,
            code_salt="",
            max_attempts=5,
            max_sends=3,
            sends=1,
            created_at=now,
            expires_at=now + timedelta(seconds=300),
            resend_available_at=now + timedelta(seconds=60),
        )
        call = VoiceCall.objects.create(challenge=challenge, phone=e164, sent_digest="")
    try:
        answer = send(local, code)
    except (GatewayPostError, OSError) as exc:
        VoiceCall.objects.filter(pk=call.pk).update(
            status=CallStatus.UNKNOWN, send_error=str(exc)[:200], completed_at=timezone.now()
        )
        return JsonResponse({"code": "provider_unavailable"}, status=503)
    VoiceCall.objects.filter(pk=call.pk).update(
        status=CallStatus.CALLING,
        request_id=answer.request_id,
        send_code="1",
        send_raw=answer.raw,
        send_ms=answer.elapsed_ms,
    )
    return JsonResponse({"id": str(challenge.pk)}, status=201)
