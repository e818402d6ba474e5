"""What the site under load says about itself: proof that the settings a run claims reached it.

The launcher waits on ``ping`` (no database, no gateway) before it measures anything, the load loop
asks it which worker a connection reached, and the report
prints ``site`` as a worker answers it: the database connection's ``CONN_MAX_AGE`` (persistent
connections, as dj-database-url hands them over), the cache backend, the rate limits and the resend
cooldown the app will apply, and whether ``DEBUG`` is off.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from django_voiceotp.conf import get_settings


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """``ok <pid>``: which worker answered, so the load loop can spread its connections."""
    return HttpResponse(f"ok {os.getpid()}", content_type="text/plain")


@require_GET
def site(request: HttpRequest) -> JsonResponse:
    values = get_settings()
    return JsonResponse(
        {
            "pid": os.getpid(),
            "debug": settings.DEBUG,
            "database": connection.vendor,
            "conn_max_age": connection.settings_dict.get("CONN_MAX_AGE"),
            "conn_health_checks": connection.settings_dict.get("CONN_HEALTH_CHECKS"),
            "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            "rate_limits": dict(values.RATE_LIMITS),
            "resend_cooldown": values.RESEND_COOLDOWN,
            "gateway": values.GATEWAY.BACKEND.rsplit(".", 1)[-1],
        }
    )
