"""Keeping a typed code out of Django's error reports (the 500 mail, trackers that read its filter).

An error report lists every frame's local variables and the request's POST data. The integrations'
own functions that hold a code mark it with ``sensitive_variables``; the frames of Django's forms and
of the libraries above them hold it too (``_clean_fields``'s ``value``, django-otp's ``token``), so
the forms here mark everything below their validation, and the POST fields that carry a code.
Django's filter applies a ``sensitive_variables`` mark to the frames below the marked one (down to
the next mark), which is what lets a form hide what its callees and a library's callers hold.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables


def hide_post_fields(request: HttpRequest | None, *names: str) -> None:
    """What ``sensitive_post_parameters(*names)`` does for a view, done by a form for its own fields,
    on a view the integration does not own (allauth's, two-factor-auth's)."""
    if request is None or not isinstance(request, HttpRequest):
        return
    marked: Any = getattr(request, "sensitive_post_parameters", [])
    if marked == "__ALL__":
        return
    request.sensitive_post_parameters = [*marked, *(n for n in names if n not in marked)]  # type: ignore[attr-defined]


class HidesWhileValidating:
    """A form whose validation holds a typed code: every frame under it shows no variable in an
    error report (its own ``clean_*`` methods, marked themselves, show what they do not mark)."""

    @sensitive_variables()
    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
