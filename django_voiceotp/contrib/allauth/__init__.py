"""django-allauth's phone verification by voice call: sign-up, login by phone and a changed number.

allauth makes a code, stores it in the session and hands it to the adapter to send by SMS. Here the
adapter never sends that code and the swapped-in forms never accept it: each send places a call
through :mod:`django_voiceotp.services`, and each code typed is checked by it, so the code is this
app's (hashed, single use, attempts counted atomically) and so are the limits and fraud guards.

Where a form comes before the send (sign-up, login, a changed number), the call is placed while the
form is validated, so a refused or unreachable number is a form error and nothing is created yet.
Sends that no form precedes (a resend, a stage allauth starts on its own) report a refusal as an
error message on the code page, where allauth's resend control asks for a new call.

A site installs this app after ``allauth.account`` and names the adapter and :data:`FORMS` in its
settings; ``docs/integrations.md`` has the whole configuration. This module imports nothing, so
settings can read :data:`FORMS` from it.
"""

_FORMS = "django_voiceotp.contrib.allauth.forms"

FORMS: dict[str, str] = {
    "signup": f"{_FORMS}.SignupForm",
    "login": f"{_FORMS}.LoginForm",
    "request_login_code": f"{_FORMS}.RequestLoginCodeForm",
    "confirm_login_code": f"{_FORMS}.ConfirmLoginCodeForm",
    "change_phone": f"{_FORMS}.ChangePhoneForm",
    "verify_phone": f"{_FORMS}.VerifyPhoneForm",
    "confirm_reauthentication_code": f"{_FORMS}.ConfirmReauthenticationCodeForm",
}
"""``ACCOUNT_FORMS`` for allauth: every form that takes a phone number or checks a code by phone."""

ADAPTER = "django_voiceotp.contrib.allauth.adapter.VoiceCallAccountAdapter"
"""``ACCOUNT_ADAPTER`` for a site with no adapter of its own (others add ``VoiceCallAdapterMixin``)."""

AUTHENTICATION_BACKEND = "django_voiceotp.contrib.allauth.auth_backends.AuthenticationBackend"
"""In ``AUTHENTICATION_BACKENDS`` in place of allauth's: a number and a password find an account whose
number is not verified yet, whose login then waits for a call's code."""
