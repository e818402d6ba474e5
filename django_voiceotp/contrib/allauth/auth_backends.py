"""allauth's authentication backend, with a number's unverified claims tried by their own password.

allauth finds the account a number and a password sign in to through the adapter's
``get_user_by_phone``, which here finds only a number's *verified* holder (see :mod:`.models`). A
person who signed up with a number and a password and missed the call would then never get back
in to answer a new one. This backend tries, after the verified holder, the accounts that claim the
number unverified, each by its own password; allauth's login stage then calls the number, and the
login completes only with that call's code. So a password alone still signs no one in to a number
they do not hold, and a claim made after the holder verified the number finds nothing.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.app_settings import LoginMethod
from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend


class AuthenticationBackend(AllauthBackend):  # type: ignore[misc]
    def _authenticate_by_phone(self, phone: str, password: str) -> Any:
        if not phone or LoginMethod.PHONE not in app_settings.LOGIN_METHODS:
            return None
        adapter = get_adapter()
        claims = getattr(adapter, "get_users_signing_in_by_phone", None)
        candidates = claims(phone) if claims is not None else [adapter.get_user_by_phone(phone)]
        for user in candidates:
            if self._check_password(user, password):
                return user
        return None
