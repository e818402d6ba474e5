"""allauth's headless API (what single-page and mobile apps use) with phone verification by voice call.

allauth's headless views check codes with inputs built on allauth's own forms, not on the forms a
site names in ``ACCOUNT_FORMS``: they would compare allauth's own code, which is never sent, and
place no call before a user exists. The views here are allauth's, each with this app's input (the
same mixins as this app's forms) and, for a resend, this app's refusal as the answer. Mount them in
place of allauth's::

    urlpatterns += [path("_allauth/", include("django_voiceotp.contrib.allauth.headless.urls"))]

which serves every endpoint of ``allauth.headless.urls``, this app's in front for those that take a
number or a code. ``manage.py check`` reports ``voiceotp_allauth.E006`` when allauth's own answer.
"""
