"""The page where a person tries the whole flow, and the demo's window on the simulator."""

from __future__ import annotations

import ipaddress
import json
import urllib.request

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from django_voiceotp.metrics import views as metrics_views
from django_voiceotp.simulator.server import is_loopback_host


@ensure_csrf_cookie
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "example_project/index.html",
        {
            "simulator": bool(getattr(settings, "VOICEOTP_DEMO_SIMULATORS", {})),
            "allauth": getattr(settings, "ALLAUTH", False),
            "account_phone": _account_phone(request),
        },
    )


def _account_phone(request: HttpRequest) -> str:
    """The signed-in account's number as the API shows numbers (masked), read through allauth."""
    if not (getattr(settings, "ALLAUTH", False) and request.user.is_authenticated):
        return ""
    from allauth.account.adapter import get_adapter

    from django_voiceotp.services import normalize_phone

    held = get_adapter(request).get_phone(request.user)
    return normalize_phone(held[0]).masked if held else request.user.get_username()


def _from_this_machine(request: HttpRequest) -> bool:
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return client.is_loopback and is_loopback_host(request.headers.get("Host", "").split(",")[:1])


@require_GET
def simulator_calls(request: HttpRequest) -> JsonResponse:
    """The calls the simulators placed (one per gateway of the demo), with the code each 'read out',
    fetched server-side so the demo page works in the browser. Only in the demo, and only to this
    machine: the list relays every code, so a request from another address, or one whose Host names
    anything but this machine (a DNS rebinding page, a proxy in front), gets a 403 and no codes."""
    if not _from_this_machine(request):
        return JsonResponse({"error": "the demo lists the codes only to this machine"}, status=403)
    simulators: dict[str, str] = getattr(settings, "VOICEOTP_DEMO_SIMULATORS", {})
    if not simulators:
        return JsonResponse({"calls": [], "simulator": False})
    calls: list[dict[str, object]] = []
    silent = []
    for gateway, base in simulators.items():
        try:
            with urllib.request.urlopen(f"{base.rstrip('/')}/_control/calls", timeout=2) as answer:  # noqa: S310
                calls += [{**call, "gateway": gateway} for call in json.load(answer).get("calls", [])]
        except (OSError, ValueError):
            silent.append(gateway)
    calls.sort(key=lambda call: float(str(call.get("placed_at", 0))), reverse=True)
    shown: dict[str, object] = {"calls": calls[:10], "simulator": True}
    if silent:
        shown["error"] = f"not answering: {', '.join(silent)}"
    return JsonResponse(shown)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The app's Prometheus metrics (``VOICEOTP_METRICS=true``; a 404 otherwise): to this machine (a
    Prometheus beside the site, ``make demo``'s reader), else to staff or a bearer of
    ``VOICEOTP_METRICS_TOKEN``, as the app's own view answers. A request through a proxy in front
    names another Host and is not this machine's."""
    if _from_this_machine(request):
        return metrics_views.exposition()
    return metrics_views.metrics(request)
