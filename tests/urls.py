from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/otp/", include("django_voiceotp.urls")),
]

try:
    from drf_spectacular.views import SpectacularAPIView
except ImportError:  # pragma: no cover - the schema tests skip without it
    pass
else:
    urlpatterns.append(path("api/schema/", SpectacularAPIView.as_view(), name="schema"))

if "captcha" in settings.INSTALLED_APPS:  # the example policy's captcha pictures (tests/site)
    urlpatterns.append(path("captcha/", include("captcha.urls")))
urlpatterns.append(path("metrics/", include("django_voiceotp.metrics.urls")))
