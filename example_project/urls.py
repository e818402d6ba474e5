from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("demo/calls.json", views.simulator_calls, name="demo-calls"),
    path("metrics/", views.metrics, name="metrics"),
    path("api/otp/", include("django_voiceotp.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

if "captcha" in settings.INSTALLED_APPS:  # the example policy's captcha: its pictures and sounds
    urlpatterns.append(path("captcha/", include("captcha.urls")))

if getattr(settings, "ALLAUTH", False):  # sign-up and login by voice call, django-allauth's pages
    urlpatterns.append(path("accounts/", include("allauth.urls")))
