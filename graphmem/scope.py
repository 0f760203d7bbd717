"""Scopes: who a memory belongs to.

The owner namespace is the user_id, else the agent_id, else the run_id (prefixed by its kind, so
a user and an agent that happen to share an id never share memories). The other ids narrow
within that namespace: ``Scope(user_id="a", run_id="r1")`` sees only run r1 of user a.

>>> Scope.of(user_id="alice").owner
'user:alice'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .errors import ScopeError

_MAX_ID = 256


def _check_id(kind: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ScopeError(f"{kind} must be a non-empty string, got {value!r}")
    if len(value) > _MAX_ID or any(ord(c) < 32 for c in value):
        raise ScopeError(f"{kind} must be at most {_MAX_ID} printable characters")
    return value


class Scope(BaseModel):
    """The scope ids of one call; at least one is set."""

    model_config = ConfigDict(frozen=True)

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    @classmethod
    def of(
        cls, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> Scope:
        """Build a scope, refusing one with no id at all (that would mix everyone's memories)."""
        ids = {
            "user_id": _check_id("user_id", user_id),
            "agent_id": _check_id("agent_id", agent_id),
            "run_id": _check_id("run_id", run_id),
        }
        if not any(ids.values()):
            raise ScopeError(
                "one of user_id, agent_id or run_id is required, e.g. m.add(..., user_id='alice')"
            )
        return cls(**ids)

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> Scope:
        """The scope of a stored record (a fact, an episode, a webhook): its scope ids."""
        return cls.of(record.get("user_id"), record.get("agent_id"), record.get("run_id"))

    @property
    def owner(self) -> str:
        """The namespace that entities and facts of this scope live in."""
        if self.user_id:
            return f"user:{self.user_id}"
        if self.agent_id:
            return f"agent:{self.agent_id}"
        return f"run:{self.run_id}"

    def params(self) -> dict[str, Any]:
        """Query parameters that select this scope (owner plus the narrowing ids)."""
        return {
            "owner": self.owner,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "run_id": self.run_id,
        }

    def narrow(self) -> dict[str, Any]:
        """Query parameters of statements that select by owner and the narrowing ids."""
        return {"owner": self.owner, "agent_id": self.agent_id, "run_id": self.run_id}

    def ids(self) -> dict[str, Any]:
        """The scope as the keyword arguments of the public API."""
        return {"user_id": self.user_id, "agent_id": self.agent_id, "run_id": self.run_id}
