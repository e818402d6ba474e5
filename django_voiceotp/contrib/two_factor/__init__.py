"""django-two-factor-auth's "call me" method, through this app's rules and gateway.

Add ``"django_voiceotp.contrib.two_factor"`` to ``INSTALLED_APPS`` after ``two_factor`` (and after
``django_voiceotp.contrib.otp``, whose device it uses): the setup wizard then offers a phone call,
and the login wizard's token step calls the user's number and checks the code they type.
"""
