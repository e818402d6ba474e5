"""The admin's tests' fixtures."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from .pages import staff


@pytest.fixture
def operator(django_user_model: Any) -> Client:
    """Staff who may read challenges and calls but not whole numbers: most of a support team."""
    return staff(django_user_model, "view_otpchallenge", "view_voicecall")
