"""What a site can listen to.

``phone_verified(sender=OtpChallenge, challenge, phone, purpose)``: a code was right. ``phone`` is E.164.
``challenge_canceled(sender=OtpChallenge, challenge, phone, purpose)``: a pending challenge was
canceled (:func:`django_voiceotp.services.cancel_challenge`: the person abandoned it); its code is dead.
Not sent when a new challenge replaces an older one (that one is canceled too, in the same statement
that writes the new one).
``call_placed(sender=VoiceCall, call)``: the gateway took a call (or may have: ``call.status`` says
``calling`` or ``unknown``); background polling listens to it.
``call_status_changed(sender=VoiceCall, call, old_status, new_status)``: the gateway told us more.

``call_blocked(sender=VoiceCall, guard, prefix)``: a fraud guard refused a call (``guard`` is
``"daily_call_limit"`` or ``"prefix_guard"``; ``prefix`` the number's first digits, never the code).
``test_number_used(sender=OtpChallenge, phone)``: a number of ``TEST_NUMBERS`` was asked for (it is
never dialled; with ``DEBUG`` off this is also logged as a warning).
``prefix_blocked(sender=PrefixBlock, block)``: the prefix guard started a block (``block.prefix``,
``block.blocked_until``): page someone.

What the metrics count (:mod:`django_voiceotp.metrics`), sent whether or not they are on:
``verification_requested(sender=OtpChallenge, purpose, outcome)``: a start of a verification ended;
``outcome`` is ``"called"`` (the call is placed, or may be) or the refusal's machine code.
``code_checked(sender=OtpChallenge, result)``: a guess was answered; ``result`` is ``"verified"`` or
the refusal's machine code (``invalid_code``, ``locked``, ``expired``, ...), never the code typed.
``gateway_answered(sender=<backend class>, gateway, operation, code, elapsed_ms)``: a gateway was
asked (``operation``: ``send``, ``check``, ``balance``); ``code`` is its answer code as it wrote it,
or ``timeout``, ``http_error``, ``unreachable``, ``unreadable`` when it gave none; ``elapsed_ms`` is
None when unknown. Test numbers' calls are never dialled and send nothing.
``api_refused(sender=<exception class>, code, status_code)``: the REST API answered a refusal.
"""

from django.dispatch import Signal

phone_verified = Signal()
challenge_canceled = Signal()
call_placed = Signal()
call_status_changed = Signal()
call_blocked = Signal()
test_number_used = Signal()
prefix_blocked = Signal()
verification_requested = Signal()
code_checked = Signal()
gateway_answered = Signal()
api_refused = Signal()
