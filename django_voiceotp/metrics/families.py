"""The metrics themselves, in a registry of the app's own: the view serves them and nothing else of
the process (in multiprocess mode, what every worker wrote; see :mod:`.views`).

The names are the dashboard's (``docs/grafana/voiceotp.json``); a test checks it asks for no other.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 18.0, 30.0)
"""Seconds: a healthy gateway answers in tenths of a second; TIMEOUT's default allows 18."""
VERIFY_BUCKETS = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0)
"""Seconds from the challenge's start to its right code: a call rings, is heard, is typed in."""

CHALLENGES = Counter(
    "voiceotp_challenges",
    "Verifications asked for, by purpose and outcome (called, or the refusal's machine code).",
    ["purpose", "outcome"],
    registry=REGISTRY,
)
CALLS = Counter(
    "voiceotp_calls",
    "Calls by gateway and the status they reached (calling or unknown when placed, answered or "
    "unanswered when settled).",
    ["gateway", "status"],
    registry=REGISTRY,
)
GATEWAY_ANSWERS = Counter(
    "voiceotp_gateway_answers",
    "The gateways' answer codes, by gateway, endpoint (send, check, balance) and code; a code the "
    "gateway's documentation does not list is 'undocumented'.",
    ["gateway", "endpoint", "code"],
    registry=REGISTRY,
)
VERIFICATIONS = Counter(
    "voiceotp_verifications",
    "Codes checked, by result (verified, or the refusal's machine code).",
    ["result"],
    registry=REGISTRY,
)
REFUSALS = Counter(
    "voiceotp_refusals",
    "The REST API's refusals, by machine code.",
    ["code"],
    registry=REGISTRY,
)
GATEWAY_LATENCY = Histogram(
    "voiceotp_gateway_latency_seconds",
    "How long the gateways took to answer, by gateway and endpoint.",
    ["gateway", "endpoint"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
TIME_TO_VERIFY = Histogram(
    "voiceotp_time_to_verify_seconds",
    "Seconds from a challenge's start to its right code.",
    buckets=VERIFY_BUCKETS,
    registry=REGISTRY,
)

ALL = (CHALLENGES, CALLS, GATEWAY_ANSWERS, VERIFICATIONS, REFUSALS, GATEWAY_LATENCY, TIME_TO_VERIFY)
