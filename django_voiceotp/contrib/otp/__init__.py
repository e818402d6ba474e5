"""A django-otp device whose challenge is a voice call placed by this app's rules.

Add ``"django_voiceotp.contrib.otp"`` to ``INSTALLED_APPS`` (after ``django_otp``) and migrate; a
user's :class:`~.models.VoiceCallDevice` then works wherever django-otp devices work: its forms,
``match_token``, ``django_otp.verify_token``, ``django_otp.login`` and the ``OTPAdminSite``.
"""
