"""Train the prompt policy's semantic heads and report their cross-validated figures.

    python bench/train_policy_head.py            # writes src/ourvidz_worker/policy/data/semantic_head.json
    python bench/train_policy_head.py --dry-run  # cross-validation only

Reads tests/policy_dev.jsonl, tests/policy_dev2.jsonl, tests/policy_dev3.jsonl (when present) and
tests/policy_corpus.jsonl (never a held-out set). Embeds every job with both models of the semantic
layer, fits one logistic regression per model over [embedding, rule signals that do not say "minor"],
and prints, as JSON, 5-fold cross-validated rates of the head alone and of rules + head, per set, and
a sweep of the refusal threshold over the cross-validated probabilities (the threshold is chosen
there, not in-sample). Folds are grouped so near-duplicates stay together: a dev, dev2 or dev3 line
joins the English line of its set and category it is closest to (translations of one template stay
in one fold), and corpus lines join any corpus line within cosine 0.9 (USE) or 0.97 (e5). dev3 holds
allowed lines only, so its recall figures read 0.0 (no lines), not a miss. Everything is
deterministic (lbfgs, no
sampling), so a rerun writes the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ourvidz_worker.policy.evaluation import corpus_texts  # noqa: E402
from ourvidz_worker.policy.prompt_policy import PromptPolicy, merged  # noqa: E402
from ourvidz_worker.policy.semantic import EmbeddingModels  # noqa: E402

SETS = {
    name: path
    for name, path in {
        "dev": ROOT / "tests" / "policy_dev.jsonl",
        "dev2": ROOT / "tests" / "policy_dev2.jsonl",
        "dev3": ROOT / "tests" / "policy_dev3.jsonl",  # allowed lines only (lookalikes, adult content)
        "corpus": ROOT / "tests" / "policy_corpus.jsonl",
    }.items()
    if path.exists()
}
TEMPLATED = ("dev", "dev2", "dev3")  # sets written as templates translated across languages
HEAD = ROOT / "src" / "ourvidz_worker" / "policy" / "data" / "semantic_head.json"
FEATURES = ("sexual", "adult_age", "past", "protective")  # rule signals that never say "minor"
SETTINGS = {"use": {"C": 16.0, "feature_scale": 1.0}, "e5": {"C": 16.0, "feature_scale": 3.0}}
THRESHOLD = 0.9  # mean probability of both heads that refuses
ESCALATE = round(2 * THRESHOLD - 1, 4)  # below this USE probability the mean cannot reach THRESHOLD: e5 is not asked
FOLDS = 5


def load() -> list[dict]:
    rows = []
    for name, path in SETS.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "_set": name})
    return rows


def groups(rows: list[dict], use: np.ndarray, e5: np.ndarray) -> np.ndarray:
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_category = defaultdict(list)
    for i, row in enumerate(rows):
        if row["_set"] in TEMPLATED:
            by_category[(row["_set"], row["category"])].append(i)
    for members in by_category.values():
        anchors = [i for i in members if rows[i]["lang"] == "en"] or members[:1]
        for i in members:
            if i not in anchors:
                parent[find(i)] = find(anchors[int(np.argmax(e5[anchors] @ e5[i]))])
    corpus = [i for i, row in enumerate(rows) if row["_set"] == "corpus"]
    similar_use, similar_e5 = use[corpus] @ use[corpus].T, e5[corpus] @ e5[corpus].T
    for a, i in enumerate(corpus):
        for b in range(a + 1, len(corpus)):
            j = corpus[b]
            if rows[i]["label"] == rows[j]["label"] and (similar_use[a, b] > 0.9 or similar_e5[a, b] > 0.97):
                parent[find(i)] = find(j)
    return np.array([find(i) for i in range(len(rows))])


def embed(models: EmbeddingModels, texts: list[str], cache: Path | None) -> dict[str, np.ndarray]:
    """Both models' embeddings of `texts`; with `cache`, texts embedded before are read back from it."""
    known: dict[str, dict[str, np.ndarray]] = {"use": {}, "e5": {}}
    if cache and cache.exists():
        stored = np.load(cache, allow_pickle=False)
        for name in known:
            known[name] = dict(zip(stored["texts"].tolist(), stored[name], strict=True))
    missing = sorted({t for t in texts if t not in known["use"] or t not in known["e5"]})
    if missing:
        known["use"].update(zip(missing, models.embed_use(missing), strict=True))
        known["e5"].update(zip(missing, models.embed_e5(missing), strict=True))
        if cache:
            kept = sorted(known["use"])
            np.savez(cache, texts=np.array(kept), **{n: np.stack([known[n][t] for t in kept]) for n in known})
    return {name: np.stack([known[name][t] for t in texts]) for name in known}


def fit(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)


