"""The values each label may take: a fixed set, whatever a caller or a gateway sends.

A purpose is the caller's choice and an answer code the gateway's: counted as they come, a script
asking for a million purposes, or a gateway answering a new code on every request, would make a
million series and take Prometheus down. So a purpose outside ``METRICS_PURPOSES`` (and the
integrations' own) is ``other``, a code a gateway's documentation does not list is ``undocumented``,
a gateway the site does not name is ``other``, and so on. No label ever holds a phone number, a
request id or a one-time code.
"""

from __future__ import annotations

from ..conf import get_settings
from ..exceptions import VoiceOtpError
from ..gateways import TEST_GATEWAY, Operation, VoiceGateway, get_gateways
from ..gateways.heard import NO_ANSWER_CODES
from ..models import CallStatus
from ..services.purposes import INTEGRATION_PREFIXES

OTHER = "other"
UNDOCUMENTED = "undocumented"
CALLED = "called"
VERIFIED = "verified"

API_CODES = frozenset(
    {
        "invalid_request",
        "not_found",
        "method_not_allowed",
        "unsupported_media_type",
        "not_acceptable",
        "not_authenticated",
        "permission_denied",
        "rate_limited",
        "request_too_large",
        "error",
    }
)
"""The machine codes the API gives DRF's own errors (``django_voiceotp.api.errors``)."""


def purpose(value: object) -> str:
    """A purpose the site listed, else its integration's name (``allauth``, ``django_otp``: a caller
    can send ``allauth.anything`` to the REST API, which refuses it, and the refusal is counted
    too), else ``other``."""
    text = str(value)
    if text in get_settings().METRICS_PURPOSES:
        return text
    for prefix in INTEGRATION_PREFIXES:
        if text.startswith(prefix):
            return prefix.rstrip(".:")
    return OTHER


def machine_code(value: object, *, success: str = "") -> str:
    """A refusal's machine code (the app's own or the API's), ``success`` as it is, else ``other``."""
    text = str(value)
    if (success and text == success) or text in API_CODES or text in _app_codes():
        return text
    return OTHER


def _app_codes() -> set[str]:
    """The codes of every refusal class, the site's subclasses included: written in code, so bounded."""
    found: set[str] = set()
    pending: list[type[VoiceOtpError]] = [VoiceOtpError]
    while pending:
        cls = pending.pop()
        found.add(str(cls.code))
        pending.extend(cls.__subclasses__())
    return found


def gateway(value: object) -> str:
    """A gateway the site names (``GATEWAYS``' ``NAME``), the test numbers' one, or ``other``."""
    text = str(value)
    if text == TEST_GATEWAY.label or text in gateway_names():
        return text
    return OTHER


def gateway_names() -> list[str]:
    return [one.label for one in get_gateways()]


def call_status(value: object) -> str:
    text = str(value)
    return text if text in CallStatus.values else OTHER


def endpoint(value: object) -> str:
    text = str(value)
    return text if text in {operation.value for operation in Operation} else OTHER


def answer_code(backend: object, operation: str, code: object) -> str:
    """The gateway's answer code when its backend documents it for ``operation`` (or one of the words
    for no answer), else ``undocumented``: a lying gateway makes one series, not one per lie."""
    text = str(code)
    if text in NO_ANSWER_CODES:
        return text
    if not (isinstance(backend, type) and issubclass(backend, VoiceGateway)):
        return UNDOCUMENTED
    try:
        meaning = backend.describe(Operation(operation), text)
    except ValueError:
        return UNDOCUMENTED
    return text if meaning.documented and meaning.code == text else UNDOCUMENTED
