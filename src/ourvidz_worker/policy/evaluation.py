"""The evaluation CLI: `python -m ourvidz_worker.policy --evaluate CORPUS.jsonl` (see `__main__.py`).

Measures the policy on a labelled corpus (JSON lines: `text`, `label` block|allow, `category`,
optional `lang`, `explicit`, `characterDescription`, `enhancedPrompt`, `negativePrompt`) and prints
a JSON report: refusal rates overall, on the `explicit` subset, per category and per language;
false-positive rates overall and on adult-explicit prompts; per-rule counts; latency (p50/p95 of
one `check`, and of the semantic layer alone, on one thread); and whether each target is met. The
report carries line numbers, never prompt text.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .prompt_policy import UNCHECKED_FIELDS, PromptPolicy, merged

ADULT_CATEGORIES = frozenset({"adult_explicit", "adult_sexual"})
TARGETS = {
    "recall": 0.99,  # share of to-refuse lines refused, at least
    "explicit_recall": 1.0,  # of the explicit ones, at least
    "false_positive_rate": 0.02,  # share of allowed lines refused, at most
    "adult_false_positive_rate": 0.01,  # of the adult-explicit ones, at most
    "semantic_p50_ms": 20.0,  # the semantic layer's median per prompt on one thread, at most
}


def _read_corpus(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                rows.append((number, json.loads(line)))
    return rows


def corpus_texts(row: Mapping[str, Any]) -> dict[str, str]:
    """The job texts of one corpus line: `text` is the prompt, plus any other field it carries."""
    texts = {"prompt": row["text"]}
    for name in ("characterDescription", "enhancedPrompt", "negativePrompt"):
        if row.get(name):
            texts[name] = row[name]
    return texts


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Limit numpy's BLAS to one thread while timing (the e5 engine is on one thread already)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _timing(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values) or [0.0]
    return {
        "calls": len(values),
        "mean": round(statistics.fmean(ordered), 3),
        "p50": round(ordered[len(ordered) // 2], 3),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "max": round(ordered[-1], 3),
    }


def _rate(part: int, whole: int, empty: float) -> float:
    return round(part / whole, 4) if whole else empty


def evaluate(policy: PromptPolicy, path: Path, *, latency_sample: int = 100) -> dict[str, Any]:
    """Refusal and false-positive rates (overall, explicit, adult, per category and language), timing.

    Decisions come from one `check_many` over the corpus; single-call latency is measured with
    `check` on `latency_sample` lines spread over the corpus, and the semantic layer alone on the
    same lines (one call per prompt, as a job would make it).
    """
    rows = _read_corpus(path)
    jobs = [corpus_texts(row) for _, row in rows]
    started = time.perf_counter()
    decisions = policy.check_many(jobs)
    batch_ms = (time.perf_counter() - started) * 1000 / max(len(jobs), 1)
    sample = jobs[:: max(1, len(jobs) // latency_sample)] if latency_sample else []
    latencies, semantic_ms = [], []
    with one_thread():
        for job in sample:
            started = time.perf_counter()
            policy.check(job)
            latencies.append((time.perf_counter() - started) * 1000)
        if policy.semantic is not None:
            for job in sample:
                fields = {k: v for k, v in job.items() if k not in UNCHECKED_FIELDS}
                signals = asdict(merged([policy.signals(v) for v in fields.values()]))
                text = ". ".join(v.strip() for v in fields.values())
                started = time.perf_counter()
                policy.semantic.probabilities([(text, signals)])
                semantic_ms.append((time.perf_counter() - started) * 1000)

    per_category: dict[str, dict[str, Any]] = {}
    per_language: dict[str, Counter[str]] = {}
    per_rule: Counter[str] = Counter()
    missed: list[int] = []
    false_positives: list[int] = []
    totals: Counter[str] = Counter()
    for (number, row), decision in zip(rows, decisions, strict=True):
        label, refused = row["label"], not decision.allowed
        kinds = [label]
        if label == "block" and row.get("explicit"):
            kinds.append("explicit")
        if label == "allow" and row["category"] in ADULT_CATEGORIES:
            kinds.append("adult")
        for kind in kinds:
            totals[kind] += 1
            totals[f"{kind}_refused"] += refused
        category = per_category.setdefault(row["category"], {"label": label, "total": 0, "refused": 0})
        category["total"] += 1
        category["refused"] += refused
        language = per_language.setdefault(row.get("lang", "unknown"), Counter())
        language[label] += 1
        language[f"{label}_refused"] += refused
        if refused:
            per_rule[f"{decision.layer}:{decision.rule}"] += 1
        if label == "block" and not refused:
            missed.append(number)
        if label == "allow" and refused:
            false_positives.append(number)
    for category in per_category.values():
        category["rate"] = _rate(category["refused"], category["total"], 0.0)

    rates = {
        "recall": _rate(totals["block_refused"], totals["block"], 1.0),
        "explicit_recall": _rate(totals["explicit_refused"], totals["explicit"], 1.0),
        "false_positive_rate": _rate(totals["allow_refused"], totals["allow"], 0.0),
        "adult_false_positive_rate": _rate(totals["adult_refused"], totals["adult"], 0.0),
    }
    semantic_timing = _timing(semantic_ms) if semantic_ms else None
    targets = {
        "recall >= 0.99": rates["recall"] >= TARGETS["recall"],
        "explicit_recall == 1.0": rates["explicit_recall"] >= TARGETS["explicit_recall"],
        "false_positive_rate <= 0.02": rates["false_positive_rate"] <= TARGETS["false_positive_rate"],
        "adult_false_positive_rate <= 0.01": rates["adult_false_positive_rate"] <= TARGETS["adult_false_positive_rate"],
    }
    if semantic_timing:
        targets["semantic_p50_ms <= 20"] = semantic_timing["p50"] <= TARGETS["semantic_p50_ms"]
    return {
        "semantic": policy.semantic is not None,
        "block_set": {"lines": totals["block"], "refused": totals["block_refused"], "rate": rates["recall"]},
        "explicit_set": {
            "lines": totals["explicit"],
            "refused": totals["explicit_refused"],
            "rate": rates["explicit_recall"],
        },
        "allow_set": {
            "lines": totals["allow"],
            "refused": totals["allow_refused"],
            "false_positive_rate": rates["false_positive_rate"],
        },
        "adult_set": {
            "lines": totals["adult"],
            "refused": totals["adult_refused"],
            "false_positive_rate": rates["adult_false_positive_rate"],
        },
        "targets": targets,
        "targets_met": all(targets.values()),
        "missed_lines": missed,
        "false_positive_lines": false_positives,
        "per_category": dict(sorted(per_category.items())),
        "per_language": {
            lang: {
                "block": counts["block"],
                "refused": counts["block_refused"],
                "recall": _rate(counts["block_refused"], counts["block"], 1.0),
                "allow": counts["allow"],
                "false_positives": counts["allow_refused"],
                "false_positive_rate": _rate(counts["allow_refused"], counts["allow"], 0.0),
            }
            for lang, counts in sorted(per_language.items())
        },
        "per_rule": dict(sorted(per_rule.items())),
        "timing_ms_per_check": {**_timing(latencies), "batched_mean": round(batch_ms, 3)},
        "timing_ms_semantic_layer": semantic_timing,
    }


def main(argv: list[str] | None = None) -> int:
    summary = (sys.modules["ourvidz_worker.policy"].__doc__ or "").split("\n")[0]  # first line of the package docstring
    parser = argparse.ArgumentParser(prog="python -m ourvidz_worker.policy", description=summary)
    parser.add_argument("--evaluate", type=Path, required=True, metavar="CORPUS.jsonl", help="labelled corpus")
    parser.add_argument(
        "--mode",
        choices=("rules", "semantic", "both"),
        default="both",
        help="rules only, rules + semantic layer, or both one after the other (default)",
    )
    parser.add_argument("--latency-sample", type=int, default=100, metavar="N", help="lines timed one by one")
    args = parser.parse_args(argv)
    modes = {"rules": [False], "semantic": [True], "both": [False, True]}[args.mode]
    report: dict[str, Any] = {"corpus": str(args.evaluate)}
    for semantic in modes:
        started = time.perf_counter()
        policy = PromptPolicy(semantic=semantic)
        load_seconds = time.perf_counter() - started
        result = evaluate(policy, args.evaluate, latency_sample=args.latency_sample)
        result["load_seconds"] = round(load_seconds, 2)
        report["rules+semantic" if semantic else "rules"] = result
    print(json.dumps(report, indent=2, ensure_ascii=False))
    met = all(report[key]["targets_met"] for key in report if key != "corpus")
    return 0 if met else 1
