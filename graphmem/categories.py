"""Categories of memories: a taxonomy (category name -> description) and a fact's place in it.

The default taxonomy is the ontology's `categories` (personal_details, family, work, ...,
misc); `MemoryConfig.categories` replaces it for a `Memory`, and ``add(...,
custom_categories={name: description})`` for one call. A fact's categories, in this order:

1. those the LLM extractor gave it (it is shown the taxonomy in its one call), less any name
   that is not in the taxonomy;
2. else those the ontology maps its relation type and its object's entity type to
   (``categories:`` on each type in ontology/default.yaml), where the taxonomy has them;
3. else ``misc``, when the taxonomy has it; else none.

They are stored as data: a list property ``categories`` on each version, never a label or a
type. `update` keeps a memory's categories unless it changes the relation.

>>> assign(["preferences", "food"], {"food": "", "preferences": "", "misc": ""})
('preferences', 'food')
>>> assign(["preferences"], {"food": "", "misc": ""}, proposed=["food", "made-up"])
('food',)
>>> assign(["preferences"], {"food": "", "misc": ""}), assign([], {"sports": "games"})
(('misc',), ())
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ValidationError

MAX_CATEGORIES = 100  # categories in one taxonomy
MAX_NAME = 64  # characters of a category name
MAX_DESCRIPTION = 500  # characters of its description
FALLBACK = "misc"


def taxonomy(value: Any, what: str = "custom_categories") -> dict[str, str]:
    """A checked taxonomy: a non-empty dict of at most `MAX_CATEGORIES` names (non-empty
    text of at most `MAX_NAME` characters, stripped) to descriptions (text of at most
    `MAX_DESCRIPTION` characters). Anything else is a ValidationError naming `what`."""
    if not isinstance(value, Mapping) or not value or len(value) > MAX_CATEGORIES:
        raise ValidationError(
            f"{what} must be a dict of 1 to {MAX_CATEGORIES} category names to descriptions, "
            f"got {type(value).__name__}"
        )
    checked: dict[str, str] = {}
    for name, description in value.items():
        key = name.strip() if isinstance(name, str) else ""
        if not key or len(key) > MAX_NAME:
            raise ValidationError(
                f"{what}: a category name must be non-empty text of at most {MAX_NAME} "
                f"characters, got {name!r}"
            )
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise ValidationError(
                f"{what}: the description of {key!r} must be text of at most "
                f"{MAX_DESCRIPTION} characters"
            )
        checked[key] = description.strip()
    return checked


def chosen(proposed: Sequence[str], taxonomy: Mapping[str, str]) -> tuple[str, ...]:
    """The proposed names that are categories of `taxonomy`, once each, in order."""
    return tuple(dict.fromkeys(c for c in proposed if isinstance(c, str) and c in taxonomy))


def assign(
    mapped: Sequence[str], taxonomy: Mapping[str, str], proposed: Sequence[str] = ()
) -> tuple[str, ...]:
    """A fact's categories in `taxonomy` (see the module docstring): `proposed` (the LLM's),
    else `mapped` (the ontology's, `Ontology.categories_of`), else misc."""
    picked = chosen(proposed, taxonomy)
    if picked:
        return picked
    return chosen(mapped, taxonomy) or ((FALLBACK,) if FALLBACK in taxonomy else ())
