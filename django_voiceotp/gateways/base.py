"""What the rules need from a voice gateway, and the neutral results every backend gives back.

The rules decide on kinds only (:class:`Kind`, :class:`CallOutcome`); each backend knows its own
wire, numbers, credentials and answer codes, and keeps what its gateway said (``code`` as the
gateway wrote it, ``raw``) so that an operator can read it later. A backend answers, or raises one
of the errors below when it has no answer the rules can act on; nothing else escapes it.

A backend is a small class (see :class:`VoiceGateway`), chosen by the dotted path in
``VOICEOTP["GATEWAY"]["BACKEND"]`` and built with its ``OPTIONS``: the operator's backend
(:mod:`.onsms`) by default, the in-process one (:mod:`.locmem`) in a site's tests.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from .safe_text import safe_text


class Kind(str, enum.Enum):
    """What an answer means for the rules, whichever gateway gave it."""

    TAKEN = "taken"
    """The gateway took the call (send), or the person answered (check), or the balance was read."""
    PENDING = "pending"
    """Not known yet: the call may still come (send), or it is still ringing (check)."""
    FAILED = "failed"
    """The call rang out: busy or no answer. The person never heard the code."""
    REPEAT = "repeat"
    """The gateway refuses the same content to this number within its repeat window."""
    RECIPIENT_REFUSED = "recipient_refused"
    """The subscriber refuses such calls."""
    BAD_NUMBER = "bad_number"
    """The gateway cannot call this number."""
    ACCOUNT = "account"
    """The site's account or configuration is wrong: credentials, IP, sender, template, expiry."""
    MONEY = "money"
    """The account has no money left."""
    GATEWAY_FAULT = "gateway_fault"
    """The gateway's own error, or a code its documentation does not list: it cannot say whether the
    call was placed."""


class Operation(str, enum.Enum):
    """The three things a gateway is asked; their answer codes live in separate tables."""

    SEND = "send"
    CHECK = "check"
    BALANCE = "balance"


class CallOutcome(str, enum.Enum):
    """How a placed call went."""

    ANSWERED = "answered"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Meaning:
    """One of a gateway's answer codes, in its operator's own words (English and Vietnamese)."""

    code: str
    kind: Kind
    title_en: str
    title_vi: str
    detail_en: str = ""
    detail_vi: str = ""
    documented: bool = True
    hint_en: str = ""
    """What an operator can do about it, when there is something to do (``check SENDER``)."""
    hint_vi: str = ""

    @property
    def meaning_en(self) -> str:
        return f"{self.title_en}: {self.detail_en}" if self.detail_en else self.title_en

    @property
    def meaning_vi(self) -> str:
        return f"{self.title_vi}: {self.detail_vi}" if self.detail_vi else self.title_vi

    def __str__(self) -> str:
        return f"{self.code} ({self.title_en})"


RAW_LIMIT = 500
"""How much of an answer is kept: enough for an operator to recognise it, no more."""
CODE_LIMIT = 32
"""How much of an answer code is kept: what a call row's code columns hold."""


def truncate(text: str, limit: int = RAW_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit]


def _clean(result: Any) -> None:
    """Make a result's ``code`` and ``raw`` safe to keep (:mod:`.safe_text`), whoever built it: a
    backend cannot hand the rules a NUL for the database or a newline for a log line."""
    object.__setattr__(result, "code", safe_text(str(result.code), CODE_LIMIT))
    object.__setattr__(result, "raw", safe_text(str(result.raw), RAW_LIMIT))


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer to "call this number and read out this code"."""

    kind: Kind
    code: str
    """The answer code as the gateway wrote it (safe text, at most :data:`CODE_LIMIT` characters)."""
    request_id: str | None
    """The gateway's id of the call, to ask about it later; None unless it was taken."""
    raw: str
    """What the gateway answered (safe text, at most :data:`RAW_LIMIT` characters), for the operator."""
    elapsed_ms: int
    status_code: int | None = None
    """The HTTP status the answer came with, for a gateway spoken to over HTTP."""

    def __post_init__(self) -> None:
        _clean(self)


@dataclass(frozen=True)
class CheckResult:
    """The gateway's answer to "how did this call go"."""

    outcome: CallOutcome
    code: str
    raw: str
    elapsed_ms: int
    status_code: int | None = None

    def __post_init__(self) -> None:
        _clean(self)


@dataclass(frozen=True)
class BalanceResult:
    """The gateway's answer to "how much is left"; ``balance`` is None unless it said."""

    kind: Kind
    code: str
    balance: Decimal | None
    raw: str
    elapsed_ms: int
    status_code: int | None = None

    def __post_init__(self) -> None:
        _clean(self)

    @property
    def ok(self) -> bool:
        return self.kind is Kind.TAKEN and self.balance is not None


class GatewayError(Exception):
    """The gateway gave no answer the rules can act on. Messages are fixed words and numbers, so
    that no credential, code or request body can reach a log line through ``str(exc)``."""

    def __init__(self, message: str, *, endpoint: str, elapsed_ms: int | None = None) -> None:
        message = safe_text(message, RAW_LIMIT)
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.elapsed_ms = elapsed_ms

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, endpoint={self.endpoint!r})"