def rates(refused: np.ndarray, rows: list[dict], mask: np.ndarray) -> dict:
    labels = np.array([r["label"] == "block" for r in rows])
    explicit = np.array([bool(r.get("explicit")) for r in rows])
    adult = np.array([r["category"] in ("adult_explicit", "adult_sexual") for r in rows])
    per_category = defaultdict(lambda: [0, 0])
    per_language = defaultdict(lambda: [0, 0, 0, 0])
    for i in np.flatnonzero(mask):
        per_category[rows[i]["category"]][0] += 1
        per_category[rows[i]["category"]][1] += int(refused[i])
        lang = per_language[rows[i].get("lang", "?")]
        lang[0 if labels[i] else 2] += 1
        lang[1 if labels[i] else 3] += int(refused[i])

    def share(m: np.ndarray) -> float:
        return round(float(refused[m].mean()), 4) if m.any() else 0.0

    return {
        "recall": share(mask & labels),
        "explicit_recall": share(mask & labels & explicit),
        "false_positive_rate": share(mask & ~labels),
        "adult_false_positive_rate": share(mask & adult),
        "per_category": {k: f"{v[1]}/{v[0]}" for k, v in sorted(per_category.items())},
        "per_language": {
            k: {"refused": f"{v[1]}/{v[0]}", "false_positives": f"{v[3]}/{v[2]}"}
            for k, v in sorted(per_language.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only; do not write the head")
    parser.add_argument("--cache", type=Path, help="an .npz file to keep the embeddings in between runs (optional)")
    args = parser.parse_args(argv)

    rows = load()
    policy = PromptPolicy(semantic=False)
    models = EmbeddingModels(threads=1)
    texts, signals, by_rules = [], [], []
    for row in rows:
        fields = {k: v for k, v in corpus_texts(row).items() if k != "negativePrompt"}
        found = {name: policy.signals(value) for name, value in fields.items()}
        texts.append(". ".join(v.strip() for v in fields.values()))
        signals.append(asdict(merged(list(found.values()))))
        by_rules.append(policy._rules_decision(found) is not None)
    extra = np.array([[float(bool(s[name])) for name in FEATURES] for s in signals], dtype=np.float32)
    embedded = embed(models, texts, args.cache)
    labels = np.array([r["label"] == "block" for r in rows])
    group = groups(rows, embedded["use"], embedded["e5"])
    inputs = {name: np.hstack([embedded[name], extra * SETTINGS[name]["feature_scale"]]) for name in embedded}

    # Cross-validated probabilities of each head, then the cascade the layer runs.
    cv = {name: np.zeros(len(rows)) for name in inputs}
    for train, test in GroupKFold(FOLDS).split(inputs["use"], labels, group):
        for name, x in inputs.items():
            cv[name][test] = fit(x[train], labels[train], SETTINGS[name]["C"]).predict_proba(x[test])[:, 1]
    escalated = cv["use"] >= ESCALATE
    combined = np.where(escalated, (cv["use"] + cv["e5"]) / 2, cv["use"])
    head = combined >= THRESHOLD
    rules = np.array(by_rules)
    sets = {name: np.array([r["_set"] == name for r in rows]) for name in SETS}
    sweep = {}
    for threshold in (0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.96):
        esc = 2 * threshold - 1
        refused = np.where(cv["use"] >= esc, (cv["use"] + cv["e5"]) / 2, cv["use"]) >= threshold
        sweep[str(threshold)] = {
            name: {
                **{
                    key: rates(refused | np.array(by_rules), rows, m)[key]
                    for key in ("recall", "explicit_recall", "false_positive_rate", "adult_false_positive_rate")
                },
                "head_alone_recall": rates(refused, rows, m)["recall"],  # what the head adds where rules miss
            }
            for name, m in {name: np.array([r["_set"] == name for r in rows]) for name in SETS}.items()
        }
    report = {
        "folds": FOLDS,
        "groups": len(set(group)),
        "escalate": ESCALATE,
        "threshold": THRESHOLD,
        "e5_share": {name: round(float(escalated[m].mean()), 3) for name, m in sets.items()},
        "cv_head_alone": {name: rates(head, rows, m) for name, m in sets.items()},
        "cv_rules_plus_head": {name: rates(head | rules, rows, m) for name, m in sets.items()},
        "rules_in_sample": {name: rates(rules, rows, m) for name, m in sets.items()},
        "cv_threshold_sweep_rules_plus_head": sweep,
    }
    for part in ("cv_head_alone", "cv_rules_plus_head", "rules_in_sample"):
        for name in SETS:
            report[part][name].pop("per_language") if part != "cv_rules_plus_head" else None
    print(json.dumps(report, indent=1, ensure_ascii=False))

    if not args.dry_run:
        heads = {}
        for name, x in inputs.items():
            model = fit(x, labels, SETTINGS[name]["C"])
            heads[name] = {
                "weights": [round(float(w), 6) for w in model.coef_[0]],
                "bias": round(float(model.intercept_[0]), 6),
                "feature_scale": SETTINGS[name]["feature_scale"],
                "C": SETTINGS[name]["C"],
            }
        head_file = {
            "_comment": "Written by bench/train_policy_head.py from "
            + ", ".join(f"tests/{path.name}" for path in SETS.values())
            + ";"
            " do not edit by hand. Weights: [embedding..., features...]; see policy/semantic.py.",
            "features": list(FEATURES),
            "escalate": ESCALATE,
            "threshold": THRESHOLD,
            "trained_on": {name: int(m.sum()) for name, m in sets.items()},
            "heads": heads,
        }
        HEAD.write_text(json.dumps(head_file, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {HEAD.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
