"""allauth's pages as a person uses them, through the Django test client."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages

PHONE = "0905 123 456"
E164 = "+84905123456"
OTHER = "0936 123 456"

SIGNUP = "/accounts/signup/"
VERIFY_PHONE = "/accounts/phone/verify/"
CHANGE_PHONE = "/accounts/phone/change/"
LOGIN = "/accounts/login/"
CONFIRM_LOGIN_CODE = "/accounts/login/code/confirm/"


def sign_up(client: Any, phone: str = PHONE, **extra: Any) -> Any:
    return client.post(SIGNUP, {"phone": phone}, **extra)


def log_in(client: Any, phone: str = PHONE, **extra: Any) -> Any:
    return client.post(LOGIN, {"login": phone}, **extra)


def type_code(client: Any, code: str, url: str = VERIFY_PHONE, **extra: Any) -> Any:
    return client.post(url, {"code": code}, **extra)


def resend(client: Any, url: str = VERIFY_PHONE, **extra: Any) -> Any:
    return client.post(url, {"action": "resend"}, **extra)


def change_to(client: Any, phone: str, url: str = VERIFY_PHONE, **extra: Any) -> Any:
    return client.post(url, {"action": "change", "phone": phone}, **extra)


def cancel(client: Any) -> Any:
    """The code page's "Cancel": it ends the pending login, as allauth's template posts it."""
    return client.post("/accounts/logout/", {"next": LOGIN})


def field_errors(response: Any, field: str) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


def error_codes(response: Any, field: str) -> list[str]:
    form = response.context["form"]
    return [e.code for e in form.errors.as_data().get(field, [])]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def allauth_code(client: Any, stage: str = "verify_phone") -> str:
    """The code allauth generated for the pending stage and keeps in the session."""
    return str(client.session["account_login"]["state"]["stages"][stage]["data"]["code"])


def signed_in_user(client: Any) -> str:
    return str(client.get("/signed-in/").content.decode())
