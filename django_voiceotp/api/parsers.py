"""A JSON parser with a size cap and one charset.

DRF reads the request stream itself, past Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so a cap has to
live here: these endpoints take a phone number or a code, and nothing larger than a few hundred bytes.

JSON is UTF-8 (RFC 8259, section 8.1). A body declared in another charset is refused with 415 rather
than decoded with it: Python's codec registry also holds codecs that are not text encodings at all
(``rot13``, ``base64``, ``zlib``), and decoding with whatever a client names is a way to a 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import RequestTooLarge, UnsupportedCharset

MAX_BODY = 4096
CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
"""UTF-8 and its ASCII subset: what a JSON body may declare."""


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
        params = parse_header_parameters(media_type or "")[1]
        charset = params.get("charset", "utf-8").strip().lower()
        if charset not in CHARSETS:
            raise UnsupportedCharset(media_type or "")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(_("The body is not valid JSON.")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
