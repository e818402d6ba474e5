"""allauth's headless API as a single-page app (the browser client) or a mobile app (the app client,
with its ``X-Session-Token``) uses it, through the Django test client."""

from __future__ import annotations

from typing import Any

from django.test import Client


class HeadlessClient(Client):
    """One of allauth's two kinds of headless client; ``url(route)`` is ``/_allauth/<kind>/v1/<route>``."""

    def __init__(self, kind: str, **defaults: Any) -> None:
        super().__init__(**defaults)
        self.kind = kind
        self.session_token: str | None = None

    def url(self, route: str) -> str:
        return f"/_allauth/{self.kind}/v1/{route}"

    def call(self, method: str, route: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
        if self.session_token:
            extra["HTTP_X_SESSION_TOKEN"] = self.session_token
        response = self.generic(
            method,
            self.url(route),
            "" if body is None else _json(body),
            content_type="application/json",
            **extra,
        )
        if response["Content-Type"] == "application/json":
            token = response.json().get("meta", {}).get("session_token")
            if token:
                self.session_token = token
        return response

    def post_json(self, route: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.call("POST", route, body, **extra)

    def get_json(self, route: str, **extra: Any) -> Any:
        return self.call("GET", route, None, **extra)

    def force_login(self, user: Any, backend: str | None = None) -> None:
        super().force_login(user, backend)
        if self.kind == "app":
            self.session_token = self.session.session_key


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body)


def pending_flow(response: Any) -> str | None:
    flows = response.json().get("data", {}).get("flows", [])
    return next((flow["id"] for flow in flows if flow.get("is_pending")), None)


def error(response: Any) -> dict[str, Any]:
    """The first error of an answer (this app's refusals come one per field, or two for a wrong code)."""
    return dict(response.json()["errors"][0])


def is_authenticated(response: Any) -> bool:
    return bool(response.json().get("meta", {}).get("is_authenticated"))
