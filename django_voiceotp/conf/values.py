"""What ``VOICEOTP`` holds once read: its defaults, and the typed snapshot the rest of the app reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BACKEND = "django_voiceotp.gateways.onsms.OnSmsGateway"
GATEWAY_KEYS = ("BACKEND", "OPTIONS")
LEGACY_GATEWAY_KEYS = ("BASE_URL", "USERNAME", "PASSWORD", "KEY", "SENDER")
"""The operator's options as they were first spelled, at the top of ``VOICEOTP``: still read, as
options of the default backend (``GATEWAY["OPTIONS"]`` is where they live now)."""

DEFAULT_RATE_LIMITS: dict[str, str | None] = {
    "request_per_ip": "20/h",
    "request_per_phone": "3/10m",
    "calls_per_phone": "10/d",
    "verify_per_ip": "60/h",
    "resend_per_ip": "20/h",
    "verify_failures_per_phone": "20/d",
}
"""The per-number limits count per lane (see ``docs/security.md``): ``request_per_phone`` and
``calls_per_phone`` (calls until the number verifies, started over by a right code) per principal,
which for strangers is one shared count, ``verify_failures_per_phone`` per lane, slowing rather than
refusing once spent; the per-IP ones per lane and address. Windows are fixed, not sliding."""

RELAXED = "relaxed"
RELAXED_RATE_LIMITS: dict[str, str | None] = {
    "request_per_ip": "1000/h",
    "request_per_phone": "30/10m",
    "calls_per_phone": "1000/d",
    "verify_per_ip": "3000/h",
    "resend_per_ip": "1000/h",
    "verify_failures_per_phone": "1000/d",
}
"""``RATE_LIMITS = "relaxed"``: room to try the API by hand in development. Taken only while ``DEBUG``
is on; with ``DEBUG`` off the defaults hold and ``voiceotp.W005`` says so."""

PREFIX_GUARD_KEYS = (
    "min_calls",
    "max_unverified_ratio",
    "window",
    "first_block_for",
    "block_for",
    "prefix_digits",
)

DEFAULTS: dict[str, Any] = {
    "GATEWAY": {"BACKEND": DEFAULT_BACKEND, "OPTIONS": {}},
    "GATEWAYS": None,
    "TEST_NUMBERS": {},
    "ALLOW_TEST_NUMBERS_IN_PRODUCTION": False,
    "POLICY": "django_voiceotp.policy.Policy",
    "BASE_URL": None,
    "USERNAME": None,
    "PASSWORD": None,
    "KEY": None,
    "SENDER": None,
    "CODE_LENGTH": 6,
    "CODE_TTL": 300,
    "MAX_ATTEMPTS": 5,
    "MAX_SENDS": 3,
    "RESEND_COOLDOWN": 60,
    "REPEAT_WINDOW": None,
    "RATE_LIMITS": DEFAULT_RATE_LIMITS,
    "TIMEOUT": (3.05, 15),
    "DEFAULT_REGION": "VN",
    "BALANCE_CACHE_TTL": 60,
    "LOW_BALANCE": 0,
    "ALLOWED_REGIONS": ["VN"],
    "DAILY_CALL_LIMIT": None,
    "PREFIX_GUARD": None,
    "CACHE": "default",
    "TRUSTED_PROXY_HEADER": None,
    "TOKEN_MAX_AGE": 600,
    "POLL_ON_READ_INTERVAL": 5,
    "POLL_TASK_INTERVAL": 10,
    "AUTHENTICATION_CLASSES": ("rest_framework.authentication.SessionAuthentication",),
    "METRICS": False,
    "METRICS_TOKEN": None,
    "METRICS_PURPOSES": ("default",),
}


@dataclass(frozen=True)
class SettingProblem:
    key: str
    message: str


@dataclass(frozen=True)
class PrefixGuard:
    min_calls: int
    max_unverified_ratio: float
    window: int
    block_for: int
    """The longest a block lasts: a prefix blocked again while pumping resumes waits twice as long."""
    prefix_digits: int
    first_block_for: int = 900
    """How long a prefix's first block lasts."""


@dataclass(frozen=True)
class GatewayConfig:
    """One gateway of ``VOICEOTP["GATEWAYS"]`` (or the one ``GATEWAY``): the backend's dotted path, its
    options (which may hold credentials: never shown by ``repr``) and the name call rows keep (empty:
    the backend's own name, ``onsms``)."""

    BACKEND: str
    OPTIONS: Mapping[str, Any] = field(repr=False)
    NAME: str = ""


@dataclass(frozen=True)
class VoiceOtpSettings:
    """A validated snapshot of ``settings.VOICEOTP`` with defaults filled in."""

    GATEWAYS: tuple[GatewayConfig, ...]
    """In the order calls go to them: the next only when the one before certainly did not place it."""
    CODE_LENGTH: int
    CODE_TTL: int
    MAX_ATTEMPTS: int
    MAX_SENDS: int
    RESEND_COOLDOWN: int
    REPEAT_WINDOW: int | None
    """Seconds; None means the gateway backend's own window (see :func:`repeat_window`)."""
    RATE_LIMITS: Mapping[str, str | None]
    TIMEOUT: tuple[float, float]
    DEFAULT_REGION: str
    BALANCE_CACHE_TTL: int
    LOW_BALANCE: float
    ALLOWED_REGIONS: tuple[str, ...]
    DAILY_CALL_LIMIT: int | None
    PREFIX_GUARD: PrefixGuard | None
    CACHE: str
    TRUSTED_PROXY_HEADER: str | None
    TOKEN_MAX_AGE: int
    POLL_ON_READ_INTERVAL: int | None
    """Seconds between two gateway checks of one call triggered by API reads; None or 0: never."""
    POLL_TASK_INTERVAL: int
    """Seconds between two gateway checks of one call by the background task."""
    AUTHENTICATION_CLASSES: tuple[str, ...]
    """Dotted paths of the DRF authentication classes the API views use (never DRF's defaults)."""
    TEST_NUMBERS: Mapping[str, str] = field(default_factory=dict, repr=False)
    """E.164 number -> the code it always gets; such a number is never dialled."""
    POLICY: str = "django_voiceotp.policy.Policy"
    METRICS: bool = False
    """Whether the Prometheus metrics are counted and served (``django-voiceotp[metrics]``)."""
    METRICS_TOKEN: str | None = field(default=None, repr=False)
    """The bearer token a scraper sends to the metrics view; None: staff only."""
    METRICS_PURPOSES: tuple[str, ...] = ("default",)
    """The purposes the metrics name; any other is counted as ``other``, so that the purposes callers
    choose cannot multiply the series."""

    @property
    def GATEWAY(self) -> GatewayConfig:
        """The first gateway: the only one, for a site that sets ``GATEWAY``."""
        return self.GATEWAYS[0]

    def rate(self, name: str) -> str | None:
        return self.RATE_LIMITS.get(name)
