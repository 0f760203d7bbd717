"""graphmem reaches no host but the ones configured (SECURITY.md: "no network at run time").

A child process watches every connection and name lookup it makes with an audit hook
(`sys.addaudithook`: "socket.connect", "socket.getaddrinfo") and refuses any that is not on
loopback, then uses the memory as a user would: the default MiniLM embedder and spaCy
extractor, add and search, and the LLM extractor pointed at a local OpenAI-compatible server.
The store is the session's, reached over Bolt on loopback. Model weights come from installed
packages, so nothing is looked up or downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphmem import Memory

from .openai_stub import openai_server

CHILD = r"""
import ipaddress, json, socket, sys

refused = []

def loopback(host):
    if host in (None, "", "localhost") or str(host).endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False

def guard(event, args):
    if event == "socket.getaddrinfo" and not loopback(args[0]):
        refused.append(["lookup", str(args[0])])
        raise OSError("test: no network")
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not loopback(address[0]):
            refused.append(["connect", str(address[0])])
            raise OSError("test: no network")

sys.addaudithook(guard)

import graphmem
config = json.loads(sys.argv[1])
with graphmem.Memory(config) as m:
    said = {"role": "user", "name": "Ines", "content": "I moved to Lisbon and I work at Acme."}
    m.add([said], user_id=sys.argv[2])
    found = m.search("Where does Ines live?", user_id=sys.argv[2])
print(json.dumps({"refused": refused, "results": len(found["results"])}))
"""


def _run(config: dict, user: str, cwd: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HF_"))}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config), user],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="checks the embedded store")
def test_the_default_memory_reaches_no_host(
    server: Memory, store_home: Path, user: str, tmp_path: Path
) -> None:
    # the production defaults (MiniLM, spaCy) on the session's store
    answer = _run({"store": {"home": str(store_home)}}, user, tmp_path)
    assert answer["refused"] == []
    assert answer["results"] > 0


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="checks the embedded store")
def test_the_llm_extractor_reaches_only_its_configured_server(
    server: Memory, store_home: Path, user: str, tmp_path: Path
) -> None:
    reply = {
        "entities": [{"name": "Ines", "type": "Person"}, {"name": "Lisbon", "type": "Place"}],
        "relations": [{"subject": "Ines", "relation": "LIVES_IN", "object": "Lisbon"}],
    }

    def respond(path: str, body: dict) -> tuple[int, dict]:
        message = {"role": "assistant", "content": json.dumps(reply)}
        return 200, {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }

    with openai_server(respond) as (url, received):
        config = {
            "store": {"home": str(store_home)},
            "embedder": {"provider": "hashing", "dimensions": 384},
            "extractor": "llm",
            "llm": {"model": "scripted", "base_url": url, "api_key": "test"},
        }
        answer = _run(config, user, tmp_path)
    assert answer["refused"] == []
    assert received, "the extractor never called its configured server"
