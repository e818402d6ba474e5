"""The test suite's settings with django-allauth mounted for phone sign-up and login by voice call.

The allauth tests run in a pytest invocation of their own with these settings (``make test`` runs
both): the rest of the suite keeps a site without allauth, which is what proves the core needs none
of it.
"""

import importlib.util

from django_voiceotp.contrib import allauth as voiceotp_allauth
from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, MIDDLEWARE

ROOT_URLCONF = "tests.allauth.urls"

if importlib.util.find_spec("allauth"):  # on Python 3.10 it cannot be installed: the tests skip
    # This app before allauth: its versions of allauth's code pages come first.
    INSTALLED_APPS = [
        *INSTALLED_APPS,
        "django_voiceotp.contrib.allauth",
        "allauth",
        "allauth.account",
        "allauth.headless",
    ]
    MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    voiceotp_allauth.AUTHENTICATION_BACKEND,
]
LOGIN_REDIRECT_URL = "/signed-in/"

ACCOUNT_ADAPTER = voiceotp_allauth.ADAPTER
ACCOUNT_FORMS = voiceotp_allauth.FORMS
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = 2
# Off, as the docs say: allauth offers the change only for a number with no account yet, so the page
# would tell which numbers have one (voiceotp_allauth.E005).
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = False
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 5
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 5
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 900
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 900
ACCOUNT_RATE_LIMITS = {"verify_phone": None, "change_phone": None}
