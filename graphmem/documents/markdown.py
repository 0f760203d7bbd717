"""Markdown (and MDX) in sections: each heading starts one, named by the headings above it.

>>> [(s.title, s.text) for s in sections("Intro\\n# Work\\nI code.\\n## Team\\nWe ship.")]
[('', 'Intro'), ('Work', 'I code.'), ('Work > Team', 'We ship.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """One section: its heading path ('A > B'; '' before the first heading) and its text."""

    title: str
    text: str


def sections(text: str) -> list[Section]:
    """The sections of a Markdown text that hold any text, in order. Headings inside fenced
    code blocks are text."""
    found: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False

    def close() -> None:
        body = "\n".join(lines).strip()
        if body:
            found.append(Section(" > ".join(title for _, title in path), body))
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        close()
        level = len(heading.group(1))
        path[:] = [(lv, title) for lv, title in path if lv < level]
        path.append((level, heading.group(2)))
    close()
    return found
