"""all-MiniLM-L6-v2 on ONNX Runtime, built in memory from the installed model package.

The BERT encoder is written as a small ONNX graph of ONNX Runtime's fused CPU operators
(EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu) whose weights are the
package's safetensors tensors, handed to the session as external initializers: nothing is
exported, downloaded or written to disk, so there is no cache to go stale or corrupt, and
ONNX Runtime's telemetry is switched off (no network).

The vectors are the package's sentence-transformers pipeline (its ``modules.json``): the
``tokenizer.json`` WordPiece tokenizer truncated to ``max_seq_length`` tokens, the encoder's last
hidden state, mean pooling over the attention mask, L2 normalization. `OnnxMiniLM` checks the
package's configuration against that and raises `ImportError` (runtime not installed) or
`ValueError` (a model this graph does not implement); `graphmem.embeddings.MiniLMEmbedder` then
falls back to sentence-transformers.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

# One run of the graph takes texts of about the same length (sorted), at most CHUNK of them and
# at most TOKENS tokens with padding: small runs keep the activations in the CPU's caches.
CHUNK = 64
TOKENS = 512
_MS = "com.microsoft"  # ONNX Runtime's contrib operators


class OnnxMiniLM:
    """One ONNX Runtime session on one intra-op thread. The chunks of a batch of more than
    `few` texts run side by side on up to `workers` threads (the session is thread-safe and
    releases the GIL); a few texts run on the calling thread, so a query wakes no pool."""

    def __init__(self, path: Path, *, few: int, workers: int) -> None:
        from tokenizers import Tokenizer

        ort = _onnxruntime()
        max_tokens, layers, heads, eps = _check(path)
        graph, weights = _graph(path, layers, heads, eps)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        self._values = [ort.OrtValue.ortvalue_from_numpy(w) for w in weights.values()]
        options.add_external_initializers(list(weights), self._values)  # kept alive by self
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        self._few = few
        self._workers = max(1, workers)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, float32, one row per text in order."""
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        chunks: list[list[int]] = []  # longest texts first: a chunk's first sets its length
        for i in sorted(range(len(ids)), key=lambda i: -len(ids[i])):
            if (
                not chunks
                or len(chunks[-1]) == CHUNK
                or (len(chunks[-1]) + 1) * len(ids[chunks[-1][0]]) > TOKENS
            ):
                chunks.append([])
            chunks[-1].append(i)
        workers = min(self._workers, len(chunks)) if len(ids) > self._few else 1
        if workers == 1:
            parts = [self._run([ids[i] for i in chunk]) for chunk in chunks]
        else:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda c: self._run([ids[i] for i in c]), chunks))
        out = np.empty((len(ids), parts[0].shape[1]), dtype=np.float32)
        for chunk, part in zip(chunks, parts, strict=True):
            out[chunk] = part
        return out

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        # padded on the right: the graph's mask index is each row's count of real tokens
        tokens = np.zeros((len(ids), max(map(len, ids))), dtype=np.int32)
        mask = np.zeros_like(tokens)
        for row, seq in enumerate(ids):
            tokens[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        hidden = self._session.run(None, {"input_ids": tokens, "attention_mask": mask})[0]
        weight = mask[:, :, None].astype(np.float32)
        mean = (hidden * weight).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-9)
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        return (mean / np.maximum(norms, 1e-12)).astype(np.float32)


