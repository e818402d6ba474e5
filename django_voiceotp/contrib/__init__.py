"""Integrations of django-voiceotp with other Django packages, each an app of its own.

Nothing in the core package imports these (the import contracts hold it), so a site that uses none of
them needs none of the packages they integrate with.
"""
