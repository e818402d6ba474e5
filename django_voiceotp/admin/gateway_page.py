"""The admin's gateway page and its "Refresh balance" button, served under the challenges' admin.

Both need the ``django_voiceotp.view_gateway`` permission (:mod:`.access`). The figures come from
:mod:`..operations`; this module only gathers them for the template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .. import health
from ..conf import get_settings
from ..gateways import get_gateways
from ..guards import calls_in_last_day, lift
from ..models import PrefixBlock
from ..operations.balance import read_balance, read_balances
from ..operations.chart import bar_chart
from ..operations.stats import gateway_stats
from .access import can_see_gateway
from .time_range import HOURS_CHOICES, time_range

PAGE_URL_NAME = "django_voiceotp_gateway"
REFRESH_URL_NAME = "django_voiceotp_gateway_balance"
LIFT_URL_NAME = "django_voiceotp_gateway_lift"
LIFT_PERMISSION = "django_voiceotp.change_prefixblock"


def urls(model_admin: ModelAdmin[Any]) -> list[URLPattern]:
    """The page and the button, wrapped by the admin site (staff login, CSRF, no caching)."""

    def wrap(view: Callable[[ModelAdmin[Any], HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
        return model_admin.admin_site.admin_view(lambda request: view(model_admin, request))

    return [
        path("gateway/", wrap(gateway_page), name=PAGE_URL_NAME),
        path("gateway/balance/", wrap(refresh_balance), name=REFRESH_URL_NAME),
        path(
            "gateway/blocks/<int:block_id>/lift/", wrap_with_id(model_admin, lift_block), name=LIFT_URL_NAME
        ),
    ]


def wrap_with_id(
    model_admin: ModelAdmin[Any], view: Callable[[ModelAdmin[Any], HttpRequest, int], HttpResponse]
) -> Callable[..., HttpResponse]:
    return model_admin.admin_site.admin_view(lambda request, block_id: view(model_admin, request, block_id))


def lift_block(model_admin: ModelAdmin[Any], request: HttpRequest, block_id: int) -> HttpResponse:
    """Lift one of the prefix guard's blocks from the gateway page (POST; the blocks' change
    permission): the operator judged it a false alarm."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not (can_see_gateway(request) and request.user.has_perm(LIFT_PERMISSION)):
        raise PermissionDenied
    block = PrefixBlock.objects.filter(pk=block_id).first()
    if block is not None and lift(block, request.user):
        messages.success(request, _("The block of %(prefix)s is lifted.") % {"prefix": block.prefix})
    else:
        messages.warning(request, _("That block was over already."))
    return HttpResponseRedirect(gateway_url(model_admin))


def gateway_url(model_admin: ModelAdmin[Any]) -> str:
    return reverse(f"{model_admin.admin_site.name}:{PAGE_URL_NAME}")


def balance_context(request: HttpRequest, model_admin: ModelAdmin[Any]) -> dict[str, Any]:
    """What the balance block and the gateway link need; nothing for staff without the permission."""
    if not can_see_gateway(request):
        return {}
    return {
        "voiceotp_balances": read_balances(),
        "voiceotp_named": len(get_gateways()) > 1,
        "voiceotp_gateway_url": gateway_url(model_admin),
        "voiceotp_balance_refresh_url": reverse(f"{model_admin.admin_site.name}:{REFRESH_URL_NAME}"),
    }


def gateway_page(model_admin: ModelAdmin[Any], request: HttpRequest) -> HttpResponse:
    """Balance, call outcomes, refusals, conversion and calls per hour, for a chosen time range."""
    if not can_see_gateway(request):
        raise PermissionDenied
    since, until, problem = time_range(request)
    if problem:
        messages.warning(request, problem)
    stats = gateway_stats(since, until)
    calls = {row.gateway: row for row in stats.by_gateway}
    context = {
        **model_admin.admin_site.each_context(request),
        **balance_context(request, model_admin),
        "title": _("Voice gateway"),
        "opts": model_admin.opts,
        "stats": stats,
        "gateways": [
            {
                "label": g.label,
                "backend": g.name,
                "health": health.health_of(g.label),
                "calls": calls.get(g.label),
            }
            for g in get_gateways()
        ],
        "chart": bar_chart([(b.start, b.count) for b in stats.buckets]),
        "hours_choices": HOURS_CHOICES,
        "hours_selected": round((stats.until - stats.since).total_seconds() / 3600),
        "since_value": timezone.localtime(stats.since).date().isoformat(),
        "until_value": timezone.localtime(stats.until).date().isoformat(),
        "conversion_percent": None if stats.conversion is None else round(stats.conversion * 100, 1),
        **guard_context(),
        "can_lift": request.user.has_perm(LIFT_PERMISSION),
        "lift_url_name": f"{model_admin.admin_site.name}:{LIFT_URL_NAME}",
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/django_voiceotp/gateway.html", context)


def refresh_balance(model_admin: ModelAdmin[Any], request: HttpRequest) -> HttpResponse:
    """Ask the gateway named in the form now (every gateway when none is), bypassing the cache (POST
    only; the admin view adds CSRF and staff checks)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_see_gateway(request):
        raise PermissionDenied
    asked = request.POST.get("gateway", "")
    named = next((gateway for gateway in get_gateways() if gateway.label == asked), None)
    readings = [read_balance(named, refresh=True)] if named else read_balances(refresh=True)
    several = len(get_gateways()) > 1
    for reading in readings:
        level = messages.SUCCESS if reading.ok and not reading.low else messages.WARNING
        messages.add_message(request, level, reading.named_message if several else reading.message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = gateway_url(model_admin)
    return HttpResponseRedirect(target)


def guard_context() -> dict[str, Any]:
    """Today's spend against ``DAILY_CALL_LIMIT`` and the prefixes the fraud guard holds now."""
    limit = get_settings().DAILY_CALL_LIMIT
    used = calls_in_last_day()
    now = timezone.now()
    return {
        "daily_limit": limit,
        "daily_used": used,
        "daily_left": None if limit is None else max(limit - used, 0),
        "daily_percent": None if not limit else min(round(used * 100 / limit), 100),
        "prefix_blocks": list(
            PrefixBlock.objects.filter(lifted_at__isnull=True, blocked_until__gt=now).order_by("-blocked_at")[
                :20
            ]
        ),
    }
