"""What a site can listen to.

``phone_verified(sender=OtpChallenge, challenge, phone, purpose)``: a code was right. ``phone`` is E.164.
``call_placed(sender=VoiceCall, call)``: the gateway took a call (or may have: ``call.status`` says
``calling`` or ``unknown``); background polling listens to it.
``call_status_changed(sender=VoiceCall, call, old_status, new_status)``: the gateway told us more.

``call_blocked(sender=VoiceCall, guard, prefix)``: a fraud guard refused a call (``guard`` is
``"daily_call_limit"`` or ``"prefix_guard"``; ``prefix`` the number's first digits, never the code).
``test_number_used(sender=OtpChallenge, phone)``: a number of ``TEST_NUMBERS`` was asked for (it is
never dialled; with ``DEBUG`` off this is also logged as a warning).
``prefix_blocked(sender=PrefixBlock, block)``: the prefix guard started a block (``block.prefix``,
``block.blocked_until``): page someone.
``number_forgotten(sender=OtpChallenge, phone)``: ``voiceotp_forget`` (or ``forget_number``) erased a
number (E.164) from the app's rows and cache: erase the site's own copies of it (a profile, a django-otp
device, an allauth phone), which the app leaves alone.
"""

from django.dispatch import Signal

phone_verified = Signal()
call_placed = Signal()
call_status_changed = Signal()
call_blocked = Signal()
test_number_used = Signal()
prefix_blocked = Signal()
number_forgotten = Signal()
