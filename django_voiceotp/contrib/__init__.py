"""Integrations with other Django apps, each an installable app of its own.

- :mod:`.otp`: a django-otp device that proves the user holds their phone by calling it;
- :mod:`.two_factor`: django-two-factor-auth's "call me" method, built on that device.

The core never imports these packages, nor the apps they integrate with (``make lint`` holds it).
"""
