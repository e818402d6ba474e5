"""The outcome table is the code, and the documentation shows that very table."""

from __future__ import annotations

from pathlib import Path

from django_voiceotp.models import CallStatus, ChallengeStatus
from django_voiceotp.services.outcomes import OUTCOMES, Answer, Outcome

DOCS = Path(__file__).resolve().parents[2] / "docs" / "gateways.md"
BEGIN, END = "<!-- outcomes: rendered from OUTCOMES -->", "<!-- /outcomes -->"


def cell(outcome: Outcome) -> list[str]:
    refusal = outcome.refusal
    answered = "the challenge" if refusal is None else f"{refusal.status_code} `{refusal.code}`"
    challenge = (
        "pending, asked again at once with a new code" if outcome.retried else outcome.challenge_status
    )
    return [
        f"`{outcome.call_status}`",
        str(challenge),
        "as the second answer says"
        if outcome.retried
        else "kept"
        if outcome.keeps_cooldown
        else "given back",
        "counted" if outcome.charged else "not counted",
        "as the second answer says" if outcome.retried else answered,
        "yes" if outcome.fails_over else "no",
        str(outcome.health.value),
    ]


def rendered() -> str:
    head = [
        "answer",
        "call",
        "challenge",
        "cooldown",
        "spend cap, prefix guard",
        "the person gets",
        "next gateway",
        "the gateway's health",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for answer, outcome in OUTCOMES.items():
        lines.append("| " + " | ".join([answer.value, *cell(outcome)]) + " |")
    return "\n".join(lines)


def test_the_docs_show_the_table_the_code_uses():
    text = DOCS.read_text()
    assert BEGIN in text, f"docs/gateways.md has no {BEGIN} block"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == rendered(), "docs/gateways.md's outcome table differs from OUTCOMES:\n" + rendered()


def test_only_what_certainly_placed_no_call_fails_over():
    for answer, outcome in OUTCOMES.items():
        if outcome.fails_over:
            assert outcome.call_status == CallStatus.REJECTED, answer
            assert not outcome.keeps_cooldown, answer
            assert outcome.refusal is not None
            assert outcome.refusal.code in ("provider_rejected", "provider_unavailable"), answer


def test_every_answer_has_a_row():
    assert set(OUTCOMES) == set(Answer)


def test_a_call_that_may_have_reached_the_gateway_keeps_the_cooldown_and_counts():
    for answer, outcome in OUTCOMES.items():
        if answer is Answer.REPEATED:
            # Refused twice: nothing was placed, but the person is told to wait the cooldown out.
            assert outcome.keeps_cooldown
            assert not outcome.charged
            continue
        may_ring = outcome.call_status in (CallStatus.CALLING, CallStatus.UNKNOWN)
        assert outcome.keeps_cooldown is may_ring, answer
        assert outcome.charged is may_ring, answer


def test_a_challenge_stays_pending_only_when_its_call_may_come_and_no_refusal_is_given():
    for answer, outcome in OUTCOMES.items():
        if outcome.challenge_status == ChallengeStatus.PENDING:
            assert outcome.refusal is None, answer
        else:
            assert outcome.refusal is not None, answer
            assert not outcome.placed
