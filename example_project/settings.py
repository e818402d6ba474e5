"""Settings for the example site, read from the environment (contract section 2).

- ``VOICEOTP_<KEY>`` for every key of ``VOICEOTP``; a value that parses as JSON is taken as JSON
  (``VOICEOTP_TIMEOUT='[1, 5]'``, ``VOICEOTP_RATE_LIMITS='{"request_per_phone": "50/h"}'``,
  ``VOICEOTP_GATEWAYS='[{"NAME": "main", "OPTIONS": {...}}, {"NAME": "backup", "OPTIONS": {...}}]'``).
- ``DATABASE_URL`` (SQLite in ``example_project/db.sqlite3`` when unset), ``REDIS_URL`` (Django's
  Redis cache when set, the local memory cache otherwise), ``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``.
- ``TASK_BACKEND``: what checks call outcomes in the background: ``database`` (the default: the
  ORM-based backend, run by ``manage.py db_worker``), ``rq`` (RQ on Redis at ``RQ_URL``, or
  ``REDIS_URL``, run by ``manage.py rqworker --with-scheduler``), ``none`` (reads and cron do).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

import dj_database_url

from django_voiceotp.conf import DEFAULTS

BASE_DIR = Path(__file__).resolve().parent


def _env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


SECRET_KEY = os.environ.get("SECRET_KEY", "example-only-insecure-key-change-me-0123456789abcdef")
DEBUG = os.environ.get("DEBUG", "1").lower() in {"1", "true", "yes", "on"}
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_voiceotp",
    "example_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_voiceotp.middleware.HolderCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as several processes can share it: write-ahead logging (readers never wait for the writer,
    # and a commit is a log append, not a journal rewrite with three fsyncs), and transactions that
    # take the write lock when they begin, so two writers never deadlock upgrading a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", transaction_mode="IMMEDIATE"
    )

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    # django-ratelimit's W001 lists only third-party Redis backends as shared; Django's own RedisCache
    # is shared across processes too, so the warning does not apply.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The demo runs one process; production needs REDIS_URL (voiceotp.W002 says so when DEBUG is off).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

VOICEOTP: dict[str, Any] = {
    key: _env_value(os.environ[f"VOICEOTP_{key}"]) for key in DEFAULTS if f"VOICEOTP_{key}" in os.environ
}

# Call outcomes (calling -> answered / unanswered) come from a task worker beside the site.
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database")
if TASK_BACKEND != "none" and importlib.util.find_spec("django.tasks") is None:
    INSTALLED_APPS += ["django_tasks"]  # the backport of django.tasks, on Django 5.2
if TASK_BACKEND == "database":
    INSTALLED_APPS += ["django_tasks_db"]
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("RQ_URL") or os.environ["REDIS_URL"]}}
    # A worker restarted after a crash takes RQ's scheduler (the deferred checks) over within a minute.
    RQ = {"WORKER_CLASS": "django_voiceotp.rq_worker.Worker"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from their folders, so the demo and a gunicorn
# run need no collectstatic; set STATIC_ROOT to collect them for a real deployment.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-voiceotp",
    "DESCRIPTION": "Prove a person holds a phone number by calling it and reading out a code.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from this site (drf-spectacular-sidecar): the docs work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Sign-up and login by voice call in django-allauth at /accounts/ (django-allauth needs Python 3.11+: on
# 3.10 the example runs without it). docs/integrations.md explains each setting.
ALLAUTH = importlib.util.find_spec("allauth") is not None
if ALLAUTH:
    from django_voiceotp.contrib import allauth as voiceotp_allauth

    INSTALLED_APPS += ["django_voiceotp.contrib.allauth", "allauth", "allauth.account"]  # its pages first
    MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]
    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",  # the admin's login
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    LOGIN_REDIRECT_URL = ACCOUNT_LOGOUT_REDIRECT_URL = "/"
    ACCOUNT_ADAPTER = voiceotp_allauth.ADAPTER
    ACCOUNT_FORMS = voiceotp_allauth.FORMS
    ACCOUNT_LOGIN_METHODS = {"phone"}
    ACCOUNT_SIGNUP_FIELDS = ["phone*"]
    ACCOUNT_LOGIN_BY_CODE_ENABLED = True
    ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = 2  # VOICEOTP MAX_SENDS - 1
    ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = False  # the sign-up page would tell numbers apart
    ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 5  # MAX_ATTEMPTS
    ACCOUNT_PHONE_VERIFICATION_TIMEOUT = ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 900  # CODE_TTL * MAX_SENDS
    ACCOUNT_RATE_LIMITS = {"verify_phone": None, "change_phone": None}

# The example policy's captcha (example_project/policy.py, named by VOICEOTP_POLICY; `make demo` does):
# django-simple-captcha draws the picture on this site, and speaks it when flite is installed
# (sox, when there too, adds noise to the sound); without flite the captcha is the picture only.
if importlib.util.find_spec("captcha") is not None:
    INSTALLED_APPS += ["captcha"]
    CAPTCHA_FLITE_PATH = shutil.which("flite")
    CAPTCHA_SOX_PATH = shutil.which("sox")
    CAPTCHA_TIMEOUT = 10  # minutes a captcha can be answered in

# The simulators' addresses by gateway name, for the demo page's "calls placed" panel (set by
# `make demo`, as JSON: {"main": "http://127.0.0.1:8765", "backup": "http://127.0.0.1:8766"}).
VOICEOTP_DEMO_SIMULATORS: dict[str, str] = json.loads(os.environ.get("VOICEOTP_DEMO_SIMULATORS") or "{}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django_voiceotp": {"handlers": ["console"], "level": os.environ.get("VOICEOTP_LOG_LEVEL", "INFO")}
    },
}
