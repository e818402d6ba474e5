"""Django's error report for a request that fails, as its 500 mail carries it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import got_request_exception
from django.views.debug import ExceptionReporter


class DeepFailure(Exception):
    """Raised deep inside a verify (a site's receiver, a database that breaks)."""


@contextmanager
def error_reports() -> Iterator[list[str]]:
    """The HTML report (``ExceptionReporter(...).get_traceback_html()``, with the request, as
    ``AdminEmailHandler`` renders it) of each request that fails in the block."""
    reports: list[str] = []

    def keep(sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc_type, exc, tb = sys.exc_info()
        reports.append(ExceptionReporter(request, exc_type, exc, tb, is_email=True).get_traceback_html())

    got_request_exception.connect(keep)
    try:
        yield reports
    finally:
        got_request_exception.disconnect(keep)


@contextmanager
def a_verify_that_breaks() -> Iterator[None]:
    """A right code verifies, and a receiver of ``phone_verified`` then raises: the request fails
    while every frame from the view down to the rules is on the stack."""
    from django_voiceotp.signals import phone_verified

    def breaks(**kwargs: Any) -> None:
        raise DeepFailure("a receiver of phone_verified failed")

    phone_verified.connect(breaks, dispatch_uid="tests.reports.breaks")
    try:
        yield
    finally:
        phone_verified.disconnect(dispatch_uid="tests.reports.breaks")


def failing(path_of_the_code: Any) -> str:
    """The report of the one request ``path_of_the_code()`` makes, whose verify breaks deep inside."""
    with a_verify_that_breaks(), error_reports() as reports:
        response = path_of_the_code()
    assert response.status_code == 500
    [report] = reports
    assert "DeepFailure" in report  # the report is there, and it is a real one
    return report


def assert_shows_no(code: str, report: str) -> None:
    assert code not in report
    assert "********" in report  # the filter was at work on the frames that held it
