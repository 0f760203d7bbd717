"""Whose memories a call of the served API reaches: the server's scope policy.

A server acts for one configured user (`ServerConfig.user_id`), or, when started with
`allow_user_id`, for the ids each call names (falling back to the configured user, if any).
A call never silently reaches another scope: naming another user on a bound server is a
`ScopeRefusedError` (a `ScopeError`; HTTP 403), and a memory id of another scope is
`NotFoundError`, as if it did not exist.

>>> policy = ScopePolicy(user_id="alice")
>>> policy.resolve()
{'user_id': 'alice', 'agent_id': None, 'run_id': None}
>>> policy.resolve(user_id="bob")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
graphmem.server.scoping.ScopeRefusedError: this server acts for user 'alice' only; ...
"""

from __future__ import annotations

from typing import Any

from ..config import ServerConfig
from ..errors import ConfigError, NotFoundError, ScopeError
from ..scope import Scope


class ScopeRefusedError(ScopeError):
    """A well-formed scope, or a call, that this server does not act for."""


class ScopePolicy:
    """Resolves each call's scope ids under the server's configuration."""

    def __init__(self, user_id: str | None = None, allow_user_id: bool = False) -> None:
        if user_id is None and not allow_user_id:
            raise ConfigError(
                "graphmem serve needs a user to act for (--user-id NAME) or --allow-user-id "
                "(each call names its user_id, agent_id or run_id)"
            )
        self.user_id = None if user_id is None else Scope.of(user_id=user_id).user_id
        self.allow_user_id = allow_user_id

    @classmethod
    def from_config(cls, config: ServerConfig) -> ScopePolicy:
        return cls(config.user_id, config.allow_user_id)

    def resolve(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, Any]:
        """The scope keyword arguments a call runs with (see the module docstring)."""
        if not self.allow_user_id:
            if user_id is not None and user_id != self.user_id:
                raise ScopeRefusedError(
                    f"this server acts for user {self.user_id!r} only; start it with "
                    "--allow-user-id to name users per call"
                )
            user_id = self.user_id
        elif user_id is None and agent_id is None and run_id is None:
            user_id = self.user_id
        return Scope.of(user_id, agent_id, run_id).ids()

    def check_visible(
        self, record: dict[str, Any] | None, memory_id: str, *, what: str = "memory", **ids: Any
    ) -> None:
        """Raise NotFoundError unless `record` (a memory as `Memory.get` returns it, or
        another record with scope ids: `what` names it) lies in the scope these ids resolve
        to; the message is the same as for an unknown id. With no ids and no configured
        user, a server for every scope (`all_scopes`) sees every memory, as mem0's
        ``GET /memories/{id}`` does."""
        unnamed = all(ids.get(key) is None for key in ("user_id", "agent_id", "run_id"))
        if unnamed and self.all_scopes and self.user_id is None:
            visible = record is not None
        else:
            scope = Scope.of(**self.resolve(**ids))
            visible = record is not None and _within(record, scope)
        if not visible:
            raise NotFoundError(f"no {what} with id {memory_id!r}")

    def require_all_scopes(self, what: str) -> None:
        """Raise ScopeRefusedError unless this server acts for every scope: for the calls
        that reach the whole database (`reset`, raw Cypher)."""
        if not self.all_scopes:
            raise ScopeRefusedError(
                f"{what} reaches every scope, and this server acts for user {self.user_id!r} "
                "only; start it with --allow-user-id"
            )

    @property
    def all_scopes(self) -> bool:
        """Whether callers may reach every scope (so raw Cypher reveals nothing more)."""
        return self.allow_user_id


def _within(record: dict[str, Any], scope: Scope) -> bool:
    owner = Scope.of_record(record).owner
    if owner != scope.owner:
        return False
    narrowing = (("agent_id", scope.agent_id), ("run_id", scope.run_id))
    return all(want is None or record.get(key) == want for key, want in narrowing)
