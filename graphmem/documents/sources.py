"""Where a part's bytes come from: a ``data:`` URI, or a URL fetched on request.

`load(url, settings)` returns a `Source` (the bytes and their media type). A ``data:`` URI is
decoded here. An http(s) URL is fetched only when `settings.fetch_urls` is true (graphmem
makes no network call the user did not turn on); otherwise, and for any other scheme, it is a
ValidationError that says what to do. Either way at most `settings.max_bytes` are taken.

>>> load("data:text/plain;base64,aGk=", DocumentsConfig()).data
b'hi'
>>> load("data:,a%20note", DocumentsConfig()).media_type
'text/plain'
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

import httpx

from ..config import DocumentsConfig
from ..errors import ValidationError


@dataclass(frozen=True)
class Source:
    """A part's content: its bytes, media type (lower case, no parameters) and URL (None
    for a data URI)."""

    data: bytes
    media_type: str
    url: str | None


def load(url: str, settings: DocumentsConfig) -> Source:
    """The bytes a part's URL names (see the module docstring)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("a part's url must be a non-empty string")
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return _data_uri(url, settings.max_bytes)
    if scheme in ("http", "https"):
        if not settings.fetch_urls:
            raise ValidationError(
                f"{_short(url)} is a URL, and graphmem fetches URLs only when asked: set "
                "documents.fetch_urls: true in the config, or pass the content as a data: URI"
            )
        return _fetch(url, settings)
    raise ValidationError(f"{_short(url)}: a part's url must be a data: URI or an http(s) URL")


def _data_uri(url: str, limit: int) -> Source:
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise ValidationError("a data: URI needs a ',' before its data")
    fields = [f.strip() for f in header.split(";")]
    media_type = (fields[0] or "text/plain").lower()
    if len(payload) > limit * 4 // 3 + 4:  # before decoding: its size bounds the bytes
        raise _too_big(limit)
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if "base64" in [f.lower() for f in fields[1:]]
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"a data: URI's base64 does not decode: {exc}") from None
    if len(data) > limit:
        raise _too_big(limit)
    return Source(data, media_type, None)


def _fetch(url: str, settings: DocumentsConfig) -> Source:
    if not urlsplit(url).hostname:
        raise ValidationError(f"{_short(url)} has no host")
    try:
        with httpx.stream("GET", url, timeout=settings.timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ValidationError(f"{_short(url)} answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > settings.max_bytes:
                    raise _too_big(settings.max_bytes)
            media_type = response.headers.get("content-type", "")
    except httpx.HTTPError as exc:
        raise ValidationError(f"{_short(url)} could not be fetched: {exc}") from exc
    return Source(bytes(data), media_type.split(";")[0].strip().lower(), url)


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        f"a part holds more than documents.max_bytes ({limit} bytes); raise the limit or "
        "split the document"
    )


def _short(url: str) -> str:
    return repr(url if len(url) <= 80 else url[:77] + "...")
