"""The example site's /metrics/: to this machine as it is, to anyone else as the app's view answers."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from example_project.views import metrics


@pytest.mark.parametrize(
    ("address", "host", "status"),
    [
        ("127.0.0.1", "127.0.0.1:8000", 200),
        ("::1", "localhost:8000", 200),
        ("203.0.113.7", "127.0.0.1:8000", 403),  # another machine, not staff
        ("127.0.0.1", "demo.example.com", 403),  # a proxy in front, or a DNS-rebinding page
    ],
)
@pytest.mark.django_db
def test_the_example_serves_the_metrics_to_this_machine_only(settings, address, host, status):
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/metrics/", REMOTE_ADDR=address, HTTP_HOST=host)
    with override_settings(VOICEOTP={**settings.VOICEOTP, "METRICS": True}):
        answer = metrics(request)
    assert answer.status_code == status
    assert (b"voiceotp_calls_open" in answer.content) is (status == 200)


def test_with_metrics_off_the_page_is_not_there(settings):
    from django.http import Http404

    request = RequestFactory().get("/metrics/", REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1:8000")
    with pytest.raises(Http404):
        metrics(request)
