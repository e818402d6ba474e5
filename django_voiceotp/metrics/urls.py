"""``path("metrics/", include("django_voiceotp.metrics.urls"))``: the metrics page at ``metrics/``."""

from django.urls import path

from .views import metrics

app_name = "django_voiceotp_metrics"

urlpatterns = [path("", metrics, name="metrics")]
