"""Ages stated in a normalised text, in digits or in words, in eight languages (`AgeFinder`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .normalise import normalise
from .rules import data_file

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
class AgeWords:
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

    def __init__(self, words: AgeWords) -> None:
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


def load_age_words() -> AgeWords:
    raw = json.loads(data_file("age_words.json"))
    clean = lambda w: normalise(w)  # noqa: E731 - the lists follow the texts' normalisation
    return AgeWords(
        units={lang: {clean(w): n for w, n in table.items()} for lang, table in raw["units"].items()},
        tens={lang: [clean(w) for w in words] for lang, words in raw["tens"].items()},
        genitive={clean(w): n for w, n in raw["genitive"].items()},
        ordinal_grades=raw["ordinal_grades"],
        romance_units=raw["romance_units"],
        nonhuman=frozenset(raw["nonhuman"]),
    )
