"""A JSON parser with a size cap.

DRF reads the request stream itself, past Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so a cap has to
live here: these endpoints take a phone number or a code, and nothing larger than a few hundred bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import RequestTooLarge

MAX_BODY = 4096


class LimitedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        request = (parser_context or {}).get("request")
        length = getattr(request, "META", {}).get("CONTENT_LENGTH") if request is not None else None
        try:
            if length and int(length) > MAX_BODY:
                raise RequestTooLarge()
        except ValueError:
            raise ParseError(_("Content-Length is not a number.")) from None
        raw = stream.read(MAX_BODY + 1) if stream is not None else b""
        if len(raw) > MAX_BODY:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(_("The body is not valid JSON.")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
