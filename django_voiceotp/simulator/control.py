"""``/_control/<name>``: the simulator's state read and changed as JSON, for demos and other processes.

GET ``calls`` and ``received`` (newest first) and ``state``; POST ``faults``
(:meth:`.state.GatewayState.set_fault` keyword arguments), ``balance``, ``outcome``, ``reset``;
DELETE ``faults``. Bad input is a 400
``{"error": ...}``, never a crash.

``calls`` holds the codes, so a web page the developer happens to visit must not reach any of it.
No answer allows another origin to read it, and a change is taken only as ``application/json``: a
cross-site form or ``text/plain`` fetch (which a browser sends without asking first) gets 415, and a
JSON one needs a CORS preflight nobody here grants. The server adds the Host check that stops a
DNS-rebinding page, which would otherwise be same-origin.
"""

from __future__ import annotations

from typing import Any

from .records import Reply, error, json_reply, parse_json
from .state import GatewayState

ROUTES = {"calls": "GET", "received": "GET", "state": "GET", "faults": "POST, DELETE"}
ROUTES |= {"balance": "POST", "outcome": "POST", "reset": "POST"}
_FAULT_FIELDS = frozenset({"fault", "number", "endpoint", "code", "times", "status", "style", "body"})


def handle_control(
    state: GatewayState, method: str, name: str, raw: bytes | None, content_type: str | None
) -> Reply:
    """The reply to ``method`` on ``/_control/<name>``; ``raw=None`` means the body was too big."""
    if name not in ROUTES:
        return error(404, f"no control endpoint {name!r}")
    if method not in ROUTES[name].split(", "):
        return error(405, f"use {ROUTES[name]}", ("Allow", ROUTES[name]))
    if method == "GET":
        return json_reply(view(state, name))
    if not is_json(content_type):
        return error(415, "send the body as Content-Type: application/json ({} for none)")
    if raw is None:
        return error(413, "request body too large")
    data = parse_json(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        return error(400, "the body must be a JSON object")
    try:
        return json_reply(_change(state, method, name, data))
    except (ValueError, LookupError, TypeError) as exc:
        return error(400, str(exc).strip("'\""))


def is_json(content_type: str | None) -> bool:
    """``application/json``, with or without parameters such as ``charset``."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def view(state: GatewayState, name: str) -> dict[str, Any]:
    if name == "calls":
        return {"calls": [c.to_dict() for c in reversed(state.calls)]}
    if name == "received":
        return {"received": [r.to_dict() for r in reversed(state.received)]}
    return state.state()


def _change(state: GatewayState, method: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    if name == "faults" and method == "DELETE":
        state.clear_faults()
    elif name == "faults":
        unknown = set(data) - _FAULT_FIELDS
        if unknown or not isinstance(data.get("fault"), str):
            raise ValueError(f"unknown fields {sorted(unknown)}" if unknown else "need fault")
        state.set_fault(data.pop("fault"), **data)
    elif name == "balance":
        state.set_balance(data.get("balance"))  # type: ignore[arg-type]  # checked at run time
    elif name == "outcome":
        target = data.get("request_id") or data.get("phone")
        if not isinstance(target, str) or not isinstance(data.get("outcome"), str):
            raise ValueError("give request_id or phone, and outcome")
        return {"call": state.set_outcome(target, data["outcome"]).to_dict()}
    else:
        state.reset()
    return state.state()
