"""allauth's test project's URLs, with this app's headless URLs in place of allauth's.

allauth's tests reload the URL modules when they change settings that decide which endpoints exist;
this module reloads this app's headless URLs with them, which are built from the same settings.
"""

import importlib
import sys

from django.urls import include, path

HEADLESS = "django_voiceotp.contrib.allauth.headless.urls"
if HEADLESS in sys.modules:
    importlib.reload(sys.modules[HEADLESS])

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include(HEADLESS)),
]
