"""A stand-in for the voice gateway: a real HTTP server speaking its protocol, for demos and tests.

Nobody can try voice OTP without a paid gateway account and a phone, and nobody can test what
happens when that gateway misbehaves. This package fills both gaps with the standard library only,
so ``python -m django_voiceotp.simulator`` runs anywhere, with no Django settings and no dependency.

It serves ``postSMS``, ``checkVoice`` and ``checkBalance`` under ``/onsmsapivoice/`` and answers as
``gateway-api.txt`` says (:mod:`.state` holds the rules). A taken call is charged and shown on the
calls page (``/calls``) with the code it would read out.

Failures on purpose, by the ending of the local-form number (the demo tells people to try these):

=========  ===============================================================================
ending     what the simulator does
=========  ===============================================================================
``99NN``   postSMS answers code NN for NN in 05 06 07 09 10 11 14 15 16 20 22 23 27 31
           (27 is "pending/unknown": recorded, not taken; a real gateway might still ring)
``9801``   postSMS answers HTTP 500
``9802``   postSMS hangs: no answer for ``hang_seconds`` (or until ``stop()``), then closes
``9803``   postSMS drops the connection without any HTTP answer
``9804``   postSMS answers HTTP 200 with an unreadable body
``9700``   taken, never answered: checkVoice says 27 until ``answer_after``, then 23
``9701``   taken, checkVoice says 27 forever
other      taken: checkVoice says 27 until ``answer_after`` seconds, then 1
=========  ===============================================================================

Faults can also be set for one number or for all, on any endpoint, by
:meth:`GatewaySimulator.set_fault` or ``POST /_control/faults``: a code (in any answer style, with any
HTTP status), the earned answer in another style, any body at all (NUL bytes included), a hang, a
drop, HTTP 500, garbage, a drip (the earned answer a byte every ``drip_seconds``) or a huge answer.
They fire before any other check, right after the request is recorded. Every reading of the
gateway's document it can speak (``answer_style``, ``balance_format``) is :mod:`.answers`'.

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
