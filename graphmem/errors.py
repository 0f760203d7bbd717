"""Typed errors. Each says what went wrong and what to do about it."""

from __future__ import annotations


class GraphmemError(Exception):
    """Base class of every error graphmem raises on purpose."""


class ConfigError(GraphmemError, ValueError):
    """The configuration (a key, a value, a file) is invalid."""


class ScopeError(GraphmemError, ValueError):
    """A call needs at least one of user_id, agent_id or run_id, or got an invalid one."""


class InvalidNameError(GraphmemError, ValueError):
    """A label or relationship type failed the ontology / strict name check; nothing was written."""


class ValidationError(GraphmemError, ValueError):
    """Input to an API call is malformed (wrong type, empty text, bad timestamp...)."""


class NotFoundError(GraphmemError, KeyError):
    """No memory (or entity, or episode) with that id is visible."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class StoreError(GraphmemError):
    """The graph store failed or cannot be reached."""


class StoreLockedError(StoreError):
    """Another process holds the embedded data folder and cannot be reached."""


class EmbedderError(GraphmemError):
    """The embedding model is missing or failed."""


class ExtractionError(GraphmemError):
    """The LLM extractor failed: the API call failed (see ``__cause__``), or the model's reply
    was still invalid after one repair call. Nothing was written."""


class LLMUnavailableError(ExtractionError):
    """The LLM endpoint stayed unreachable, overloaded or failing (connection errors,
    timeouts, 429, 5xx, replies that are not a chat completion) through every retry. `add`
    does not raise it: it stores the messages marked as waiting for extraction, which
    `Memory.reprocess()` / `graphmem reprocess` extract once the endpoint answers again."""


class LLMRequestError(ExtractionError):
    """The LLM endpoint refused the request itself (400, 401, 403, 404, 422...): retrying the
    same request cannot help; the message says what to fix. Nothing was written."""
