"""The system checks catch an allauth configuration that would send or accept allauth's own code, or
apply allauth's limits on top of this app's; the suite's own configuration passes them."""

from __future__ import annotations

from django.core import checks
from django.test import override_settings

from django_voiceotp.contrib.allauth import FORMS


def ids(**settings):
    with override_settings(**settings):
        found = {m.id or "" for m in checks.run_checks(tags=["voiceotp"])}
    return sorted(i for i in found if i.startswith("voiceotp_allauth"))


def test_the_documented_configuration_passes():
    assert ids() == []


def test_allauth_s_default_adapter_is_an_error():
    assert ids(ACCOUNT_ADAPTER="allauth.account.adapter.DefaultAccountAdapter") == ["voiceotp_allauth.E001"]


def test_an_adapter_that_cannot_be_imported_is_an_error():
    assert ids(ACCOUNT_ADAPTER="nowhere.Adapter") == ["voiceotp_allauth.E001"]


def test_allauth_s_own_forms_are_an_error():
    assert ids(ACCOUNT_FORMS={}) == ["voiceotp_allauth.E002"]
    assert ids(ACCOUNT_FORMS={**FORMS, "verify_phone": "allauth.account.forms.VerifyPhoneForm"}) == [
        "voiceotp_allauth.E002"
    ]


def test_allauth_s_verify_phone_limit_is_an_error_and_its_change_phone_limit_a_warning():
    assert ids(ACCOUNT_RATE_LIMITS={}) == ["voiceotp_allauth.E003", "voiceotp_allauth.W001"]


def test_allauth_s_resend_of_login_codes_is_an_error():
    assert ids(ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND=True) == ["voiceotp_allauth.E004"]
    assert ids(ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND=True, ACCOUNT_PREVENT_ENUMERATION=False) == []


def test_allauth_s_figures_out_of_step_with_this_app_s_are_warnings():
    assert ids(ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS=3) == ["voiceotp_allauth.W002"]
    assert ids(ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND=False) == ["voiceotp_allauth.W003"]
    assert ids(ACCOUNT_LOGIN_BY_CODE_TIMEOUT=180) == ["voiceotp_allauth.W004"]


def test_allauth_s_change_of_number_at_sign_up_is_an_error_while_enumeration_is_prevented():
    assert ids(ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE=True) == ["voiceotp_allauth.E005"]
    assert ids(ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE=True, ACCOUNT_PREVENT_ENUMERATION=False) == []


def test_allauth_s_own_code_pages_coming_first_is_a_warning(settings):
    apps = [a for a in settings.INSTALLED_APPS if a != "django_voiceotp.contrib.allauth"]
    after_allauth = [*apps, "django_voiceotp.contrib.allauth"]
    assert ids(INSTALLED_APPS=after_allauth) == ["voiceotp_allauth.W005"]


def test_a_sign_up_with_a_password_and_allauth_s_own_backend_is_a_warning():
    allauth_s = [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    password = {"ACCOUNT_SIGNUP_FIELDS": ["phone*", "password1*"]}
    assert ids(**password, AUTHENTICATION_BACKENDS=allauth_s) == ["voiceotp_allauth.W006"]
    assert ids(**password) == []
    assert ids(AUTHENTICATION_BACKENDS=allauth_s) == []  # no password: no login by password
