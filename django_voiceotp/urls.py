"""Mount with ``path("api/otp/", include("django_voiceotp.urls"))``."""

from .api.urls import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
