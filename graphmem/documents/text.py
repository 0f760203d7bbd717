"""Plain text in pieces: paragraphs kept whole, grouped up to `MAX_PIECE` characters.

>>> pieces("One.\\n\\nTwo.\\n\\n\\nThree.", limit=10)
['One.\\n\\nTwo.', 'Three.']
"""

from __future__ import annotations

import re

MAX_PIECE = 4000  # characters of one stored piece (one episode)
_PARAGRAPH = re.compile(r"\n\s*\n")


def pieces(text: str, limit: int = MAX_PIECE) -> list[str]:
    """The text's paragraphs, grouped in order into pieces of at most `limit` characters (a
    longer paragraph is cut at whitespace where it can be); blank text has none."""
    out: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in _PARAGRAPH.split(text)):
        for part in _cut(paragraph, limit):
            if current and len(current) + 2 + len(part) > limit:
                out.append(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        out.append(current)
    return out


def _cut(paragraph: str, limit: int) -> list[str]:
    parts = []
    while len(paragraph) > limit:
        at = paragraph.rfind(" ", 0, limit)
        at = at if at > 0 else limit
        parts.append(paragraph[:at].strip())
        paragraph = paragraph[at:].strip()
    return [*parts, paragraph] if paragraph else parts
