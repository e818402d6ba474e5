"""Fixtures of the django-otp and django-two-factor-auth tests.

These tests need their own settings (``tests.contrib.settings``); under the suite's own settings
they are left out here; ``make test`` runs them in a pytest invocation of their own.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

if "django_voiceotp.contrib.otp" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]

PASSWORD = "correct-horse-battery"
PHONE = "0361234567"
E164 = "+84361234567"


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ana", "ana@example.com", PASSWORD)


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("binh", "binh@example.com", PASSWORD)


@pytest.fixture
def device(user: Any) -> Any:
    from django_voiceotp.contrib.otp.models import VoiceCallDevice

    return VoiceCallDevice.objects.create(user=user, name="default", number=E164)


def wizard_post(client: Any, url: str, wizard: str, step: str, data: dict[str, str], **extra: Any) -> Any:
    """Post one step of a django-formtools wizard as its page would: the step's fields, prefixed."""
    body = {f"{wizard}-current_step": step, **{f"{step}-{name}": value for name, value in data.items()}}
    return client.post(url, body, **extra)
