"""The metrics page, for Prometheus: staff, or a scraper with ``METRICS_TOKEN`` as its bearer token.

Mount it where the site likes (``path("metrics/", include("django_voiceotp.metrics.urls"))``). With
``METRICS`` off it is a 404, as if it were not there. Anyone else gets a bare 401 (a token is set: a
scraper sends it) or 403 (staff only), with no number in it; the token is compared in constant
time. Under several workers (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
before the workers start: each worker writes its counts there and the page serves their sum, the
gauges read once from the database and the cache.
"""

from __future__ import annotations

import hmac
import os

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..conf import get_settings
from . import switched_on

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics, to staff or to the bearer of ``METRICS_TOKEN``."""
    if not switched_on():
        raise Http404()
    token = get_settings().METRICS_TOKEN
    given = _bearer(request)
    if given is not None and token is not None and _same(given, token):
        return exposition()
    user = getattr(request, "user", None)
    if given is None and user is not None and user.is_active and user.is_staff:
        return exposition()
    if token is not None:
        refused = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    return HttpResponse("forbidden\n", status=403, content_type="text/plain")


def exposition() -> HttpResponse:
    """The metrics in Prometheus' text format, with no check of who asks: for a site's own view that
    decides that itself (the example site's, which answers this machine)."""
    if not switched_on():
        raise Http404()
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    from . import families, state

    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(state.STATE)
    else:
        registry = families.REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _same(given: str, token: str) -> bool:
    """Constant time in the token's content, whatever the header holds (bytes: a non-ASCII header
    must not raise)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8"))
