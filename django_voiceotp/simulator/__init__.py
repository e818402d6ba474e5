"""A stand-in for the voice gateway: a real HTTP server speaking its protocol, for demos and tests.

Nobody can try voice OTP without a paid gateway account and a phone, nor test what happens when the
gateway misbehaves. This package fills both gaps with the standard library only, so
``python -m django_voiceotp.simulator`` runs anywhere, with no Django settings and no dependency.

It serves ``postSMS``, ``checkVoice`` and ``checkBalance`` under ``/onsmsapivoice/`` as
``gateway-api.txt`` says, and shows each taken call with its code on ``/calls``. It fails on purpose
by the ending of the number (``99NN`` answers code NN, ``9801`` to ``9804`` a 500, a hang, a drop,
nonsense; ``9700`` and ``9701`` never answered) or by a fault set with
:meth:`GatewaySimulator.set_fault` or ``POST /_control/faults``; ``docs/gateways.md`` ("The
simulator") has the tables.

The modules: :mod:`.state` (the protocol and what it remembers, no sockets), :mod:`.answers` (how an
answer is written), :mod:`.faults` (failures on purpose), :mod:`.records` (the values it hands out),
:mod:`.control` (``/_control/``), :mod:`.page` (the calls page), :mod:`.server` (the HTTP server and
:class:`GatewaySimulator`), :mod:`.cli` (the command line).
"""

from __future__ import annotations

from .answers import ANSWER_STYLES, BALANCE_FORMATS
from .cli import build_parser, main, serve
from .control import ROUTES
from .faults import ENDPOINTS, FAULTS
from .records import Fault, PlacedCall, ReceivedRequest, Reply
from .server import MAX_BODY, GatewaySimulator
from .state import (
    ENDING_CODES,
    ENDING_LIST,
    MAX_RECEIVED,
    NEVER_ANSWERED,
    OUTCOMES,
    PENDING_FOREVER,
    PREFIX,
    TRANSPORT_ENDINGS,
    GatewayState,
    endings,
)

__all__ = [
    "ANSWER_STYLES",
    "BALANCE_FORMATS",
    "ENDING_CODES",
    "ENDING_LIST",
    "ENDPOINTS",
    "FAULTS",
    "MAX_BODY",
    "MAX_RECEIVED",
    "NEVER_ANSWERED",
    "OUTCOMES",
    "PENDING_FOREVER",
    "PREFIX",
    "ROUTES",
    "TRANSPORT_ENDINGS",
    "Fault",
    "GatewaySimulator",
    "GatewayState",
    "PlacedCall",
    "ReceivedRequest",
    "Reply",
    "build_parser",
    "endings",
    "main",
    "serve",
]
