"""Fuzzed public surface: every public `Memory` method and every CLI command, driven by
hypothesis with hostile input (wrong types, sizes, unicode, control characters, injection-shaped
names and filter keys). The REST routes get the same treatment in tests/test_server_rest.py.

The promises checked on every example: a call either succeeds or raises one of graphmem's typed
errors (`GraphmemError`; a CLI command exits 0, or 2 with a message, as argparse does for a bad
flag); a call that fails writes nothing (the database's node and relationship counts and the
actor's export are what they were); and a victim user, never named, is untouched at the end.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.cli import main
from graphmem.errors import GraphmemError
from graphmem.webhooks.registry import EVENT_TYPES

from .helpers.hostile import (
    CYPHER,
    OFTEN,
    SELDOM,
    counts,
    filters_of,
    fractions,
    junk_of,
    short_texts,
    times_of,
)
from .helpers.raw import open_raw_session

VICTIM = f"victim-{uuid.uuid4().hex[:8]}"
ACTOR = f"actor-{uuid.uuid4().hex[:8]}"

ids = short_texts(ACTOR, ACTOR, ACTOR, "mallory")
names = ids | st.text(max_size=300)
junk = junk_of(names)
times = times_of(names)
filters = filters_of(junk)
part = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "pdf_url", "mdx_url", "image_url"]) | names},
    optional={
        "text": names,
        "pdf_url": st.fixed_dictionaries({"url": names}) | junk,
        "mdx_url": st.fixed_dictionaries({"url": names | st.just("data:,I%20like%20tea.")}),
        "image_url": junk,
    },
)
content = names | part | st.lists(part, max_size=2)
message = st.fixed_dictionaries({"content": content}, optional={"role": names, "name": names})
messages = names | st.lists(message, max_size=3) | junk
metadata = st.none() | st.dictionaries(names, junk, max_size=3) | junk


REQUIRED = {"since"}  # keyword-only arguments without a default: always passed


def _scope(draw: st.DrawFn) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    if draw(OFTEN):
        scope["user_id"] = draw(junk if draw(SELDOM) else ids)
    for key in ("agent_id", "run_id"):
        if draw(SELDOM):
            scope[key] = draw(junk if draw(SELDOM) else ids)
    return scope


def _pick(draw: st.DrawFn, good: st.SearchStrategy[Any]) -> Any:
    return draw(junk if draw(SELDOM) else good)


def _options(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    return {
        key: _pick(draw, value)
        for key, value in options.items()
        if key in REQUIRED or draw(st.booleans())
    }


@st.composite
def memory_calls(
    draw: st.DrawFn, folder: Path, memory_ids: list[str]
) -> tuple[str, tuple, dict[str, Any]]:
    """A public `Memory` method (all but `reset`, which rightly erases every scope) and
    hostile arguments for it: `(name, args, kwargs)`. Files are written in `folder` only."""
    some_id = st.sampled_from(memory_ids) | names
    events = st.lists(st.sampled_from(EVENT_TYPES) | names, max_size=3)
    # where export writes: nowhere, a file of `folder`, or a value that is no path at all
    targets = (
        st.none()
        | st.sampled_from([folder / "out.json", str(folder / "out.graphml"), folder / "no/dir"])
        | junk.filter(lambda v: not isinstance(v, str))
    )
    item = st.fixed_dictionaries(
        {"messages": messages},
        optional={"user_id": ids, "metadata": metadata, "infer": st.booleans(), "timestamp": times},
    )
    calls: dict[str, tuple[tuple[st.SearchStrategy[Any], ...], dict[str, Any], bool]] = {
        # name: (positional strategies, keyword strategies, scoped)
        "add": (
            (messages,),
            {"metadata": metadata, "infer": st.just(False), "timestamp": times},
            True,
        ),
        "add_many": ((st.lists(item, max_size=3) | junk,), {}, False),
        "add_relation": (
            (names, names | st.sampled_from(["LIVES_IN", "works at"]), names),
            {
                "valid_from": times,
                "valid_to": times,
                "metadata": metadata,
                "source": names,
                "subject_type": names,
                "object_type": names,
                "confidence": fractions,
                "expiration_date": times,
                "immutable": st.booleans(),
            },
            True,
        ),
        "update": ((some_id, names | junk), {"metadata": metadata}, False),
        "delete": ((some_id,), {}, False),
        "batch_update": (
            (
                st.lists(
                    st.fixed_dictionaries(
                        {"memory_id": some_id},
                        optional={"data": names | junk, "metadata": metadata},
                    ),
                    max_size=3,
                )
                | junk,
            ),
            {},
            False,
        ),
        "batch_delete": ((st.lists(some_id, max_size=3) | junk,), {}, False),
        "delete_all": ((), {}, True),
        "get": ((some_id,), {}, False),
        "get_all": (
            (),
            {
                "filters": filters,
                "page": counts,
                "page_size": counts,
                "as_of": times,
                "known_at": times,
            },
            True,
        ),
        "history": ((some_id,), {"sources": st.booleans()}, False),
        "feedback": (
            (some_id, st.sampled_from(["POSITIVE", "negative", "VERY_NEGATIVE"]) | names),
            {"reason": names | junk, "by": names | junk},
            False,
        ),
        "changes": ((), {"since": times, "until": times, "limit": counts}, True),
        "forget_episode": ((names,), {}, True),
        "forget_document": ((names,), {}, True),
        "create_webhook": (
            (names | st.just("http://127.0.0.1:1/hook"),),
            {"event_types": events | junk, "name": names, "secret": names},
            True,
        ),
        "get_webhooks": ((), {}, True),
        "get_webhook": ((names,), {}, False),
        "update_webhook": (
            (names,),
            {
                "url": names,
                "event_types": events,
                "name": names,
                "active": st.booleans(),
                "secret": names,
            },
            False,
        ),
        "delete_webhook": ((names,), {}, False),
        "merge_entities": ((names, names), {}, True),
        "search": (
            (names,),
            {
                "limit": counts,
                "threshold": fractions,
                "filters": filters,
                "as_of": times,
                "hops": counts,
                "rerank": st.booleans(),
                "include_history": st.booleans(),
                "include_episodes": st.booleans(),
                "explain": st.booleans(),
            },
            True,
        ),
        "neighbors": (
            (names,),
            {
                "hops": counts,
                "types": st.lists(names, max_size=3),
                "as_of": times,
                "include_history": st.booleans(),
                "limit": counts,
            },
            True,
        ),
        "query": ((CYPHER | names, st.dictionaries(names, junk, max_size=3)), {}, True),
        "ingest": (
            (st.lists(item, max_size=3) | st.lists(junk, max_size=3),),
            {"infer": st.just(False), "batch_size": counts, "progress": st.just(False)},
            True,
        ),
        "export": ((targets,), {"include_embeddings": st.booleans(), "format": names}, True),
        "import_": ((st.dictionaries(names, junk, max_size=3),), {}, False),
    }
    name = draw(st.sampled_from(sorted(calls)))
    positional, keywords, scoped = calls[name]
    args = tuple(
        draw(strategy) if name == "export" else _pick(draw, strategy) for strategy in positional
    )
    kwargs = _options(draw, keywords)
    if scoped:
        kwargs.update(_scope(draw))
    return name, args, kwargs


def _state(memory: Memory) -> tuple[Any, ...]:
    """The database's node and relationship counts and the actor's export, comparable."""
    with open_raw_session(memory.store) as session:
        nodes = session.run("MATCH (n) RETURN count(n) AS n").single()["n"]
        edges = session.run("MATCH ()-[r]->() RETURN count(r) AS n").single()["n"]
    return nodes, edges, _shape(memory.export(user_id=ACTOR, include_embeddings=False))


def _shape(export: dict[str, Any]) -> tuple[list[str], list[str]]:
    return (
        sorted(json.dumps(n, sort_keys=True) for n in export["nodes"]),
        sorted(json.dumps(r, sort_keys=True) for r in export["relationships"]),
    )


def _seed(memory: Memory, user: str) -> list[str]:
    """A few facts (one with two versions) and an episode; their memory ids."""
    made = [
        memory.add_relation("Vera", "LIVES_IN", "Oslo", user_id=user),
        memory.add_relation("Vera", "LIVES_IN", "Bergen", user_id=user),
        memory.add_relation("Vera", "WORKS_AT", "Initech", user_id=user, metadata={"k": 1}),
    ]
    memory.add("I like sailing.", user_id=user, infer=False)
    return [r["results"][0]["id"] for r in made]


@pytest.fixture
def victim(memory: Memory) -> Any:
    _seed(memory, VICTIM)
    before = _shape(memory.export(user_id=VICTIM, include_embeddings=False))
    yield
    assert _shape(memory.export(user_id=VICTIM, include_embeddings=False)) == before


def test_memory_methods_raise_only_typed_errors_and_fail_whole(
    memory: Memory, tmp_path: Path, victim
) -> None:
    memory_ids = _seed(memory, ACTOR)
    failures: dict[str, int] = {}

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(memory_calls(tmp_path, memory_ids))
    def check(call: tuple[str, tuple, dict[str, Any]]) -> None:
        name, args, kwargs = call
        before = _state(memory)
        try:
            getattr(memory, name)(*args, **kwargs)
        except GraphmemError as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            assert _state(memory) == before, f"{name} failed ({exc}) but wrote"
        except Exception as exc:  # noqa: BLE001 (the point of the test)
            raise AssertionError(f"{name}{args!r:.300} {kwargs!r:.300}: untyped {exc!r}") from exc

    try:
        check()
    finally:  # the webhooks it registered (none of the victim's): no later deliverer meets them
        with open_raw_session(memory.store) as session:
            session.run("MATCH (n) WHERE n:Webhook OR n:WebhookDelivery DETACH DELETE n")
    assert failures, "no call was refused: the generated input is not hostile"


# -- the command line --------------------------------------------------------------------------


@st.composite
def cli_calls(draw: st.DrawFn, folder: Path, memory_ids: list[str]) -> list[str]:
    """A command line: a command (all but demo, serve, mcp, inspect and reset), hostile
    positional values and flags. Files it reads hold generated text; files it writes go to
    `folder`."""
    text = names.filter(lambda s: "\x00" not in s)  # argv cannot carry NUL
    some_id = st.sampled_from(memory_ids) | text
    commands: dict[str, tuple[tuple[st.SearchStrategy[Any], ...], dict[str, Any]]] = {
        "add": (
            (text,),
            {
                "--speaker": text,
                "--metadata": text,
                "--timestamp": text,
                "--no-infer": None,
                "--file": st.just("input") | text,
            },
        ),
        "forget-document": ((text,), {}),
        "extract": ((text,), {"--speaker": text, "--date": text}),
        "relate": ((text, text, text), {"--valid-from": text, "--metadata": text}),
        "get": ((some_id,), {}),
        "get-all": ((), {"--page": text, "--page-size": text, "--filters": text}),
        "search": ((text,), {"--limit": text, "--hops": text, "--as-of": text}),
        "history": ((some_id,), {}),
        "feedback": ((some_id, text), {"--reason": text, "--by": text}),
        "delete": ((some_id,), {}),
        "delete-all": ((), {"--yes": None}),
        "config": ((st.sampled_from(["show", "shw"]),), {}),
        "ingest": (
            (st.just("input"),),
            {"--batch-size": text, "--limit": text, "--no-infer": None},
        ),
        "export": ((), {"--format": text, "--no-embeddings": None}),
        "import": ((st.just("input"),), {}),
    }
    name = draw(st.sampled_from(sorted(commands)))
    positional, flags = commands[name]
    argv = [name, *(draw(s) for s in positional)]
    for flag, value in flags.items():
        if draw(st.booleans()):
            argv += [flag] if value is None else [f"{flag}={draw(value)}"]
    if name not in ("extract", "config", "import") and draw(OFTEN):
        argv.append(f"--user={draw(ids.filter(lambda s: chr(0) not in s))}")
    if name == "export":
        argv.append(f"--out={folder / 'out'}")
    if "input" in argv:
        content = draw(st.lists(junk, max_size=3).map(lambda xs: "\n".join(map(json.dumps, xs))))
        (folder / "input").write_text(draw(text) if draw(SELDOM) else content)
        argv[argv.index("input")] = str(folder / "input")
    return ["--no-server", *(["--json"] if draw(OFTEN) else []), *argv]


def test_cli_commands_exit_with_a_message_never_a_traceback(
    memory: Memory, config: dict[str, Any], tmp_path: Path, victim
) -> None:
    memory_ids = _seed(memory, ACTOR)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    codes: dict[int, int] = {}

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(cli_calls(tmp_path, memory_ids))
    def check(argv: list[str]) -> None:
        before = _state(memory)
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                code = main(["--config", str(config_file), *argv])
            except SystemExit as exc:  # argparse: a bad flag or value
                code = exc.code if isinstance(exc.code, int) else 2
            except Exception as exc:  # noqa: BLE001 (the point of the test)
                raise AssertionError(f"{argv!r:.500}: untyped {exc!r}") from exc
        assert code in (0, 2), (argv, code)
        codes[code] = codes.get(code, 0) + 1
        if code:
            assert err.getvalue().strip(), f"{argv!r:.300} failed without a message"
            assert "Traceback" not in err.getvalue()
            assert _state(memory) == before, f"{argv!r:.300} failed but wrote"

    check()
    assert codes.get(2) and codes.get(0), codes  # both outcomes were reached
