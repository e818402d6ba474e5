"""allauth's test project, reduced to what its phone tests need, with this app plugged in."""

from django_voiceotp.contrib import allauth as voiceotp_allauth

SECRET_KEY = "allauth-phone-tests-with-django-voiceotp"  # noqa: S105 (a test project)
SITE_ID = 1
ALLOWED_HOSTS = ("testserver", "example.com")
USE_I18N = False
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "voiceotp_peer.urls"
LOGIN_URL = "/accounts/login/"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}  # allauth's choice
MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
)
INSTALLED_APPS = (
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "rest_framework",
    "django_voiceotp",
    "django_voiceotp.contrib.allauth",  # before allauth: its code pages
    "allauth",
    "allauth.account",
    "allauth.socialaccount",  # allauth's conftest imports it
    "allauth.headless",
)
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = (
    "django.contrib.auth.backends.ModelBackend",
    voiceotp_allauth.AUTHENTICATION_BACKEND,
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"

# This app's configuration, as docs/integrations.md gives it; allauth's tests set the rest themselves.
ACCOUNT_ADAPTER = "voiceotp_peer.adapter.OutboxAdapter"
ACCOUNT_FORMS = voiceotp_allauth.FORMS
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_RATE_LIMITS = {"verify_phone": None, "change_phone": None}
VOICEOTP = {"GATEWAY": {"BACKEND": "django_voiceotp.gateways.locmem.LocMemGateway"}}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001", "voiceotp.W002"]
