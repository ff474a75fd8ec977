"""The evaluation CLI: `python -m ourvidz_worker.policy --evaluate CORPUS.jsonl` (see `__main__.py`).

Measures both layers of the policy on a labelled corpus and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .prompt_policy import PromptPolicy


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


def evaluate(policy: PromptPolicy, path: Path, *, latency_sample: int = 100) -> dict[str, Any]:
    """Blocked rate, false-positive rate, per-category counts, misclassified line numbers, timing.

    Decisions come from one `check_many` over the corpus; single-call latency is measured with
    `check` on `latency_sample` lines spread over the corpus.
    """
    rows = _read_corpus(path)
    jobs = [corpus_texts(row) for _, row in rows]
    started = time.perf_counter()
    decisions = policy.check_many(jobs)
    batch_ms = (time.perf_counter() - started) * 1000 / max(len(jobs), 1)
    step = max(1, len(jobs) // latency_sample)
    latencies = []
    for job in jobs[::step]:
        started = time.perf_counter()
        policy.check(job)
        latencies.append((time.perf_counter() - started) * 1000)

    per_category: dict[str, dict[str, Any]] = {}
    per_rule: Counter[str] = Counter()
    missed: list[int] = []
    false_positives: list[int] = []
    totals: Counter[str] = Counter()
    for (number, row), decision in zip(rows, decisions, strict=True):
        label, refused = row["label"], not decision.allowed
        totals[label] += 1
        totals[f"{label}_refused"] += refused
        category = per_category.setdefault(row["category"], {"label": label, "total": 0, "refused": 0})
        category["total"] += 1
        category["refused"] += refused
        if refused:
            per_rule[f"{decision.layer}:{decision.rule}"] += 1
        if label == "block" and not refused:
            missed.append(number)
        if label == "allow" and refused:
            false_positives.append(number)
    blocked_rate = totals["block_refused"] / totals["block"] if totals["block"] else 1.0
    fp_rate = totals["allow_refused"] / totals["allow"] if totals["allow"] else 0.0
    ordered = sorted(latencies)
    return {
        "semantic": policy.semantic is not None,
        "block_set": {"lines": totals["block"], "refused": totals["block_refused"], "rate": round(blocked_rate, 4)},
        "allow_set": {
            "lines": totals["allow"],
            "refused": totals["allow_refused"],
            "false_positive_rate": round(fp_rate, 4),
        },
        "targets_met": blocked_rate == 1.0 and fp_rate <= 0.02,
        "missed_lines": missed,
        "false_positive_lines": false_positives,
        "per_category": dict(sorted(per_category.items())),
        "per_rule": dict(sorted(per_rule.items())),
        "timing_ms_per_check": {
            "calls": len(ordered),
            "mean": round(statistics.fmean(ordered), 3),
            "p50": round(ordered[len(ordered) // 2], 3),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
            "max": round(ordered[-1], 3),
            "batched_mean": round(batch_ms, 3),
        },
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
    args = parser.parse_args(argv)
    modes = {"rules": [False], "semantic": [True], "both": [False, True]}[args.mode]
    report: dict[str, Any] = {"corpus": str(args.evaluate)}
    for semantic in modes:
        started = time.perf_counter()
        policy = PromptPolicy(semantic=semantic)
        load_seconds = time.perf_counter() - started
        result = evaluate(policy, args.evaluate)
        result["load_seconds"] = round(load_seconds, 2)
        report["rules+semantic" if semantic else "rules"] = result
    print(json.dumps(report, indent=2, ensure_ascii=False))
    met = all(report[key]["targets_met"] for key in report if key != "corpus")
    return 0 if met else 1
