"""The gateway of ``TEST_NUMBERS``: numbers the site controls, never dialled.

App-store reviewers and staging sites need a number whose code is known and that rings no phone.
A challenge for such a number is placed through this gateway instead of the site's: it takes the
call at once (nothing leaves the process), says it was answered, and has no balance. The rules give
the challenge the code the setting names and mark its rows as tests (the spend cap and the prefix
guard do not count them).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from .base import BalanceResult, CallOutcome, CheckResult, Kind, Meaning, Operation, SendResult, VoiceGateway

NAME = "test"


class TestNumbersGateway(VoiceGateway):
    """Takes every call and answers every check: the call rows of test numbers name it."""

    name: ClassVar[str] = NAME
    __test__ = False  # a gateway, not a test class for pytest to collect

    def place_call(self, phone: str, code: str) -> SendResult:
        request_id = f"test-{uuid.uuid4()}"
        return SendResult(Kind.TAKEN, "test", request_id, "a test number: nothing was dialled", 0)

    def call_outcome(self, request_id: str) -> CheckResult:
        return CheckResult(CallOutcome.ANSWERED, "test", "a test number: nothing was dialled", 0)

    def balance(self) -> BalanceResult:
        return BalanceResult(Kind.TAKEN, "test", None, "a test number's gateway has no balance", 0)

    @classmethod
    def codes(cls, operation: Operation) -> list[Meaning]:
        kind = Kind.TAKEN
        return [Meaning("test", kind, "A test number: nothing was dialled", "Số thử: không gọi đi")]


TEST_GATEWAY = TestNumbersGateway(options={}, timeout=(1.0, 1.0))
