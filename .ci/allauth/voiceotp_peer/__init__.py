"""django-allauth's own phone tests, run against this app's adapter (``.ci/allauth/run``).

allauth's tests ship in its sdist, as a package named ``tests`` with a test project of its own: an
adapter that "sends" an SMS into an outbox, random Dutch numbers. This package is what plugs this
app in instead: settings (this app's adapter, forms, backend and headless URLs; the test kit's
in-process gateway), an adapter that keeps the same outbox on top of this app's, fixtures that hand
out numbers the gateway can call, and the list of tests this app answers differently on purpose,
each with its reason (:mod:`.deviations`, explained in ``docs/integrations.md``).
"""
