"""Signing webhook bodies: HMAC-SHA256 with the webhook's secret, hex, in one header.

A receiver recomputes the signature over the raw body it got and compares (`verify`):

>>> signature = sign("s3cret", b'{"event": "memory_add"}')
>>> signature.startswith("sha256=")
True
>>> verify("s3cret", b'{"event": "memory_add"}', signature)
True
>>> verify("other", b'{"event": "memory_add"}', signature)
False
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Graphmem-Signature"  # sha256=<hex HMAC-SHA256 of the body>
EVENT_HEADER = "X-Graphmem-Event"  # memory_add, memory_update, memory_delete, memory_feedback
DELIVERY_HEADER = "X-Graphmem-Delivery"  # the delivery's id: the same on every retry
WEBHOOK_HEADER = "X-Graphmem-Webhook"  # the webhook's id


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` (the header's value) signs `body` with `secret` (constant time)."""
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)
