"""Locate the data that ships with graphmem (`cypher/`, `ontology/`).

In a wheel they live inside the package (`graphmem/cypher`); in a source checkout or an
editable install they are the top-level folders beside the package. Never the working directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_dir(name: str) -> Path:
    """Return the folder `name` (``"cypher"`` or ``"ontology"``) shipped with graphmem."""
    packaged = Path(str(resources.files("graphmem"))) / name
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"graphmem's {name}/ folder is missing from the installation")