def _onnxruntime() -> Any:
    """The onnxruntime module, its telemetry off: its Linux builds upload usage events and keep
    a device id under ~/.cache unless ORT_DISABLE_TELEMETRY is set before it initializes."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime

    onnxruntime.disable_telemetry_events()  # in case it was imported before, without the variable
    return onnxruntime


def _check(path: Path) -> tuple[int, int, int, float]:
    """(max tokens, layers, heads, layer-norm epsilon) of the package's model, or ValueError
    when it is not a BERT encoder with mean pooling and normalization."""
    config = _json(path / "config.json")
    modules = [m["type"].rsplit(".", 1)[-1] for m in _json(path / "modules.json")]
    pooling = _json(path / "1_Pooling" / "config.json")
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    bert = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
    )
    if not bert or modules != ["Transformer", "Pooling", "Normalize"]:
        kind = config.get("model_type")
        raise ValueError(f"not a BERT encoder with pooling and normalization: {kind}, {modules}")
    if modes != {"pooling_mode_mean_tokens"}:
        raise ValueError(f"pooling is not the mean of the tokens: {sorted(modes)}")
    max_tokens = int(_json(path / "sentence_bert_config.json")["max_seq_length"])
    if max_tokens > config["max_position_embeddings"]:
        raise ValueError(f"max_seq_length {max_tokens} exceeds the position embeddings")
    layers, heads = config["num_hidden_layers"], config["num_attention_heads"]
    return max_tokens, layers, heads, float(config["layer_norm_eps"])


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _graph(path: Path, layers: int, heads: int, eps: float) -> tuple[bytes, dict[str, np.ndarray]]:
    """The encoder graph (without its weights) and the weights by initializer name."""
    from safetensors.numpy import load_file

    src = load_file(str(path / "model.safetensors"))
    weights: dict[str, np.ndarray] = {}
    nodes: list[bytes] = []

    def w(name: str, transpose: bool = False) -> str:
        """The initializer of tensor `name`; a torch Linear's weight transposed (y = x @ W)."""
        weights[name] = np.ascontiguousarray(src[name].T if transpose else src[name], np.float32)
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: float) -> str:
        nodes.append(_node(op, inputs, [output], "" if op == "MatMul" else _MS, **attrs))
        return output

    # every token has type 0: its embedding folds into the position embeddings
    src["positions"] = (
        src["embeddings.position_embeddings.weight"]
        + src["embeddings.token_type_embeddings.weight"][0]
    )
    embedded = ["input_ids", "", w("embeddings.word_embeddings.weight"), w("positions"), ""]
    embedded += [w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), "attention_mask"]
    nodes.append(_node("EmbedLayerNormalization", embedded, ["x", "mask_index"], _MS, epsilon=eps))
    x = "x"
    for i in range(layers):
        p = f"encoder.layer.{i}."
        parts = [f"{p}attention.self.{n}" for n in ("query", "key", "value")]
        src[p + "qkv"] = np.concatenate([src[n + ".weight"].T for n in parts], axis=1)
        src[p + "qkv.bias"] = np.concatenate([src[n + ".bias"] for n in parts])
        qkv = [x, w(p + "qkv"), w(p + "qkv.bias"), "mask_index"]
        a = node("Attention", qkv, p + "a", num_heads=heads)
        a = node("MatMul", [a, w(p + "attention.output.dense.weight", True)], p + "ao")
        ln = p + "attention.output.LayerNorm."
        skip = [a, x, w(ln + "weight"), w(ln + "bias"), w(p + "attention.output.dense.bias")]
        x = node("SkipLayerNormalization", skip, p + "x1", epsilon=eps)
        h = node("MatMul", [x, w(p + "intermediate.dense.weight", True)], p + "i")
        h = node("BiasGelu", [h, w(p + "intermediate.dense.bias")], p + "gelu")
        h = node("MatMul", [h, w(p + "output.dense.weight", True)], p + "o")
        ln = p + "output.LayerNorm."
        skip = [h, x, w(ln + "weight"), w(ln + "bias"), w(p + "output.dense.bias")]
        x = node("SkipLayerNormalization", skip, p + "x2", epsilon=eps)
    graph = b"".join(_len(1, n) for n in nodes) + _len(2, "minilm")
    graph += b"".join(_len(5, _external(name, a.shape)) for name, a in weights.items())
    for name in ("input_ids", "attention_mask"):
        graph += _len(11, _value_info(name, _INT32, ["batch", "tokens"]))
    graph += _len(12, _value_info(x, _FLOAT, ["batch", "tokens", None]))
    model = _int(1, 8) + _len(7, graph)  # ir_version 8
    model += _len(8, _len(1, "") + _int(2, 17)) + _len(8, _len(1, _MS) + _int(2, 1))  # opsets
    return model, weights


# The few ONNX protobuf messages the graph needs, written directly (field numbers from
# onnx/onnx.proto): building it then needs neither the onnx package nor its import time.
_FLOAT, _INT32 = 1, 6  # TensorProto.DataType


def _node(op: str, inputs: list[str], outputs: list[str], domain: str, **attrs: float) -> bytes:
    out = b"".join(_len(1, i) for i in inputs) + b"".join(_len(2, o) for o in outputs)
    out += _len(4, op) + _len(7, domain)
    for name, value in attrs.items():  # AttributeProto: an int (type 2) or a float (type 1)
        if isinstance(value, int):
            out += _len(5, _len(1, name) + _int(3, value) + _int(20, 2))
        else:
            out += _len(
                5, _len(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, 1)
            )
    return out


def _value_info(name: str, elem_type: int, dims: list[str | int | None]) -> bytes:
    shape = b"".join(
        _len(1, b"" if d is None else _len(2, d) if isinstance(d, str) else _int(1, d))
        for d in dims
    )
    return _len(1, name) + _len(2, _len(1, _int(1, elem_type) + _len(2, shape)))


def _external(name: str, dims: tuple[int, ...]) -> bytes:
    """A float TensorProto whose data the session is given (add_external_initializers)."""
    location = _len(1, "location") + _len(2, "graphmem-minilm")
    out = b"".join(_int(1, d) for d in dims) + _int(2, _FLOAT) + _len(8, name)
    return out + _len(13, location) + _int(14, 1)  # data_location EXTERNAL


def _len(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
