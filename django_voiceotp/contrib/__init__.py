"""Integrations with other Django packages, each an installable app of its own.

- :mod:`.allauth`: django-allauth's phone verification by voice call;
- :mod:`.otp`: a django-otp device that proves the user holds their phone by calling it;
- :mod:`.two_factor`: django-two-factor-auth's "call me" method, built on that device.

Nothing in the core package imports these (the import contracts hold it), so a site that uses none of
them needs none of the packages they integrate with.
"""
