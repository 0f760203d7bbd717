"""Embedders: the OpenAI-compatible one through the real `openai` client against a scripted
local server; the hashing one's determinism; MiniLM's real semantics from the installed model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from graphmem.config import EmbedderConfig
from graphmem.embeddings import HashingEmbedder, make_embedder
from graphmem.errors import EmbedderError

from .openai_stub import openai_server


def _embeddings(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert path == "/v1/embeddings"
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(t)), 0.0, 1.0]}
        for i, t in enumerate(body["input"])
    ]
    data.reverse()  # the client must restore input order from `index`
    return 200, {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }


def test_openai_embedder_uses_the_configured_endpoint() -> None:
    with openai_server(_embeddings) as (base_url, received):
        emb = make_embedder(
            EmbedderConfig(
                provider="openai", base_url=base_url, api_key="sk-test", model="my-embed"
            )
        )
        vectors = emb.embed(["ab", "abcd"])
    assert received[0]["body"]["model"] == "my-embed"
    assert received[0]["body"]["input"] == ["ab", "abcd"]
    assert received[0]["auth"] == "Bearer sk-test"
    assert emb.dimensions == 3  # learned from the endpoint
    np.testing.assert_allclose(vectors[0], np.array([2.0, 0, 1]) / np.sqrt(5), rtol=1e-6)
    np.testing.assert_allclose(vectors[1], np.array([4.0, 0, 1]) / np.sqrt(17), rtol=1e-6)


def test_openai_embedder_rejects_a_wrong_size() -> None:
    with openai_server(_embeddings) as (base_url, _):
        emb = make_embedder(
            EmbedderConfig(provider="openai", base_url=base_url, api_key="k", dimensions=8)
        )
        with pytest.raises(EmbedderError, match="3 dims"):
            emb.embed(["x"])


def test_hashing_embedder_is_deterministic_and_unit_length() -> None:
    a, b = HashingEmbedder(64).embed(["Alice Smith", "Alice Smith"])
    assert a == b and abs(np.linalg.norm(a) - 1) < 1e-9
    c = HashingEmbedder(64).embed(["Zanzibar"])[0]
    assert np.dot(a, c) < np.dot(a, HashingEmbedder(64).embed(["Alice Smyth"])[0])


def test_minilm_embeds_meaning_from_the_installed_package() -> None:
    emb = make_embedder(EmbedderConfig())
    assert emb.name == "minilm" and emb.dimensions == 384
    job, career, fruit = (
        np.array(v)
        for v in emb.embed(
            ["She works at a bank", "Her job is at a financial firm", "Bananas are yellow"]
        )
    )
    assert len(job) == 384 and abs(np.linalg.norm(job) - 1) < 1e-5
    assert job @ career > job @ fruit + 0.2
