from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from tests.urls import urlpatterns as core_urlpatterns


def signed_in(request: HttpRequest) -> HttpResponse:
    """Where allauth lands a person once signed in: who they are, for the tests to read."""
    return HttpResponse(f"signed in: {request.user.pk}" if request.user.is_authenticated else "anonymous")


urlpatterns: list[URLPattern | URLResolver] = [
    *core_urlpatterns,
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("django_voiceotp.contrib.allauth.headless.urls")),
    path("signed-in/", signed_in),
    path("i18n/", include("django.conf.urls.i18n")),
]