class GatewayUnavailable(GatewayError):
    """No answer: refused connection, timeout, dropped line, or a non-2xx HTTP status.

    ``may_have_reached`` says whether the gateway could have acted on the request anyway (a timeout
    or a dropped line after sending): for a call, that it may ring and be charged.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        may_have_reached: bool,
        status_code: int | None = None,
        raw: str = "",
        elapsed_ms: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, elapsed_ms=elapsed_ms)
        self.may_have_reached = may_have_reached
        self.status_code = status_code
        self.raw = safe_text(raw, RAW_LIMIT)


class GatewayTimeout(GatewayUnavailable):
    """No whole answer in time: no connection within the connect timeout, no byte within the read
    timeout, or no complete answer within the two together (the request's deadline)."""


class GatewayProtocolError(GatewayError):
    """An answer the gateway's documentation does not describe. ``raw`` keeps its start (safe text)."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        raw: str,
        elapsed_ms: int | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, elapsed_ms=elapsed_ms)
        self.raw = safe_text(raw, RAW_LIMIT)
        self.status_code = status_code


class GatewayRefused(GatewayError):
    """The gateway answered with a code that answers nothing it was asked: checkVoice's -1 (wrong
    credentials), -2 (IP not allowed), 11 (bad parameters), 0, or a code it does not document.

    Not "pending": asking again changes nothing until someone fixes the cause, so a poller counts it
    as a failed check and asks that call less and less often. ``code`` and ``raw`` are what the
    gateway said (safe text), ``kind`` what it means (:attr:`Kind.ACCOUNT`, :attr:`Kind.GATEWAY_FAULT`
    for its own errors and undocumented codes).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        code: str,
        kind: Kind,
        raw: str = "",
        status_code: int | None = None,
        elapsed_ms: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, elapsed_ms=elapsed_ms)
        self.code = safe_text(code, CODE_LIMIT)
        self.kind = kind
        self.raw = safe_text(raw, RAW_LIMIT)
        self.status_code = status_code


class GatewayRequestError(GatewayError):
    """The request could not be built from what the caller gave, so nothing was sent.

    ``field`` names what was wrong: ``"phone"`` (a number the gateway cannot dial), ``"message"`` (a
    code it cannot read out) or ``"payload"`` (the body could not be built at all). Nothing reached
    the gateway and nothing was charged: the caller's mistake, not the gateway's answer.
    """

    may_have_reached = False

    def __init__(self, message: str, *, endpoint: str, field: str) -> None:
        super().__init__(message, endpoint=endpoint)
        self.field = field


class VoiceGateway:
    """The interface of a gateway backend; subclass it and point ``GATEWAY["BACKEND"]`` at it.

    ``options`` are ``GATEWAY["OPTIONS"]``; ``timeout`` is ``VOICEOTP["TIMEOUT"]``, the budget of one
    request to the gateway. Building one must be cheap and must not touch the network: the rules
    build one per request.
    """

    name: ClassVar[str] = ""
    """Kept on every call row beside the gateway's own codes, so that codes of two gateways never
    mix (``onsms``, ``locmem``)."""
    default_repeat_window: ClassVar[int] = 0
    """Seconds in which this gateway refuses the same code to the same number, unless the site sets
    ``REPEAT_WINDOW``."""
    option_names: ClassVar[tuple[str, ...]] = ()
    """The ``OPTIONS`` the backend reads; any other is reported by the system checks."""

    def __init__(self, *, options: Mapping[str, Any], timeout: tuple[float, float]) -> None:
        self.options = dict(options)
        self.timeout = timeout
        self.label = self.name
        """The name this gateway has on the site (``GATEWAYS``' ``NAME``, else :attr:`name`): what
        call rows keep, so that a poller asks the gateway that placed the call."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"

    def within(self, seconds: float) -> VoiceGateway:
        """This gateway with no more than ``seconds`` for one request, retries included: the rest of
        the time a chain of gateways has for one call. Backends with timeouts of their own give a
        copy with them cut; the default is the gateway itself."""
        return self

    def place_call(self, phone: str, code: str) -> SendResult:
        """Call ``phone`` (E.164) and read out ``code`` (digits). Never retried once the request may
        have reached the gateway: a second call is charged."""
        raise NotImplementedError

    def call_outcome(self, request_id: str) -> CheckResult:
        """How the call ``request_id`` went, as far as the gateway knows now."""
        raise NotImplementedError

    def balance(self) -> BalanceResult:
        """What is left on the account, in the gateway's unit."""
        raise NotImplementedError

    @classmethod
    def describe(cls, operation: Operation, code: str) -> Meaning:
        """One of this gateway's answer codes in its operator's words; an unknown code is described
        as undocumented (and is a :attr:`Kind.GATEWAY_FAULT`)."""
        for meaning in cls.codes(operation):
            if meaning.code == code:
                return meaning
        return undocumented(code)

    @classmethod
    def codes(cls, operation: Operation) -> list[Meaning]:
        """Every documented code of ``operation``, for the docs and the admin."""
        return []

    def deploy_problems(self) -> list[str]:
        """What is unsafe for production in the options (credentials over plain HTTP, ...), one
        sentence each, for ``manage.py check --deploy``. Must not touch the network."""
        return []

    def problems(self) -> list[str]:
        """What is wrong with the options (a missing credential, ...), one sentence each, for the
        system checks. Must not touch the network."""
        unknown = sorted(set(self.options) - set(self.option_names))
        return [
            f"OPTIONS has no {name!r}; it takes {', '.join(self.option_names) or 'none'}" for name in unknown
        ]

    @contextmanager
    def for_a_person(self) -> Iterator[VoiceGateway]:
        """This gateway for a read a person is waiting on (an admin page, an API read): no retries and
        short timeouts. Backends without retries give themselves."""
        yield self


def undocumented(code: str) -> Meaning:
    """A code the gateway's documentation does not list: kept as it came, a gateway fault."""
    return Meaning(
        code, Kind.GATEWAY_FAULT, "Undocumented code", "Mã không có trong tài liệu", documented=False
    )
