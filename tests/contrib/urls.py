from typing import Any

import django_otp
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.http import require_POST
from two_factor.urls import urlpatterns as two_factor_urls

from django_voiceotp.contrib.otp.admin import OTPAdminSite, VoiceCallDeviceAdmin
from django_voiceotp.contrib.otp.models import VoiceCallDevice

otp_admin = OTPAdminSite(OTPAdminSite.name)
otp_admin.register(VoiceCallDevice, VoiceCallDeviceAdmin)


def signed_in(request: HttpRequest) -> HttpResponse:
    """Where a login lands: says whether django-otp counts the user as verified, and by which device."""
    user: Any = request.user  # OTPMiddleware's user, with is_verified() and otp_device
    device = user.otp_device
    return HttpResponse(f"verified={user.is_verified()} device={device.persistent_id if device else ''}")


@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """A site's own view on django-otp's API: verify a token against a device, then log it in."""
    device = django_otp.verify_token(request.user, request.POST["device"], request.POST["token"])
    if device is None:
        return HttpResponse(status=403)
    django_otp.login(request, device)
    return HttpResponse()


urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(two_factor_urls)),
    path("signed-in/", signed_in),
    path("verify/", verify),
    path("admin/", admin.site.urls),
    path("otpadmin/", otp_admin.urls),
    path("api/otp/", include("django_voiceotp.urls")),
]
