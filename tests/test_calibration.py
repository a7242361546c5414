"""The evidence threshold: computed on question sets for the index's model, kept with it, recomputed when it changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from index_helpers import build_index, cli_env, close

from chatbot.calibration import Calibration, applies, calibrate, save, stale, stored, threshold
from chatbot.gate import MIN_EVIDENCE
from chatbot.retrieval import Index

pytest_plugins = ["fixtures_index"]

DEV = ROOT / "eval" / "dev.jsonl"


@pytest.fixture
def seed_copy(tmp_path: Path, real_embedder: Any) -> Any:
    """A real-model index of the seed guide of this test's own (calibrations are written into it)."""
    (tmp_path / "knowledge").mkdir()
    index = build_index(tmp_path / "knowledge", tmp_path / "index", real_embedder, "seed")
    yield index
    close(index)


def test_the_threshold_falls_between_what_to_answer_and_what_to_refuse(seed_copy: Index) -> None:
    result = calibrate(seed_copy, [DEV])
    assert result.errors == 0 and result.in_scope >= 8 and result.out_of_scope >= 1
    assert result.highest_out_of_scope < result.min_evidence < result.lowest_in_scope
    assert result.embedding_model == seed_copy.store.record.meta("embedding_model")
    assert Calibration.from_json(result.to_json()) == result


def test_it_is_kept_with_the_index_and_used_only_for_its_own_model(seed_copy: Index) -> None:
    assert stored(seed_copy) is None and threshold(seed_copy) == MIN_EVIDENCE
    result = calibrate(seed_copy, [DEV])
    save(seed_copy, result)
    assert stored(seed_copy) == result and threshold(seed_copy) == result.min_evidence
    other = Calibration(0.5, "another model", ("eval/dev.jsonl",), 1, 1, 0.6, 0.4, 0)
    save(seed_copy, other)
    assert stored(seed_copy) is None and threshold(seed_copy) == MIN_EVIDENCE  # never a stale threshold
    assert stale(seed_copy) == other


def test_a_calibration_for_another_model_is_computed_again_after_an_ingest(seed_copy: Index) -> None:
    from chatbot.service import recalibrate_if_stale

    save(seed_copy, Calibration(0.5, "another model", ("eval/dev.jsonl",), 1, 1, 0.6, 0.4, 0))
    recalibrate_if_stale(seed_copy)
    again = stored(seed_copy)
    assert again is not None and again.embedding_model == seed_copy.store.record.meta("embedding_model")
    assert again.min_evidence != 0.5 and again.errors == 0


def test_an_index_without_one_is_calibrated_on_the_dev_set_only_when_it_is_about_its_guides(
    seed_copy: Index, roles_index: Index
) -> None:
    from chatbot.service import recalibrate_if_stale

    assert applies(seed_copy, DEV) and not applies(roles_index, DEV)
    recalibrate_if_stale(roles_index)
    assert stored(roles_index) is None
    recalibrate_if_stale(seed_copy)
    assert stored(seed_copy) is not None


def test_the_calibrate_command(seed_copy: Index, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "chatbot", "calibrate", "--index", str(tmp_path / "index"), "--json"],
                          cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["errors"] == 0 and result["sets"] == ["eval/dev.jsonl"]  # found again from another clone
    assert result["query_encoder"] == "onnx"  # calibrated for the encoder that answers (the default)
    assert stored(Index(seed_copy.store, seed_copy.embedder, "onnx")) is not None

