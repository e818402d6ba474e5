"""The calls page (``/`` and ``/calls``): what a person trying the demo needs to finish the flow.

It shows the code each call would read out: the point of a demo, and why the server answers it only
to loopback names (see :mod:`.server`).
"""

from __future__ import annotations

import html
import json
import time

from .state import GatewayState, endings


def _clock_time(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp))


def render_page(state: GatewayState, base_url: str) -> str:
    """The page, every value escaped: phones and faults are whatever a request sent."""
    e = html.escape
    calls = (
        "".join(
            f"<tr><td>{e(_clock_time(c.placed_at))}</td>"
            f"<td>{e(c.phone)}</td><td class=code>{e(c.code)}</td>"
            f"<td class={e(c.outcome)}>{e(c.outcome)}</td><td>{c.checks}</td></tr>"
            for c in reversed(state.calls)
        )
        or "<tr><td colspan=5>No call yet.</td></tr>"
    )
    recent = "".join(
        f"<tr><td>{e(_clock_time(r.received_at))}</td>"
        f"<td>{e(r.endpoint)}</td><td>{e(str(r.phone or r.request_id or ''))}</td>"
        f"<td>{e(r.answer[:80])}</td><td>{e(r.fault or '')}</td></tr>"
        for r in list(reversed(state.received))[:20]
    )
    table = "".join(f"<tr><td>…{e(end)}</td><td>{e(what)}</td></tr>" for end, what in endings())
    faults = ", ".join(e(json.dumps(f.to_dict())) for f in state.faults) or "none"
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=2>
<title>Voice gateway simulator</title><style>
body{{font:15px system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}}
.code{{font:bold 2em ui-monospace,monospace;letter-spacing:.15em}}
.answered{{color:#070}} .failed{{color:#b00}} .pending{{color:#a60}} h2{{margin-top:1.5em}}
</style></head><body>
<h1>Voice gateway simulator</h1>
<p>Base URL: <code>{e(base_url)}</code> · balance: <b>{state.balance}</b> · faults: {faults}</p>
<h2>Calls placed (newest first)</h2>
<table><tr><th>time</th><th>phone</th><th>code read out</th><th>outcome</th><th>checks</th></tr>
{calls}</table>
<h2>Last requests</h2>
<table><tr><th>time</th><th>endpoint</th><th>phone / request</th><th>answer</th><th>why</th></tr>
{recent}</table>
<h2>Number endings that fail on purpose</h2>
<table><tr><th>ending</th><th>what happens</th></tr>{table}</table>
</body></html>
"""
