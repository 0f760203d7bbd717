"""The Neo4j Browser kit's `cypher/browser/style.grass` as data, for the web inspector.

The file is the one source of the graph's colours and captions: Browser reads it as a GraSS
style sheet, the inspector (`graphmem.server.inspector`) as the dict `parse` makes of it:
``{selector: {property: value}}`` in file order (``"node"``, ``"relationship"``,
``"node.Entity"``, ``"node.Person"``, ...), quotes taken off the values. A node's style is
the rules ``node``, ``node.Entity`` then ``node.<type>`` applied in that order, as Browser does.

>>> parse("node.Person {\\n  color: #4C8EDA;\\n  caption: '{name}';\\n}")
{'node.Person': {'color': '#4C8EDA', 'caption': '{name}'}}
"""

from __future__ import annotations

import re

from ..errors import ConfigError
from ..resources import resource_dir

_RULE = re.compile(r"([A-Za-z][\w.-]*)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_DECLARATION = re.compile(r"([a-z][a-z-]*)\s*:\s*([^;]+?)\s*(?:;|$)")


def parse(text: str) -> dict[str, dict[str, str]]:
    """The rules of a GraSS style sheet (see the module docstring); ConfigError if it has none."""
    rules: dict[str, dict[str, str]] = {}
    for selector, body in _RULE.findall(text):
        declarations = rules.setdefault(selector, {})
        for name, value in _DECLARATION.findall(body):
            declarations[name] = value.strip("'\"")
    if not rules:
        raise ConfigError("the style sheet holds no rules")
    return rules


def browser_style() -> dict[str, dict[str, str]]:
    """The rules of the shipped `cypher/browser/style.grass`."""
    return parse((resource_dir("cypher") / "browser" / "style.grass").read_text(encoding="utf-8"))
