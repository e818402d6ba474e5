"""The example site's policy: a captcha once one address has asked for three calls within an hour.

``make demo`` names it (``VOICEOTP_POLICY=example_project.policy.CaptchaAfterThree``); a site copies it
and names its own copy in ``VOICEOTP["POLICY"]``. The captcha is django-simple-captcha's: made and
checked on the site, with nothing fetched from anyone else (it works offline, and no third party
sees who signs in), and with an audio version for those who cannot read the picture when ``flite``
is installed (``apt-get install flite``; the settings find it on the PATH as ``CAPTCHA_FLITE_PATH``).
Without ``flite`` the answer carries no ``audio_url`` and the page offers the picture only.

The client asks for a call as usual. From the fourth request of its address in the hour on, the
answer is ``403 challenge_required`` with ``challenge``: ``{"type": "captcha", "key": ...,
"image_url": ..., "audio_url": ...}``; it shows the picture, and asks again with ``captcha_key`` and
``captcha_value`` beside ``phone`` (in the JSON body of the REST API, in the form of a page). Each
captcha answers once, right or wrong; a wrong answer gets a new captcha. An address that has been
shown :attr:`~CaptchaAfterThree.max_captchas` captchas in the hour is refused (429) without a new
one: each captcha is a row, and the policy is asked before the rules' own limits.

Only the REST API is asked (its client, the demo page, can show the captcha): allauth's pages and the
other integrations' forms have no field for it, and a refusal there could not be answered. A site
that adds ``captcha_key`` and ``captcha_value`` inputs to its own forms sets
:attr:`~CaptchaAfterThree.pages_too`.

**Addresses are shared in Vietnam.** Mobile carriers put many subscribers behind one public address
(carrier-grade NAT): a rule per address reaches everyone on that carrier's address at once, and on a
busy evening three requests an hour from a mobile address is nobody's abuse. So a site with mobile
users counts per signed-in account or per session instead (``request.user.pk``,
``request.session.session_key``, both on the request the policy gets), or per address with a much
higher threshold (dozens an hour), and keeps the per-address count for what it is good at: one
machine pumping calls. The per-number limits (``RATE_LIMITS``) already stop calls to one number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from captcha.conf import settings as captcha_settings
from captcha.helpers import captcha_audio_url, captcha_image_url
from captcha.models import CaptchaStore
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from django_voiceotp.exceptions import ChallengeRequired, RateLimited
from django_voiceotp.policy import Policy

logger = logging.getLogger("example_project.policy")

KEY = re.compile(r"[0-9a-f]{40}")
"""A django-simple-captcha key: a SHA-1 in hex."""


class CaptchaAfterThree(Policy):
    free_requests = 3
    """Requests for a call an address may make in :attr:`window` before a captcha is asked."""
    window = 3600
    """Seconds; the count starts with the address's first request and lasts this long."""
    max_captchas = 20
    """Captchas an address is shown in :attr:`window`; past them it waits (a 429), and no row is written."""
    cache_alias = "default"
    """A cache shared by every process of the site (Redis in production): its ``incr`` is atomic."""
    pages_too = False
    """Ask on Django's pages too (forms that carry ``captcha_key`` and ``captcha_value``), not only in
    the REST API."""

    def before_call(self, request: Any, number: str, purpose: str) -> None:
        address = self.address_of(request)
        if address is None:
            return  # no client (a job, a device given no request): nothing to ask
        if not (self.pages_too or _from_the_api(request)):
            return
        if self._count("requests", address) <= self.free_requests:
            return
        if self._solved(request):
            return
        if self._count("captchas", address) > self.max_captchas:
            raise RateLimited(self.window)
        raise ChallengeRequired(challenge=new_captcha())

    def _count(self, what: str, address: str) -> int:
        """This event's number in the address's window, counted atomically (``add`` then ``incr``:
        parallel requests each get their own number). A cache that does not answer counts as over
        the threshold: the policy fails closed, and people still get through with the captcha."""
        cache = caches[self.cache_alias]
        key = f"example-policy:{what}:{address}"
        try:
            cache.add(key, 0, timeout=self.window)
            return int(cache.incr(key))
        except ValueError:  # the window ended between add and incr: this request starts the next
            cache.add(key, 1, timeout=self.window)
            return 1
        except Exception:  # the cache is down (each backend raises its own errors)
            logger.warning("the policy's cache is not answering: asking for a captcha")
            return self.free_requests + 1 if what == "requests" else 1

    def _solved(self, request: Any) -> bool:
        """Whether the request carries the right answer to a live captcha, which it spends.

        Read, then deleted by its id: only the request whose delete took the row may compare its
        answer, so one captcha answers once however many requests bring it at the same moment (the
        library's own check reads, then deletes without looking at what its delete did, so parallel
        requests could each pass with one solved captcha). A wrong answer spends it all the same."""
        answer = _answer(request)
        if answer is None:
            return False
        key, value = answer
        if not captcha_settings.CAPTCHA_GET_FROM_POOL:
            CaptchaStore.remove_expired()
        store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
        if store is None:
            return False
        taken, _kinds = CaptchaStore.objects.filter(pk=store.pk).delete()
        return taken == 1 and constant_time_compare(store.response, value.strip().lower())


def _from_the_api(request: Any) -> bool:
    """DRF's ``Request`` (the REST API) has the parsed body as ``data``; Django's ``HttpRequest`` not."""
    return hasattr(request, "data")


def _answer(request: Any) -> tuple[str, str] | None:
    """``captcha_key`` and ``captcha_value`` from DRF's parsed body or a page's form, when both are
    there and look like an answer."""
    data = getattr(request, "data", None)  # DRF's Request (the REST API)
    if data is None:
        data = getattr(request, "POST", None)  # Django's HttpRequest (a page's form)
    if not isinstance(data, Mapping):
        return None
    key, value = data.get("captcha_key"), data.get("captcha_value")
    if not (isinstance(key, str) and isinstance(value, str)) or not KEY.fullmatch(key):
        return None
    if not 0 < len(value) <= 32:
        return None
    return key, value


def new_captcha() -> dict[str, str]:
    """A new captcha as the REST answer's ``challenge``: its key, its picture and, when ``flite`` is
    there to speak it, its sound."""
    key = CaptchaStore.pick()
    challenge = {"type": "captcha", "key": key, "image_url": captcha_image_url(key)}
    if captcha_settings.CAPTCHA_FLITE_PATH:
        challenge["audio_url"] = captcha_audio_url(key)
    return challenge
