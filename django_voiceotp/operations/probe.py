"""Asking the site's gateway one question, once, to see what it says: ``voiceotp_gateway``.

This is how a site finds out on its first day that the real gateway speaks a form nobody foresaw: the
answer is shown as it came (safe text, with the password, the key and the code replaced), beside the
HTTP status, the time it took and how the app read it. The question goes through the gateway's variant
for a person waiting (:meth:`~..gateways.base.VoiceGateway.for_a_person`: no retries, so exactly one
exchange), and nothing is written anywhere: a call placed here is no challenge's, is not counted
against ``DAILY_CALL_LIMIT`` and is asked about only with ``--check``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.views.decorators.debug import sensitive_variables

from ..gateways import (
    BalanceResult,
    CheckResult,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayRequestError,
    GatewayUnavailable,
    Kind,
    Meaning,
    Operation,
    SendResult,
    VoiceGateway,
    get_gateway,
)
from ..phones import Phone

READ, REFUSED, UNREADABLE, NO_ANSWER, NOT_ASKED = "read", "refused", "unreadable", "no answer", "not asked"
EXIT_CODES = {READ: 0, REFUSED: 1, UNREADABLE: 2, NO_ANSWER: 3, NOT_ASKED: 4}
"""The command's exit status for each outcome: 0 read as a success or an outcome, 1 read as a refusal
or an error code, 2 an answer the app cannot read, 3 no answer, 4 nothing was asked."""
Result = SendResult | CheckResult | BalanceResult


@dataclass(frozen=True)
class Probe:
    """One question and what came of it, every text safe to print."""

    asked: str
    gateway: str
    outcome: str
    reading: str
    hint: str = ""
    status_code: int | None = None
    elapsed_ms: int | None = None
    raw: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def ask_balance(gateway: VoiceGateway | None = None) -> Probe:
    """Ask ``gateway`` (the site's first when None) for its balance."""
    return _ask("checkBalance", Operation.BALANCE, lambda once: once.balance(), gateway)


@sensitive_variables("code")
def ask_call(phone: Phone, code: str, gateway: VoiceGateway | None = None) -> Probe:
    """Place a real call to ``phone`` reading out ``code`` (never shown): it costs money."""
    asked = f"postSMS to {phone.masked} (a code of {len(code)} digits, not shown)"
    return _ask(asked, Operation.SEND, lambda once: once.place_call(phone.e164, code), gateway)


def ask_check(request_id: str, gateway: VoiceGateway | None = None) -> Probe:
    """Ask ``gateway`` how its call ``request_id`` went: only the gateway that placed a call knows it."""
    return _ask(
        f"checkVoice for {request_id}",
        Operation.CHECK,
        lambda once: once.call_outcome(request_id),
        gateway,
    )


@sensitive_variables("question")
def _ask(
    asked: str,
    operation: Operation,
    question: Callable[[VoiceGateway], Result],
    gateway: VoiceGateway | None,
) -> Probe:
    gateway = gateway or get_gateway()
    seen: dict[str, Any] = {"asked": asked, "gateway": repr(gateway), "warnings": gateway.deploy_problems()}
    problems = gateway.problems()
    if problems:
        return Probe(
            **seen, outcome=NOT_ASKED, reading="the gateway is not configured: " + "; ".join(problems)
        )
    try:
        with gateway.for_a_person() as once:
            result = question(once)
    except GatewayError as exc:
        return Probe(**seen, **_failure(operation, exc))
    return Probe(
        **seen,
        **_reading(gateway, operation, result),
        status_code=result.status_code,
        elapsed_ms=result.elapsed_ms,
        raw=result.raw,
    )


def _meaning(meaning: Meaning) -> str:
    return f"code {meaning.code}: {meaning.meaning_en} / {meaning.meaning_vi}"


def _reading(gateway: VoiceGateway, operation: Operation, result: Result) -> dict[str, Any]:
    """How the app read an answer: what it means, and whether that is a success (exit 0)."""
    meaning = gateway.describe(operation, result.code)
    if isinstance(result, BalanceResult):
        if result.ok and result.balance is not None:
            return {
                "outcome": READ,
                "reading": f"the balance, {_amount(result.balance)} ({_meaning(meaning)})",
            }
        return {"outcome": REFUSED, "reading": f"no balance: {_meaning(meaning)}", "hint": meaning.hint_en}
    if isinstance(result, CheckResult):
        return {"outcome": READ, "reading": f"the call is {result.outcome.value} ({_meaning(meaning)})"}
    if result.kind is Kind.TAKEN:
        check = f"; ask how it went: manage.py voiceotp_gateway --check {result.request_id}"
        return {
            "outcome": READ,
            "reading": f"taken, request id {result.request_id} ({_meaning(meaning)}){check}",
        }
    kept = f", request id {result.request_id}" if result.request_id else ""
    reading = f"{result.kind.value}{kept} ({_meaning(meaning)})"
    return {"outcome": REFUSED, "reading": reading, "hint": meaning.hint_en}


def _failure(operation: Operation, exc: GatewayError) -> dict[str, Any]:
    """How the app read a failure: an error code, an unreadable answer, no answer, nothing sent."""
    elapsed = {"elapsed_ms": exc.elapsed_ms}
    if isinstance(exc, GatewayRequestError):
        return {"outcome": NOT_ASKED, "reading": f"nothing was sent: {exc.message}"}
    if isinstance(exc, GatewayRefused):
        reading = f"an error of the check, not an outcome: {exc.message}"
        return {
            "outcome": REFUSED,
            "reading": reading,
            "raw": exc.raw,
            "status_code": exc.status_code,
            **elapsed,
        }
    maybe = " (the call may still ring: it is unknown)" if operation is Operation.SEND else ""
    if isinstance(exc, GatewayProtocolError):
        return {
            "outcome": UNREADABLE,
            "reading": f"{exc.message}{maybe}",
            "hint": "A form the app does not read: report the answer above to the app's maintainers.",
            "raw": exc.raw,
            "status_code": exc.status_code,
            **elapsed,
        }
    if isinstance(exc, GatewayUnavailable):
        maybe = maybe if exc.may_have_reached else " (it never reached the gateway)"
        reading = f"no answer: {exc.message}{maybe}"
        return {
            "outcome": NO_ANSWER,
            "reading": reading,
            "raw": exc.raw,
            "status_code": exc.status_code,
            **elapsed,
        }
    return {"outcome": NO_ANSWER, "reading": f"no answer: {exc.message}", **elapsed}


def _amount(balance: Decimal) -> str:
    return str(balance.quantize(Decimal(1)) if balance == balance.to_integral_value() else balance)
