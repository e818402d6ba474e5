"""Settings for the test suite.

SQLite and the local memory cache by default, so ``make test`` needs nothing installed. The
PostgreSQL and Redis runs are switched on by environment variables (``.ci/run`` sets them):

- ``VOICEOTP_TEST_POSTGRES=1`` (or a ``postgres://`` URL in ``VOICEOTP_TEST_POSTGRES_URL``)
- ``VOICEOTP_TEST_REDIS=1`` (or ``VOICEOTP_TEST_REDIS_URL``)
"""

import importlib.util
import os
from typing import Any

SECRET_KEY = "tests-only-secret-key-not-for-production-0123456789"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["*"]
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
USE_I18N = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_voiceotp",
]
if importlib.util.find_spec("captcha") is not None:  # the example policy's tests (tests/site)
    INSTALLED_APPS.append("captcha")

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_voiceotp.middleware.HolderCookieMiddleware",
]

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

POSTGRES = os.environ.get("VOICEOTP_TEST_POSTGRES_URL") or (
    "postgres://postgres@127.0.0.1:5432/voiceotp" if os.environ.get("VOICEOTP_TEST_POSTGRES") else ""
)
if POSTGRES:
    from urllib.parse import urlsplit

    _url = urlsplit(POSTGRES)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/") or "voiceotp",
            "USER": _url.username or "postgres",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": _url.port or 5432,
            "CONN_MAX_AGE": 0,
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

REDIS = os.environ.get("VOICEOTP_TEST_REDIS_URL") or (
    "redis://127.0.0.1:6379/15" if os.environ.get("VOICEOTP_TEST_REDIS") else ""
)
if REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}}
    # django-ratelimit's W001 lists only third-party Redis backends as shared; Django's own is too.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001", "voiceotp.W002"]

VOICEOTP: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:9/onsmsapivoice",  # replaced by the simulator fixture
    "USERNAME": "test-user",
    "PASSWORD": "test-pass-Zq8",
    "KEY": "test-key-Wm3",
    "TIMEOUT": (1.0, 2.0),
}

REST_FRAMEWORK = {
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {"TITLE": "django-voiceotp", "COMPONENT_SPLIT_REQUEST": True}
