"""What each signal adds to the metrics; connected by :func:`django_voiceotp.metrics.sync` only while
``METRICS`` is on. A receiver never raises into the rules: a metric lost is logged, a request never
fails for one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

from .. import signals
from . import families, labels

logger = logging.getLogger("django_voiceotp.metrics")


def _safely(receiver: Callable[..., None]) -> Callable[..., None]:
    def guarded(**kwargs: Any) -> None:
        try:
            receiver(**kwargs)
        except Exception:  # a metric is never worth a failed request
            logger.warning("metrics: %s failed", receiver.__name__, exc_info=True)

    guarded.__name__ = receiver.__name__
    return guarded


@_safely
def on_verification_requested(*, purpose: object, outcome: object, **kwargs: Any) -> None:
    families.CHALLENGES.labels(
        labels.purpose(purpose), labels.machine_code(outcome, success=labels.CALLED)
    ).inc()


@_safely
def on_call_placed(*, call: Any, **kwargs: Any) -> None:
    families.CALLS.labels(labels.gateway(call.gateway), labels.call_status(call.status)).inc()


@_safely
def on_call_status_changed(*, call: Any, new_status: object, **kwargs: Any) -> None:
    if new_status is None:
        return
    families.CALLS.labels(labels.gateway(call.gateway), labels.call_status(new_status)).inc()


@_safely
def on_gateway_answered(
    *, sender: object, gateway: object, operation: object, code: object, elapsed_ms: object, **kwargs: Any
) -> None:
    name, endpoint = labels.gateway(gateway), labels.endpoint(operation)
    families.GATEWAY_ANSWERS.labels(name, endpoint, labels.answer_code(sender, str(operation), code)).inc()
    if isinstance(elapsed_ms, (int, float)) and not isinstance(elapsed_ms, bool) and elapsed_ms >= 0:
        families.GATEWAY_LATENCY.labels(name, endpoint).observe(elapsed_ms / 1000)


@_safely
def on_code_checked(*, result: object, **kwargs: Any) -> None:
    families.VERIFICATIONS.labels(labels.machine_code(result, success=labels.VERIFIED)).inc()


@_safely
def on_phone_verified(*, challenge: Any, **kwargs: Any) -> None:
    started, verified = challenge.created_at, challenge.verified_at
    if started is not None and verified is not None:
        families.TIME_TO_VERIFY.observe(max((verified - started).total_seconds(), 0.0))


@_safely
def on_api_refused(*, code: object, **kwargs: Any) -> None:
    families.REFUSALS.labels(labels.machine_code(code)).inc()


RECEIVERS: tuple[tuple[Signal, Callable[..., None]], ...] = (
    (signals.verification_requested, on_verification_requested),
    (signals.call_placed, on_call_placed),
    (signals.call_status_changed, on_call_status_changed),
    (signals.gateway_answered, on_gateway_answered),
    (signals.code_checked, on_code_checked),
    (signals.phone_verified, on_phone_verified),
    (signals.api_refused, on_api_refused),
)


def _uid(receiver: Callable[..., None]) -> str:
    return f"django_voiceotp.metrics.{receiver.__name__}"


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, weak=False, dispatch_uid=_uid(receiver))


def disconnect() -> None:
    for signal, receiver in RECEIVERS:
        signal.disconnect(dispatch_uid=_uid(receiver))
