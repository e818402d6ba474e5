"""Telling whoever listens (``gateway_answered``, the metrics) what a gateway answered and how long
it took: one place for the three questions, so that a send, a check and a balance are told alike.

The rules and the balance reader call these after asking; the backends stay unaware. A test
number's gateway is never told about: it dials nothing and answers in no time.
"""

from __future__ import annotations

from ..signals import gateway_answered
from .base import (
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayRequestError,
    GatewayTimeout,
    GatewayUnavailable,
    Operation,
    VoiceGateway,
)
from .test_numbers import TestNumbersGateway

TIMEOUT = "timeout"
HTTP_ERROR = "http_error"
UNREACHABLE = "unreachable"
UNREADABLE = "unreadable"
NO_ANSWER_CODES = (TIMEOUT, HTTP_ERROR, UNREACHABLE, UNREADABLE)
"""What stands for the answer code when the gateway gave none: words, never one of its codes."""


def answered(gateway: VoiceGateway, operation: Operation, code: str, elapsed_ms: int | None) -> None:
    """The gateway answered ``code`` (as it wrote it) after ``elapsed_ms``."""
    if isinstance(gateway, TestNumbersGateway):
        return
    gateway_answered.send(
        sender=type(gateway),
        gateway=gateway.label,
        operation=operation.value,
        code=code,
        elapsed_ms=elapsed_ms,
    )


def failed(gateway: VoiceGateway, operation: Operation, exc: GatewayError) -> None:
    """The gateway gave no answer the rules can act on; nothing is told when nothing was sent."""
    if isinstance(exc, GatewayRequestError):
        return
    answered(gateway, operation, no_answer_code(exc), exc.elapsed_ms)


def no_answer_code(exc: GatewayError) -> str:
    if isinstance(exc, GatewayRefused):
        return exc.code
    if isinstance(exc, GatewayTimeout):
        return TIMEOUT
    if isinstance(exc, GatewayUnavailable):
        return HTTP_ERROR if exc.status_code is not None else UNREACHABLE
    if isinstance(exc, GatewayProtocolError):
        return UNREADABLE
    return UNREACHABLE
