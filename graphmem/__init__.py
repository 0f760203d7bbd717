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
from .extraction import Extraction, extract
from .memory import AsyncMemory, Memory

__all__ = [
    "AsyncMemory",
    "ConfigError",
    "EmbedderConfig",
    "Extraction",
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
    "extract",
]
__version__ = "0.1.0"
