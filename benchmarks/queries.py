"""SQL statements per request and per verify, counted in process, on the benchmark's settings.

The README states budgets (8 per request, 3 per verify) that the tests hold as maxima inside a test
transaction. This measures what a live request sends, through Django's test client and the whole
middleware stack, with ``CaptureQueriesContext`` on the run's own database and simulator, and lists
each statement's verb and table so a change in the count can be read, not just noticed. On SQLite
Django sends ``BEGIN`` itself (counted); on PostgreSQL a transaction starts without a statement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .launcher import Simulator
from .load import Call
from .scenarios import PHASES, phones, request_calls, started, verify_calls

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Counted:
    status: int
    statements: list[str]

    @property
    def count(self) -> int:
        return len(self.statements)


_WRITE = re.compile(r'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def _short(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    if verb == "WITH":  # several writes as one statement: each one's verb and table
        writes = [f"{what.split()[0].upper()} {table}" for what, table in _WRITE.findall(sql)]
        return f"WITH ({' + '.join(writes)})"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table and verb in {"SELECT", "INSERT", "UPDATE", "DELETE"} else verb


def _send(client: Client, call: Call) -> tuple[Counted, str]:
    """Send one call through the test client, counting what reaches the database."""
    with CaptureQueriesContext(connection) as context:
        response = client.generic(call.method, call.url, json.dumps(call.json), "application/json")
    statements = [_short(q["sql"]) for q in context.captured_queries]
    return Counted(response.status_code, statements), response.content.decode()


def count_all(sim: Simulator, contenders: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{contender: {"request": ..., "verify_wrong": ..., "verify_right": ...}}``, each
    ``{"status", "statements", "count"}``: the same calls as the load phases, one of each (the
    contenders without a verify of their own: the request alone)."""
    client = Client(HTTP_HOST="127.0.0.1")
    out: dict[str, dict[str, Any]] = {}
    for contender in contenders:
        numbers = phones(contender, 9, 1)  # round 9: never used by the load phases
        answers = [_send(client, call) for call in request_calls(contender, "", numbers)]
        counted = {"request": answers[0][0]}
        if "verify" in PHASES[contender]:
            items = started(contender, numbers.__getitem__, {i: body for i, (_, body) in enumerate(answers)})
            checks = verify_calls(contender, "", items, sim.codes_by_phone())  # wrong, then right
            verifies = [_send(client, call)[0] for call in checks]
            if len(verifies) == 2:
                counted |= {"verify_wrong": verifies[0], "verify_right": verifies[1]}
        out[contender] = {name: {**asdict(c), "count": c.count} for name, c in counted.items()}
    return out
