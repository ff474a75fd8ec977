"""Latency of the prompt policy, per layer, on one CPU thread; prints JSON.

    python bench/policy_benchmark.py [--prompts N]

Times, over N prompts spread across tests/policy_dev.jsonl, tests/policy_dev2.jsonl and
tests/policy_corpus.jsonl (the tuning sets; no held-out set is ever read): building `PromptPolicy` with and without the
semantic layer, the rules alone per job, each embedding model with its head per prompt, the
semantic layer as it runs (USE always, e5 only when USE is unsure), and a whole `check`.
One thread: BLAS pools are limited before numpy loads, and the e5 engine runs one OpenMP thread.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # this process only: a benchmark on one thread

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ourvidz_worker.policy import PromptPolicy  # noqa: E402
from ourvidz_worker.policy.evaluation import corpus_texts  # noqa: E402
from ourvidz_worker.policy.prompt_policy import UNCHECKED_FIELDS, merged  # noqa: E402

SETS = tuple(ROOT / "tests" / f"policy_{name}.jsonl" for name in ("dev", "dev2", "corpus"))


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "calls": len(ordered),
        "p50_ms": round(ordered[len(ordered) // 2], 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def timed(call, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=200, help="how many prompts to time (default 200)")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for path in SETS for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    jobs = [corpus_texts(row) for row in rows[:: max(1, len(rows) // args.prompts)]][: args.prompts]

    started = time.perf_counter()
    rules = PromptPolicy(semantic=False)
    rules_load = time.perf_counter() - started
    started = time.perf_counter()
    policy = PromptPolicy(semantic=True)
    full_load = time.perf_counter() - started
    layer = policy.semantic
    assert layer is not None

    prepared = []
    for job in jobs:
        fields = {k: v for k, v in job.items() if k not in UNCHECKED_FIELDS}
        signals = asdict(merged([policy.signals(v) for v in fields.values()]))
        prepared.append((". ".join(v.strip() for v in fields.values()), signals))
    policy.check(jobs[0])  # warm caches once

    heads = layer._heads
    use_ms = timed(lambda p: heads["use"].probability(layer.models.embed_use([p[0]]), [layer.extra(p[1])]), prepared)
    e5_ms = timed(lambda p: heads["e5"].probability(layer.models.embed_e5([p[0]]), [layer.extra(p[1])]), prepared)
    escalated = sum(
        float(heads["use"].probability(layer.models.embed_use([p[0]]), [layer.extra(p[1])])[0]) >= layer.escalate
        for p in prepared
    )
    report = {
        "prompts": len(jobs),
        "threads": 1,
        "load_seconds": {"rules": round(rules_load, 3), "rules+semantic": round(full_load, 3)},
        "rules_per_job": summary(timed(rules.check, jobs)),
        "use_embedding_and_head": summary(use_ms),
        "e5_embedding_and_head": summary(e5_ms),
        "semantic_layer": {
            **summary(timed(lambda p: layer.probabilities([p]), prepared)),
            "e5_share": round(escalated / len(prepared), 3),
        },
        "check_rules+semantic": summary(timed(policy.check, jobs)),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
