"""Query encoders: the document model itself (torch), or the same MiniLM as an ONNX model (int8 or float32) on
onnxruntime.

The ONNX file is exported from the local model on this machine the first time it is needed (never downloaded)
and kept in a cache folder keyed by the model and the exporter's versions. Answering with it imports neither
torch nor sentence-transformers: onnxruntime (already installed for Chroma), tokenizers and numpy do the work.
We export with torch.onnx and quantize with onnxruntime.quantization instead of sentence-transformers'
backend="onnx": that backend needs optimum and still imports torch and sentence-transformers on every start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from chatbot.embeddings import IN_CONTEXT, PACKAGED_MODEL, Embedder, model_path
from chatbot.errors import ConfigError

QUERY_ENCODERS = ("onnx", "onnx-int8", "torch")
# Change a recipe when its export or quantization changes: the cache key includes it, so old files are not reused.
# int8: weights per output channel, activations per run; the feed-forward down-projections stay float32 (with
# them quantized too, query vectors had cosine mean 0.992, min 0.968 with torch's on the 106 dev, heldout and
# benign questions; kept, 0.996 and 0.978).
# onnx: float32 as exported, the same vectors as torch's to 1e-6, without torch.
RECIPES = {"onnx-int8": "int8-dynamic-per-channel, ffn-down float32, v1", "onnx": "float32, v1"}
FILE = "model.onnx"
log = logging.getLogger(__name__)


def cache_root() -> Path:
    """Where exported models live: $XDG_CACHE_HOME/careerbot/onnx, else ~/.cache/careerbot/onnx."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "careerbot" / "onnx"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def cache_key(folder: str, kind: str = "onnx") -> str:
    """A key for the model folder's weights, the recipe and the versions of what exports and quantizes them."""
    weights = sorted(p for p in Path(folder).iterdir() if p.suffix in (".safetensors", ".bin"))
    facts = {
        "model": str(Path(folder).resolve()),
        "weights": [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in weights],
        "versions": [_version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")],
        "recipe": RECIPES[kind],
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def export(folder: str, target: Path, int8: bool = True) -> None:
    """Export the model's transformer to ONNX, its weights quantized to int8 or not (only here are torch and onnx
    used)."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    quiet = _Quiet()
    logging.getLogger().addFilter(quiet)  # the quantizer's "consider pre-processing" line on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes about the legacy exporter, once per export
            _export(folder, target, int8)
    finally:
        logging.getLogger().removeFilter(quiet)


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _export(folder: str, target: Path, int8: bool) -> None:
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(folder)
    # Eager attention traces to plain MatMul/Softmax with the mask applied, which onnxruntime runs as is.
    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()

    class Tokens(torch.nn.Module):
        """The transformer's last hidden state: pooling is done in numpy, as sentence-transformers' Pooling does."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # Traced with one padded row, so the mask is an input of the graph and not folded into a constant.
    ids = torch.tensor([[101, 2054, 2515, 1037, 2951, 102], [101, 7592, 102, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        plain = Path(work) / "float32.onnx"
        with torch.no_grad():
            torch.onnx.export(Tokens(model), (ids, mask, torch.zeros_like(ids)), str(plain), input_names=names,
                              output_names=["token_embeddings"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]})
        if not int8:
            os.replace(plain, target)  # same folder: the cached file is whole or absent
            return
        graph = onnx.load(str(plain)).graph
        down = {(config.intermediate_size, config.hidden_size)}
        shapes = {t.name: tuple(t.dims) for t in graph.initializer}
        keep = [n.name for n in graph.node if n.op_type == "MatMul" and any(shapes.get(i) in down for i in n.input)]
        partial = Path(work) / FILE
        quantize_dynamic(str(plain), str(partial), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=keep)
        os.replace(partial, target)  # same folder: the cached file is whole or absent


@dataclass(frozen=True)
class _Loaded:
    session: Any
    tokenizer: Any
    dimension: int


_LOADED: dict[tuple[str, int], _Loaded] = {}  # one session per file and thread count, shared by every encoder
_LOADED_LOCK = threading.Lock()


class OnnxEncoder:
    """MiniLM as an ONNX model: float32 (torch's vectors to 1e-6 in about half its time) or int8 (faster still,
    vectors within cosine 0.97 of torch's: enough to swap near-tied chunks, so it is not the default)."""

    def __init__(self, model: str = "", threads: int = 1, cache: Path | None = None, kind: str = "onnx") -> None:
        self.kind = kind
        # The same name as the document embedder's: the vectors are the same model's, so an index built with
        # torch is searched with these (the index records this name and checks it).
        self.name = f"{model or PACKAGED_MODEL}{IN_CONTEXT}"
        self._path = model
        self.threads = threads
        self.cache = cache
        self._counter: Any = None
        self._loaded: _Loaded | None = None

    @property
    def file(self) -> Path:
        """The exported model file for this model and this machine's exporter versions."""
        return (self.cache or cache_root()) / cache_key(model_path(self._path), self.kind) / FILE

    def _load(self) -> _Loaded:
        if self._loaded is not None:  # the cache key reads package metadata: milliseconds, not for every query
            return self._loaded
        file = self.file
        key = (str(file), self.threads)
        with _LOADED_LOCK:
            if key not in _LOADED:
                _LOADED[key] = _open(model_path(self._path), file, self.threads, self.kind == "onnx-int8")
            self._loaded = _LOADED[key]
            return self._loaded

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text: mean of the token vectors under the mask, normalized."""
        loaded = self._load()
        out = np.zeros((len(texts), loaded.dimension), dtype=np.float32)
        # One text per run: the int8 activations' scale is computed over the whole input, so a batch (and its
        # padding) would shift each text's vector a little. Queries come one at a time anyway.
        for row, text in enumerate(texts):
            encoding = loaded.tokenizer.encode(text)
            ids = np.asarray([encoding.ids], dtype=np.int64)
            mask = np.asarray([encoding.attention_mask], dtype=np.int64)
            tokens = loaded.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                               "token_type_ids": np.zeros_like(ids)})[0][0]
            weights = mask[0, :, None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=0) / max(float(weights.sum()), 1e-9)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out

    @property
    def dimension(self) -> int:
        """Length of one vector."""
        return self._load().dimension

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see, without [CLS]/[SEP] (the document embedder's count, from the tokenizer)."""
        if self._counter is None:
            from chatbot.embeddings import SentenceTransformerEmbedder

            self._counter = SentenceTransformerEmbedder(self._path)
        return int(self._counter.count_tokens(text))


def _open(folder: str, file: Path, threads: int, int8: bool) -> _Loaded:
    """The session for the exported file, exporting it first when it is missing or does not load."""
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ConfigError(f"the ONNX query encoder needs {exc.name}: pip install onnxruntime tokenizers, "
                          "or set CAREERBOT_QUERY_ENCODER=torch") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's default, all cores
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its warnings about unused initializers are noise on every start

    def session() -> Any:
        return onnxruntime.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])

    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file.parent / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting together: one exports, the other waits for it
        try:
            loaded = session() if file.is_file() else None
        except Exception as exc:  # onnxruntime raises its own types for a file it cannot parse
            log.warning("the cached ONNX query encoder %s does not load (%s); exporting it again", file, exc)
            loaded = None
        if loaded is None:
            log.info("exporting the query encoder to %s (once for this model and these versions)", file)
            try:
                export(folder, file, int8)
            except Exception as exc:  # whatever torch.onnx or the quantizer raise, the user gets one line
                raise ConfigError(f"cannot export the ONNX query encoder from {folder}: {exc}; "
                                  "set CAREERBOT_QUERY_ENCODER=torch to answer with the torch model") from None
            loaded = session()
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(_max_tokens(folder))
    hidden = json.loads(Path(folder, "config.json").read_text())["hidden_size"]
    return _Loaded(loaded, tokenizer, int(hidden))


def _max_tokens(folder: str) -> int:
    """The window sentence-transformers cuts texts to (its sentence_bert_config.json), else 256."""
    config = Path(folder, "sentence_bert_config.json")
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.is_file() else 256


def make_query_encoder(name: str, documents: Embedder, threads: int = 1, cache: Path | None = None) -> Embedder:
    """The query encoder a setting names; `documents` is the index's document embedder (the torch model)."""
    match name:
        case "torch":
            return documents
        case "onnx-int8" | "onnx":
            encoder = OnnxEncoder(getattr(documents, "model", ""), threads, cache, name)
            if encoder.name != documents.name:  # its vectors are only comparable with its own model's
                raise ConfigError(f"the {name} query encoder runs {encoder.name!r}, but the documents are "
                                  f"embedded with {documents.name!r}; set CAREERBOT_QUERY_ENCODER=torch")
            return encoder
        case _:
            raise ConfigError(f"CAREERBOT_QUERY_ENCODER={name!r} is not one of: {', '.join(QUERY_ENCODERS)}")


def encoder_kind(encoder: Embedder) -> str:
    """What encodes the queries, for the calibration: fakes and wrappers count as the document model (torch)."""
    return str(getattr(encoder, "kind", "torch"))
