"""`MemoryClient` and `AsyncMemoryClient`: the REST API of `graphmem serve`, from Python.

They have the method names and keyword arguments of `Memory` where the server has a route
(`add`, `add_relation`, `get`, `get_all`, `update`, `delete`, `delete_all`, `history`,
`feedback`, `search`, `reset`, `changes`, `neighbors`, `query`, `export` returning the
document) plus `get_entity` and `health`; results are the same JSON data. An option left as
None takes the server's default, which is `Memory`'s. The memory-id methods also take the scope
ids, which a server for every scope needs when it has no default user.

Each method is written once, in `_Api`, as the `Call` it makes (method, path, query, body);
`_result` reads every answer. The two clients only differ in how they send a call (httpx's
blocking or asyncio client). Errors come back typed: the answer's ``error`` name is raised as
that class of `graphmem.errors` (`GraphmemError` for any other name), and a server that cannot
be reached is a `StoreError` that says how to start one.

>>> with MemoryClient() as m:  # the server of ~/.graphmem  # doctest: +SKIP
...     m.add("I work at Acme", user_id="ida")
>>> async with AsyncMemoryClient("http://127.0.0.1:8765", token="...") as m:  # doctest: +SKIP
...     await m.search("Where does Ida work?", user_id="ida")

With no `url`, the client finds the server of `home` (default `~/.graphmem` or
``$GRAPHMEM_HOME``) through its `serve.json`. The token: `token`, else ``$GRAPHMEM_TOKEN``,
else the home's token file (read only when the server was found there or `home` is given).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from . import errors
from .config import default_home
from .server import runfile
from .server.auth import read_token

__all__ = ["AsyncMemoryClient", "Call", "MemoryClient", "health"]

R = TypeVar("R")
DEFAULT_TIMEOUT = 60.0
_ERRORS = {
    name: cls
    for name, cls in vars(errors).items()
    if isinstance(cls, type) and issubclass(cls, errors.GraphmemError)
}


@dataclass(frozen=True)
class Call:
    """One request of the REST API; `none_if_missing`: a NotFoundError answer means None."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: Any = None
    none_if_missing: bool = False


def _batch_item(item: Any) -> Any:
    """One `batch_update` item as JSON data (anything else goes as given: the server says
    what is wrong with it)."""
    if not isinstance(item, dict):
        return item
    data = item.get("data")
    return _data(**{**item, "data": _data(**data) if isinstance(data, dict) else data})


def _data(**fields: Any) -> dict[str, Any]:
    """The fields given (not None) as JSON data: times as ISO 8601 text."""
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in fields.items()
        if value is not None
    }


def _segment(text: str) -> str:
    return quote(text, safe="")


