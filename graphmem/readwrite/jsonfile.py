"""The JSON format: the export document as it is, lossless (times encoded by `values`).

>>> from_json(to_json({"nodes": [], "name": "ü"}))
{'nodes': [], 'name': 'ü'}
"""

from __future__ import annotations

import json
from typing import Any


def to_json(doc: dict[str, Any]) -> str:
    """The export document as JSON text (UTF-8 characters kept, one-space indent)."""
    return json.dumps(doc, ensure_ascii=False, indent=1)


def from_json(text: str) -> Any:
    """The JSON value in `text`; raises `ValueError` (json.JSONDecodeError) if it is not JSON."""
    return json.loads(text)
