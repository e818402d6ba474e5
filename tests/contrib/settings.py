"""The suite's settings with django-otp, django-two-factor-auth and this app's integrations.

A settings module of its own: two-factor-auth patches the admin site and django-otp's middleware
wraps every request's user, which the rest of the suite must not see. ``make test`` runs
these tests in a pytest invocation of their own (``--ds tests.contrib.settings``).
"""

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "django_voiceotp.contrib.otp",
    "django_voiceotp.contrib.two_factor",
]

_AUTH = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE = [*MIDDLEWARE[: _AUTH + 1], "django_otp.middleware.OTPMiddleware", *MIDDLEWARE[_AUTH + 1 :]]

ROOT_URLCONF = "tests.contrib.urls"
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "/signed-in/"
TWO_FACTOR_PATCH_ADMIN = False  # the OTP admin is tested on an OTPAdminSite of its own

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Run beside the main suite's process, which holds its own test database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_contrib"}
