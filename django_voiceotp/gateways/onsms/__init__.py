"""The operator's gateway: ``postSMS``, ``checkVoice`` and ``checkBalance``, POST-JSON (its
documentation is ``gateway-api.txt``). :class:`OnSmsGateway` is the default backend."""

from .backend import DEFAULT_BASE_URL, OnSmsGateway, local_form

__all__ = ["DEFAULT_BASE_URL", "OnSmsGateway", "local_form"]
