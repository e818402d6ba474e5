"""Purposes the integrations own: their challenges are theirs alone.

allauth's flows (``allauth.login``, ``allauth.verify_phone``, ...) and django-otp's devices
(``django_otp:<device>``) start challenges of their own purposes and keep each challenge's id where
only their pages reach it. The public REST API refuses those purposes, and answers as for no
challenge at all when given one of their ids: nobody can start, read, resend or guess at a login in
progress through it.
"""

from __future__ import annotations

INTEGRATION_PREFIXES = ("allauth.", "django_otp:")


def owned_by_an_integration(purpose: str) -> bool:
    return purpose.startswith(INTEGRATION_PREFIXES)
