"""graphmem: a graph-first, versioned knowledge memory for AI agents.

The public names below are imported on first use (PEP 562), so importing one module of the
package, such as the pure `graphmem.effects`, loads nothing else of graphmem.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names for type checkers, re-exported
    from .config import EmbedderConfig as EmbedderConfig
    from .config import MemoryConfig as MemoryConfig
    from .config import StoreConfig as StoreConfig
    from .errors import ConfigError as ConfigError
    from .errors import GraphmemError as GraphmemError
    from .errors import InvalidNameError as InvalidNameError
    from .errors import NotFoundError as NotFoundError
    from .errors import ScopeError as ScopeError
    from .errors import StoreError as StoreError
    from .errors import StoreLockedError as StoreLockedError
    from .errors import ValidationError as ValidationError
    from .extraction import Extraction as Extraction
    from .extraction import extract as extract
    from .memory import AsyncMemory as AsyncMemory
    from .memory import Memory as Memory

_WHERE = {
    "AsyncMemory": "memory",
    "Memory": "memory",
    "EmbedderConfig": "config",
    "MemoryConfig": "config",
    "StoreConfig": "config",
    "ConfigError": "errors",
    "GraphmemError": "errors",
    "InvalidNameError": "errors",
    "NotFoundError": "errors",
    "ScopeError": "errors",
    "StoreError": "errors",
    "StoreLockedError": "errors",
    "ValidationError": "errors",
    "Extraction": "extraction",
    "extract": "extraction",
}

__all__ = sorted(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'graphmem' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
