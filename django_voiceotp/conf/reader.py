"""Reading ``VOICEOTP``: each key checked against what it accepts, every problem collected in one pass."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .values import (
    DEFAULT_BACKEND,
    DEFAULT_RATE_LIMITS,
    DEFAULTS,
    GATEWAY_KEYS,
    LEGACY_GATEWAY_KEYS,
    PREFIX_GUARD_KEYS,
    RELAXED,
    RELAXED_RATE_LIMITS,
    GatewayConfig,
    PrefixGuard,
    SettingProblem,
    VoiceOtpSettings,
)

_RATE = re.compile(r"\d+/\d*[smhd]")
_NAME = re.compile(r"[A-Za-z0-9_.:\-]{1,32}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PURPOSE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")


class _Reader:
    """Collects every problem in one pass, so a site sees them all at once."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.problems: list[SettingProblem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(SettingProblem(key, message))

    def get(self, key: str) -> Any:
        return self.raw.get(key, DEFAULTS[key])

    def integer(self, key: str, *, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number, got {type(value).__name__}")
            return int(DEFAULTS[key] or 0)
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            self.problem(key, f"must be {bound}, got {value}")
        return value

    def optional_integer(self, key: str, *, minimum: int = 0) -> int | None:
        return None if self.get(key) is None else self.integer(key, minimum=minimum)

    def text(self, key: str, *, optional: bool = False) -> str | None:
        value = self.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            self.problem(key, "must be a non-empty string")
            return None
        return value

    def number(self, key: str) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(key, f"must be a number, got {type(value).__name__}")
            return float(DEFAULTS[key])
        return float(value)

    def timeout(self) -> tuple[float, float]:
        value = self.get("TIMEOUT")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            pair: Any = (value, value)
        else:
            pair = value
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in pair)
        ):
            self.problem("TIMEOUT", "must be a positive number or a (connect, read) pair of them")
            return (3.05, 15.0)
        return (float(pair[0]), float(pair[1]))

    def rate_limits(self) -> dict[str, str | None]:
        value = self.get("RATE_LIMITS")
        if value == RELAXED:
            return dict(RELAXED_RATE_LIMITS if settings.DEBUG else DEFAULT_RATE_LIMITS)
        if not isinstance(value, Mapping):
            self.problem(
                "RATE_LIMITS", "must be \"relaxed\" or a dict of rate names to rates like '5/h' or None"
            )
            return dict(DEFAULT_RATE_LIMITS)
        merged = dict(DEFAULT_RATE_LIMITS)
        for name, rate in value.items():
            if name not in DEFAULT_RATE_LIMITS:
                known = ", ".join(sorted(DEFAULT_RATE_LIMITS))
                self.problem("RATE_LIMITS", f"unknown limit {name!r}; known limits: {known}")
            elif rate is not None and (not isinstance(rate, str) or not _RATE.fullmatch(rate)):
                self.problem("RATE_LIMITS", f"{name}: {rate!r} is not a rate like '5/h', '20/10m' or None")
            else:
                merged[name] = rate
        return merged

    def dotted_paths(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            self.problem(key, "must be a list of dotted paths to classes")
            return tuple(DEFAULTS[key])
        for path in value:
            if not isinstance(path, str):
                self.problem(key, f"{path!r} is not a dotted path")
                return tuple(DEFAULTS[key])
            try:
                import_string(path)
            except ImportError as exc:
                self.problem(key, f"{path!r} cannot be imported ({exc})")
                return tuple(DEFAULTS[key])
        return tuple(value)

    def gateway(self) -> GatewayConfig:
        value = self.get("GATEWAY")
        legacy = {key: self.raw[key] for key in LEGACY_GATEWAY_KEYS if self.raw.get(key) is not None}
        if not isinstance(value, Mapping) or set(value) - set(GATEWAY_KEYS):
            self.problem("GATEWAY", 'must be a dict like {"BACKEND": "dotted.path", "OPTIONS": {...}}')
            return GatewayConfig(DEFAULT_BACKEND, legacy)
        backend = value.get("BACKEND", DEFAULT_BACKEND)
        options = value.get("OPTIONS", {})
        if not isinstance(backend, str) or not isinstance(options, Mapping):
            self.problem("GATEWAY", "BACKEND must be a dotted path and OPTIONS a dict")
            return GatewayConfig(DEFAULT_BACKEND, legacy)
        for key in sorted(legacy):
            if backend != DEFAULT_BACKEND:
                self.problem(
                    key, f"is an option of {DEFAULT_BACKEND}; with another backend set GATEWAY['OPTIONS']"
                )
            elif key in options:
                self.problem(key, "is set twice: keep it in GATEWAY['OPTIONS'] only")
        return GatewayConfig(backend, {**legacy, **options})

    def gateways(self) -> tuple[GatewayConfig, ...]:
        """``GATEWAYS``, or the one ``GATEWAY`` (with the operator's options as first spelled)."""
        value = self.get("GATEWAYS")
        if value is None:
            return (self.gateway(),)
        if "GATEWAY" in self.raw:
            self.problem(
                "GATEWAYS", "and GATEWAY are both set: keep GATEWAYS (GATEWAY is its one-element case)"
            )
        for key in sorted(k for k in LEGACY_GATEWAY_KEYS if self.raw.get(k) is not None):
            self.problem(key, "is an option of one gateway: with GATEWAYS, set it in that gateway's OPTIONS")
        if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)) or not value:
            self.problem(
                "GATEWAYS", 'must be a list like [{"NAME": "main", "BACKEND": "...", "OPTIONS": {...}}]'
            )
            return (GatewayConfig(DEFAULT_BACKEND, {}),)
        found = [self._one_gateway(index, entry) for index, entry in enumerate(value)]
        names = [config.NAME for config in found if config.NAME]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.problem("GATEWAYS", f"NAME {name!r} is given twice: call rows tell gateways apart by it")
        return tuple(found)

    def _one_gateway(self, index: int, entry: Any) -> GatewayConfig:
        where = f"GATEWAYS[{index}]"
        if not isinstance(entry, Mapping) or set(entry) - {"NAME", *GATEWAY_KEYS}:
            self.problem("GATEWAYS", f"{where} must be a dict with NAME, BACKEND and OPTIONS")
            return GatewayConfig(DEFAULT_BACKEND, {})
        name, backend = entry.get("NAME", ""), entry.get("BACKEND", DEFAULT_BACKEND)
        options = entry.get("OPTIONS", {})
        if not isinstance(name, str) or (name and not _NAME.fullmatch(name)):
            self.problem("GATEWAYS", f"{where}['NAME'] must be 1 to 32 of letters, digits and . _ : -")
            name = ""
        if not isinstance(backend, str) or not isinstance(options, Mapping):
            self.problem("GATEWAYS", f"{where}: BACKEND must be a dotted path and OPTIONS a dict")
            return GatewayConfig(DEFAULT_BACKEND, {}, name)
        return GatewayConfig(backend, options, name)

    def test_numbers(self, code_length: int) -> dict[str, str]:
        """``TEST_NUMBERS``: E.164 numbers the site controls and the code each always gets. Refused
        with ``DEBUG`` off unless ``ALLOW_TEST_NUMBERS_IN_PRODUCTION`` says the site means it."""
        value = self.get("TEST_NUMBERS")
        if not isinstance(value, Mapping):
            self.problem("TEST_NUMBERS", 'must be a dict like {"+84900000001": "123456"}')
            return {}
        numbers: dict[str, str] = {}
        for number, code in value.items():
            if not isinstance(number, str) or not _E164.fullmatch(number):
                self.problem("TEST_NUMBERS", f"{number!r} is not a number in E.164 (+84900000001)")
            elif (
                not isinstance(code, str)
                or not code.isascii()
                or not code.isdigit()
                or len(code) != code_length
            ):
                self.problem(
                    "TEST_NUMBERS", f"the code of {number} must be {code_length} digits (CODE_LENGTH)"
                )
            else:
                numbers[number] = code
        allowed = self.get("ALLOW_TEST_NUMBERS_IN_PRODUCTION")
        if not isinstance(allowed, bool):
            self.problem("ALLOW_TEST_NUMBERS_IN_PRODUCTION", "must be True or False")
        elif numbers and not settings.DEBUG and not allowed:
            self.problem(
                "TEST_NUMBERS",
                "is refused while DEBUG is off: anyone who knows one of its numbers passes as its holder. "
                "For an app-store review in production set ALLOW_TEST_NUMBERS_IN_PRODUCTION: True",
            )
        return numbers

    def dotted_path(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            self.problem(key, "must be a dotted path to a class")
            return str(DEFAULTS[key])
        try:
            import_string(value)
        except ImportError as exc:
            self.problem(key, f"{value!r} cannot be imported ({exc})")
            return str(DEFAULTS[key])
        return value

    def regions(self) -> tuple[str, ...]:
        value = self.get("ALLOWED_REGIONS")
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
            self.problem("ALLOWED_REGIONS", "must be a non-empty list of region codes like ['VN']")
            return ("VN",)
        if not all(isinstance(r, str) and re.fullmatch(r"[A-Za-z]{2}", r) for r in value):
            self.problem("ALLOWED_REGIONS", "every entry must be a two-letter region code like 'VN'")
            return ("VN",)
        return tuple(r.upper() for r in value)

    def prefix_guard(self) -> PrefixGuard | None:
        value = self.get("PREFIX_GUARD")
        if value is None:
            return None
        if not isinstance(value, Mapping) or set(value) - set(PREFIX_GUARD_KEYS):
            self.problem("PREFIX_GUARD", f"must be None or a dict with keys {', '.join(PREFIX_GUARD_KEYS)}")
            return None
        defaults = {
            "min_calls": 50,
            "max_unverified_ratio": 0.9,
            "window": 3600,
            "first_block_for": 900,
            "block_for": 43200,
            "prefix_digits": 6,
        }
        merged = {**defaults, **value}
        ratio = merged["max_unverified_ratio"]
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            self.problem("PREFIX_GUARD", "max_unverified_ratio must be a number from 0 to 1")
            return None
        for key in ("min_calls", "window", "first_block_for", "block_for", "prefix_digits"):
            v = merged[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                self.problem("PREFIX_GUARD", f"{key} must be a whole number of at least 1")
                return None
        return PrefixGuard(
            min_calls=merged["min_calls"],
            max_unverified_ratio=float(ratio),
            window=merged["window"],
            first_block_for=merged["first_block_for"],
            block_for=merged["block_for"],
            prefix_digits=merged["prefix_digits"],
        )

    def metrics(self) -> bool:
        value = self.get("METRICS")
        if not isinstance(value, bool):
            self.problem("METRICS", "must be True or False")
            return False
        if value and importlib.util.find_spec("prometheus_client") is None:
            self.problem("METRICS", "needs prometheus_client: pip install 'django-voiceotp[metrics]'")
            return False
        return value

    def metrics_token(self) -> str | None:
        value = self.get("METRICS_TOKEN")
        if value is None:
            return None
        if not isinstance(value, str) or len(value) < 32 or not value.isascii() or not value.isprintable():
            self.problem("METRICS_TOKEN", "must be None or at least 32 printable ASCII characters")
            return None
        return value

    def metrics_purposes(self) -> tuple[str, ...]:
        value = self.get("METRICS_PURPOSES")
        if (
            isinstance(value, str)
            or not isinstance(value, (list, tuple))
            or len(value) > 50
            or not all(isinstance(p, str) and _PURPOSE.fullmatch(p) for p in value)
        ):
            self.problem(
                "METRICS_PURPOSES", "must be a list of at most 50 purposes like ['default', 'login']"
            )
            return ("default",)
        return tuple(value)


def _read() -> tuple[VoiceOtpSettings, list[SettingProblem]]:
    raw = getattr(settings, "VOICEOTP", None) or {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured("VOICEOTP must be a dict")
    r = _Reader(raw)
    for key in sorted(set(raw) - set(DEFAULTS)):
        r.problem(key, f"is not a VOICEOTP setting; known settings: {', '.join(DEFAULTS)}")
    values = VoiceOtpSettings(
        GATEWAYS=r.gateways(),
        CODE_LENGTH=(code_length := r.integer("CODE_LENGTH", minimum=4, maximum=6)),
        CODE_TTL=r.integer("CODE_TTL", minimum=30),
        MAX_ATTEMPTS=r.integer("MAX_ATTEMPTS", minimum=1, maximum=100),
        MAX_SENDS=r.integer("MAX_SENDS", minimum=1, maximum=20),
        RESEND_COOLDOWN=r.integer("RESEND_COOLDOWN", minimum=0),
        REPEAT_WINDOW=r.optional_integer("REPEAT_WINDOW", minimum=0),
        RATE_LIMITS=r.rate_limits(),
        TIMEOUT=r.timeout(),
        DEFAULT_REGION=(r.text("DEFAULT_REGION") or "VN").upper(),
        BALANCE_CACHE_TTL=r.integer("BALANCE_CACHE_TTL", minimum=0),
        LOW_BALANCE=r.number("LOW_BALANCE"),
        ALLOWED_REGIONS=r.regions(),
        DAILY_CALL_LIMIT=r.optional_integer("DAILY_CALL_LIMIT", minimum=0),
        PREFIX_GUARD=r.prefix_guard(),
        CACHE=r.text("CACHE") or "default",
        TRUSTED_PROXY_HEADER=r.text("TRUSTED_PROXY_HEADER", optional=True),
        TOKEN_MAX_AGE=r.integer("TOKEN_MAX_AGE", minimum=1),
        POLL_ON_READ_INTERVAL=r.optional_integer("POLL_ON_READ_INTERVAL", minimum=0) or None,
        POLL_TASK_INTERVAL=r.integer("POLL_TASK_INTERVAL", minimum=1, maximum=3600),
        AUTHENTICATION_CLASSES=r.dotted_paths("AUTHENTICATION_CLASSES"),
        TEST_NUMBERS=r.test_numbers(code_length),
        POLICY=r.dotted_path("POLICY"),
        METRICS=r.metrics(),
        METRICS_TOKEN=r.metrics_token(),
        METRICS_PURPOSES=r.metrics_purposes(),
    )
    return values, r.problems
