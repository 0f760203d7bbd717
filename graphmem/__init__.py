"""graphmem: a graph-first, versioned knowledge memory for AI agents."""

from .config import EmbedderConfig, MemoryConfig, StoreConfig
from .errors import (
    ConfigError,
    GraphmemError,
    InvalidNameError,
    NotFoundError,
    ScopeError,
    StoreError,
    StoreLockedError,
    ValidationError,
)
from .memory import Memory

__all__ = [
    "ConfigError",
    "EmbedderConfig",
    "GraphmemError",
    "InvalidNameError",
    "Memory",
    "MemoryConfig",
    "NotFoundError",
    "ScopeError",
    "StoreConfig",
    "StoreError",
    "StoreLockedError",
    "ValidationError",
]
__version__ = "0.1.0"