class _Api(Generic[R]):
    """The API, each method once as the `Call` it makes; `_send` makes the call."""

    def _send(self, call: Call) -> R:
        raise NotImplementedError

    def _memory(
        self, method: str, memory_id: str, ids: dict[str, Any], tail: str = "", body: Any = None
    ) -> R:
        """A call on one memory; a GET of a memory another scope holds (or none) is None."""
        path = f"/memories/{_segment(memory_id)}{tail}"
        missing = method == "GET" and not tail
        return self._send(Call(method, path, _data(**ids), body, none_if_missing=missing))

    def add(
        self,
        messages: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool | None = None,
        timestamp: Any = None,
        custom_categories: dict[str, str] | None = None,
    ) -> R:
        """`Memory.add`: store messages (a string, a message dict or a list) and their facts."""
        if isinstance(messages, dict):
            messages = [messages]
        body = _data(
            messages=messages,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            metadata=metadata,
            infer=infer,
            timestamp=timestamp,
            custom_categories=custom_categories,
        )
        return self._send(Call("POST", "/memories", body=body))

    def add_relation(
        self,
        subject: str,
        relation: str,
        object: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        valid_from: Any = None,
        valid_to: Any = None,
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
        subject_type: str | None = None,
        object_type: str | None = None,
        confidence: float | None = None,
        expiration_date: Any = None,
        immutable: bool | None = None,
    ) -> R:
        """`Memory.add_relation`: store a fact you extracted."""
        body = _data(
            subject=subject,
            relation=relation,
            object=object,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            valid_from=valid_from,
            valid_to=valid_to,
            metadata=metadata,
            source=source,
            subject_type=subject_type,
            object_type=object_type,
            confidence=confidence,
            expiration_date=expiration_date,
            immutable=immutable,
        )
        return self._send(Call("POST", "/relations", body=body))

    def get(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.get`: one memory, or None (unknown, or of another scope)."""
        ids = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        return self._memory("GET", memory_id, ids)

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | None = None,
        page: int | None = None,
        page_size: int | None = None,
        as_of: Any = None,
        known_at: Any = None,
    ) -> R:
        """`Memory.get_all`: the scope's current facts, one page."""
        params = _data(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            filters=None if filters is None else json.dumps(filters),
            page=page,
            page_size=page_size,
            as_of=as_of,
            known_at=known_at,
        )
        return self._send(Call("GET", "/memories", params=params))

    def update(
        self,
        memory_id: str,
        data: str | dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.update`: the next version of a fact."""
        if isinstance(data, dict):
            data = _data(**data)
        ids = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        return self._memory("PUT", memory_id, ids, body=_data(data=data, metadata=metadata))

    def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.delete`: close the memory's current version."""
        ids = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        return self._memory("DELETE", memory_id, ids)

    def batch_update(
        self,
        items: list[dict[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.batch_update`: many memories' next versions in one transaction, all or
        nothing; each item ``{"memory_id", "data", "metadata"}`` (metadata optional)."""
        memories = [_batch_item(item) for item in items]
        ids = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("PUT", "/batch", ids, {"memories": memories}))

    def batch_delete(
        self,
        memory_ids: list[str],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.batch_delete`: close many memories in one transaction, all or nothing."""
        memories = [{"memory_id": memory_id} for memory_id in memory_ids]
        ids = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("DELETE", "/batch", ids, {"memories": memories}))

    def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        sources: bool | None = None,
    ) -> R:
        """`Memory.history`: every change of a memory, oldest first (`sources`: with the
        episodes that taught each version)."""
        query = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id, "sources": sources}
        return self._memory("GET", memory_id, query, tail="/history")

    def feedback(
        self,
        memory_id: str,
        feedback: str,
        reason: str | None = None,
        *,
        by: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.feedback`: POSITIVE, NEGATIVE or VERY_NEGATIVE on a memory."""
        ids = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        body = _data(feedback=feedback, reason=reason, by=by)
        return self._memory("POST", memory_id, ids, tail="/feedback", body=body)

    def forget_document(
        self,
        document_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.forget_document`: what a document's episodes alone taught, retracted."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("DELETE", f"/documents/{_segment(document_id)}", params))

    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.delete_all`: erase the scope's memories."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("DELETE", "/memories", params=params))

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
        threshold: float | None = None,
        filters: dict[str, Any] | None = None,
        as_of: Any = None,
        hops: int | None = None,
        include_history: bool | None = None,
        include_episodes: bool | None = None,
        explain: bool | None = None,
    ) -> R:
        """`Memory.search` (no `rerank`: a reranker is an object of the caller's process)."""
        body = _data(
            query=query,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            limit=limit,
            threshold=threshold,
            filters=filters,
            as_of=as_of,
            hops=hops,
            include_history=include_history,
            include_episodes=include_episodes,
            explain=explain,
        )
        return self._send(Call("POST", "/search", body=body))

    def reset(self) -> R:
        """`Memory.reset`: erase every scope's data (a server for every scope only)."""
        return self._send(Call("POST", "/reset"))

    def changes(
        self,
        *,
        since: Any,
        until: Any = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> R:
        """`Memory.changes`: what was learned and retired in [since, until)."""
        params = _data(
            since=since, until=until, user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit
        )
        return self._send(Call("GET", "/changes", params=params))

    def neighbors(
        self,
        entity: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        hops: int | None = None,
        types: list[str] | None = None,
        as_of: Any = None,
        include_history: bool | None = None,
        limit: int | None = None,
    ) -> R:
        """`Memory.neighbors`: the facts within `hops` of an entity."""
        params = _data(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            hops=hops,
            types=types,
            as_of=as_of,
            include_history=include_history,
            limit=limit,
        )
        return self._send(Call("GET", f"/entities/{_segment(entity)}/neighbors", params))

    def get_entity(
        self,
        name: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """What the memory knows about one entity: its facts and the entities they reach."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("GET", f"/entities/{_segment(name)}", params))

    def query(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.query`: read-only Cypher (a server for every scope only)."""
        body = _data(
            cypher=cypher, params=params, user_id=user_id, agent_id=agent_id, run_id=run_id
        )
        return self._send(Call("POST", "/query", body=body))

    def export(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        include_embeddings: bool | None = None,
    ) -> R:
        """`Memory.export` without a path: the export document of the scope."""
        body = _data(
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            include_embeddings=include_embeddings,
        )
        return self._send(Call("POST", "/export", body=body))

    def create_webhook(
        self,
        url: str,
        event_types: list[str] | None = None,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        name: str | None = None,
        secret: str | None = None,
    ) -> R:
        """`Memory.create_webhook`: the webhook, with its signing secret."""
        body = _data(
            url=url,
            event_types=event_types,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            name=name,
            secret=secret,
        )
        return self._send(Call("POST", "/webhooks", body=body))

    def get_webhooks(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.get_webhooks`: the scope's webhooks."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("GET", "/webhooks", params=params))

    def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        name: str | None = None,
        active: bool | None = None,
        secret: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.update_webhook`: change what is given."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        body = _data(url=url, event_types=event_types, name=name, active=active, secret=secret)
        return self._send(Call("PUT", f"/webhooks/{_segment(webhook_id)}", params, body))

    def delete_webhook(
        self,
        webhook_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> R:
        """`Memory.delete_webhook`, with the deliveries queued for it."""
        params = _data(user_id=user_id, agent_id=agent_id, run_id=run_id)
        return self._send(Call("DELETE", f"/webhooks/{_segment(webhook_id)}", params))

    def health(self) -> R:
        """The server's /health answer: status, version, store kind, pid."""
        return self._send(Call("GET", "/health"))


def _result(call: Call, response: httpx.Response) -> Any:
    """The data of an answer, or its error raised as the graphmem error it names."""
    if response.is_success:
        return response.json()
    try:
        answer = response.json()
        name, message = str(answer["error"]), str(answer["message"])
    except (ValueError, KeyError, TypeError):
        name, message = "", f"HTTP {response.status_code}: {response.text[:500]}"
    if call.none_if_missing and name == "NotFoundError":
        return None
    raise _ERRORS.get(name, errors.GraphmemError)(message)


def _verify(url: str) -> bool:
    """TLS verification for `url`: httpx's default for https; none to set up for plain http
    (the default context loads the CA bundle, ~45 ms a client, a tenth of a CLI command)."""
    return not url.startswith("http://")


def _unreachable(url: str, exc: httpx.TransportError) -> errors.StoreError:
    return errors.StoreError(
        f"the graphmem server at {url} is not reachable ({type(exc).__name__}: {exc}); start "
        "it with `graphmem serve`"
    )


def _target(
    url: str | None, token: str | None, home: str | Path | None
) -> tuple[str, dict[str, str]]:
    """The server's URL and the request headers (see the module docstring)."""
    where = None if home is None else Path(home)
    if url is None:
        where = where or default_home()
        info = runfile.running(where)
        if info is None:
            raise errors.StoreError(
                f"no graphmem server is running for {where}; start one with `graphmem serve`, "
                "or pass its url"
            )
        url = info.url
    token = token or os.environ.get("GRAPHMEM_TOKEN") or None
    if token is None and where is not None:
        token = read_token(where)
    return url.rstrip("/"), ({"Authorization": f"Bearer {token}"} if token else {})


class MemoryClient(_Api[Any]):
    """The REST API over a blocking httpx client. Use as a context manager or `close()`."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        home: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url, headers = _target(url, token, home)
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, verify=_verify(self.url)
        )

    def _send(self, call: Call) -> Any:
        try:
            response = self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return _result(call, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MemoryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncMemoryClient(_Api[Awaitable[Any]]):
    """The REST API over httpx's asyncio client: every method is awaited. Use `async with`
    or `await close()`."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        home: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url, headers = _target(url, token, home)
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=timeout, verify=_verify(self.url)
        )

    async def _send(self, call: Call) -> Any:
        try:
            response = await self._http.request(
                call.method, call.path, params=call.params, json=call.body
            )
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return _result(call, response)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMemoryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def health(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The /health answer of the server at `url`, or None when it does not answer 200."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout, verify=_verify(url))
        found = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return found if isinstance(found, dict) else None
