"""The example site's URLs, plus the floor views and the site's probes under ``bench/`` and
django-phone-verify under ``api/``.

django-phone-verify's router has no trailing slashes: ``api/phone/register`` and ``api/phone/verify``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import include, path

from example_project.urls import urlpatterns as example_urlpatterns

from . import floor, floor_guarantees, site_info

urlpatterns: list[Any] = [
    *example_urlpatterns,
    path("bench/ping/", site_info.ping, name="bench-ping"),
    path("bench/site/", site_info.site, name="bench-site"),
    path("bench/floor/challenges/", floor.request_floor, name="bench-floor-request"),
    path(
        "bench/floor-guarantees/challenges/",
        floor_guarantees.request_with_guarantees,
        name="bench-floor-guarantees-request",
    ),
    path("bench/floor/challenges/<str:pk>/verify/", floor.verify_floor, name="bench-floor-verify"),
]

if getattr(settings, "HAS_PHONE_VERIFY", False):
    urlpatterns.append(path("api/", include("phone_verify.urls")))
