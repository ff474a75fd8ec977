"""Ages, school levels and relative-age statements in a normalised text, in the covered languages.

`AgeFinder.find(text)` returns `AgeMention`s: where a person's age is stated and what it is. It
reads structure, not word lists alone:

- a number (digits of any script, or a number word of the language: "fifteen", "quince",
  "dua belas", "열두", "十二") before an age unit ("years old", "yo", "años", "Jahre alt", "lat",
  "лет", "yaşında", "tahun", "taong gulang", "tuổi", "ปี", "歳", "살", "ساله", "साल की", "বছরের"),
  or glued to one ("15yo", "13-jährige", "14latek", "пятнадцатилетняя", "दुवाज़्दह", "13살");
- an age noun before a number ("age: 15", "aged 12", "edad 14", "umur 13", "อายุ 13", "عمرها 13",
  "उम्र 15", "年齢：15", "나이: 15");
- a person before a number ("girl, 15", "Mia, 15,", "character (16)", "she is 12", "meisje van 13",
  "looks 12", "16F");
- school levels of the main school systems ("grade 7", "8th grader", "year 8", "7. Klasse",
  "8 класса", "kelas 6", "ม.2", "中2", "lớp 8", "8º ano", "2º de la ESO", "groep 8", "tingkatan 2");
- birthdays with an ordinal under 18 ("10th birthday", "ika-10 kaarawan", "عيد ميلادها العاشر");
- statements relative to the age of majority ("under 18", "not yet 18", "two years before she
  turns 18", "not legal yet", "still two years until she is of age", "未満18", "아직 성인 ...");
- birth years and school cohorts, read against the current year ("born in 2013", "rocznik 2012",
  "2012년생", "2011年出生", "class of 2005" - an adult now -, "class of 2035" - at school now);
- decades of life, always adult ("in their 30s", "thirtysomething", "trentenaire", "30代", "30대").

The years of an ambiguous unit ("12 años", "12 tahun", "12 ปี") are not an age when the words
around them make them a duration ("married 12 years", "hace 12 años", "12 years ago", "结婚12年").
Numbers that are measurements (cm, kg, minutes, fps, %, sizes, rooms) are not read as ages.

`AgeFinder.past_until(text)` finds where a text says "now" with an adult age after it ("when we
were 16 ...; now we are 34"), "15 years later" or a class reunion: minor ages before that point
describe the past. `AgeFinder.past_frame` tells whether words are told as the past in their clause
("met back in high school", "as teens", "prom night decades ago"); `depicts_past` finds a flashback
or a request to show the past, which turns both off.

The vocabulary (units, duration, "now", past-time and negation words) is in `age_vocabulary`; the
patterns are built by two mixins, `age_patterns.NumericPatterns` (numbers, number words, people and
age nouns) and `age_levels.LevelPatterns` (school levels, relative ages, birth years, cohorts, decades).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .age_levels import LevelPatterns
from .age_patterns import NumericPatterns
from .age_vocabulary import (
    _CLAUSE_END,
    _DECADE_TENS,
    _DEPICTED_PAST,
    _HALF_AGE,
    _LATER,
    _NA,
    _NB,
    _NOT_MEASURE,
    _NOW,
    _NOW_ADULT,
    _PARTNER_LINK,
    _PAST_AFTER_TERM,
    _PAST_BEFORE_TERM,
    _SPEAKER_AGE,
    _THAI_DURATION,
    _VI_UNIT_BEFORE,
    ADULT,
    BOUND,
    _alt,
    _compile,
)
from .normalise import normalise
from .rules import data_file


@dataclass(frozen=True)
class AgeMention:
    """One stated age: `value` (a school level or an "under 18" records 17), `kind`, and where."""

    value: int
    kind: str  # "age", "school", "birthday", "under", "adult" ("18+", "all adults")
    start: int
    end: int

    @property
    def minor(self) -> bool:
        return 0 <= self.value < ADULT


@dataclass(frozen=True)
class AgeGrammar:
    """The vocabulary of `data/age_grammar.json`, normalised."""

    units: dict[str, dict[str, int]]
    tens: dict[str, list[str]]
    compound_stems: dict[str, dict[str, int]]
    ordinals: dict[str, dict[str, int]]
    arabic_ordinals: dict[str, int]
    bengali_class_words: dict[str, int]
    nonhuman: frozenset[str]
    adult_decades: dict[str, int]


def load_age_grammar() -> AgeGrammar:
    raw = json.loads(data_file("age_grammar.json"))

    def table(values: Mapping[str, int]) -> dict[str, int]:
        return {normalise(word): number for word, number in values.items()}

    return AgeGrammar(
        units={lang: table(words) for lang, words in raw["units"].items()},
        tens={lang: [normalise(w) for w in words] for lang, words in raw["tens"].items()},
        compound_stems={lang: table(words) for lang, words in raw["compound_stems"].items()},
        ordinals={lang: table(words) for lang, words in raw["ordinals"].items()},
        arabic_ordinals=table(raw["arabic_ordinals"]),
        bengali_class_words=table(raw["bengali_class_words"]),
        nonhuman=frozenset(raw["nonhuman"]),
        adult_decades=table(raw.get("adult_decades", {})),
    )


class AgeFinder(NumericPatterns, LevelPatterns):
    """Finds stated ages, school levels and under-18 statements in a normalised text (see the module)."""

    def __init__(self, grammar: AgeGrammar, *, year: int | None = None) -> None:
        self.grammar = grammar
        self.year = year or datetime.date.today().year  # birth years and school cohorts are read against it
        self._number_words: dict[str, int] = {}
        self._patterns: list[tuple[re.Pattern[str], str, dict[str, int] | None]] = []
        all_tens = [w for words in grammar.tens.values() for w in words]
        self._tens_before = _compile(rf"(?:{_alt(all_tens)})[\s-]*(?:(?:y|e|et|und|en|и|i|va|na)[\s-]+)?$")
        self._build_numeric()
        self._build_words()
        self._build_school()
        self._build_relative()
        self._build_years()
        birthday = (
            r"birthday|bday|b-day|cumpleanos|cumple|aniversario|anniversaire|compleanno|geburtstag|verjaardag|urodziny"
            r"|urodzin|день\s+рождения|дня\s+рождения|день\s+народження|дня\s+народження|dogum\s+gunu\w*|ulang\s+tahun|ultah"
            r"|kaarawan|sinh\s+nhat|วันเกิด|誕生日|生日|생일|عيد\s+ميلاد\w*|जन्मदिन|janamdin|birthday|জন্মদিন\w*|تولد"
        )
        ords = _alt(self._ordinals)
        self._birthday_patterns = [
            _compile(p)
            for p in [
                rf"(?<![\d.,:])(\d{{1,2}})\s*(?:st|nd|rd|th|e|eme|er|º|o|ª|\.|-?th|-?ый|-?й|-?го|-?летие)?\s*(?:{birthday})",
                rf"(?:{birthday})\s*(?:no\.?|number|#|ke-?|ika-?|de|del|da|do|des|du|n|thu|ครบ|ที่)?\s*(\d{{1,2}})(?![\d.,:])(?!\s*(?:de\s+)?(?:casad|mariage|boda|matrimonio|ślubu|slubu))",
                rf"{_NB}({ords})\s*(?:{birthday})",
                rf"(?:{birthday})\s+(?:ال)?({ords})",
                r"(\d{1,2})\s*번째\s*생일",
                rf"(?:{birthday})\s+(?:ng\s+)?(ika-?\d{{1,2}}|ika\w+)",
            ]
        ]
        self._now = _compile(rf"{_NB}(?:{_NOW}){_NA}|今は|今|現在|现在|如今|이제|지금|ตอนนี้")
        self._later = _compile(
            rf"{_NB}(?:{_LATER}){_NA}|同窓会|同学聚会|同學會|同学会|동창회|งานเลี้ยงรุ่น|\d+\s*(?:年後|年后|년\s*후)"
        )
        self._depicted_past = _compile(rf"{_NB}(?:{_DEPICTED_PAST})|回想|回忆|回憶|회상|ย้อนอดีต")
        self._past_before = _compile(rf"(?:^|[^\w'])(?:{_PAST_BEFORE_TERM})(?:[\s-]+\w+){{0,3}}[\s-]*$")
        self._past_after = _compile(
            rf"^[\s-]*(?:\w+[\s-]+){{0,3}}?(?:{_PAST_AFTER_TERM})(?![^\W\d_])|^\s*(?:の|的)?(?:{_PAST_AFTER_TERM})"
        )
        self._now_adult = _compile(rf"^[\s,:;-]*(?:{_NOW_ADULT})")
        self._bare_number = _compile(rf"(?<![\d.,:])(\d{{2,3}}){_NOT_MEASURE}(?![\d\w])")

    # ------------------------------------------------------------------ patterns

    def _years(self, text: str) -> list[AgeMention]:
        """Ages read from a birth year, a school cohort or a decade of life."""
        found = []

        def year_of(token: str) -> int:
            value = int(token)
            return value - 543 if value >= 2400 else value  # Thai Buddhist era

        for pattern in self._born:
            for m in pattern.finditer(text):
                age = self.year - year_of(m.group(1))
                if 0 <= age < 120:
                    found.append(AgeMention(age, "age", m.start(), m.end()))
        for m in self._born_short.finditer(text):
            born = 2000 + int(m.group(1)) if int(m.group(1)) <= self.year % 100 else 1900 + int(m.group(1))
            found.append(AgeMention(self.year - born, "age", m.start(), m.end()))
        for pattern in self._cohort:
            for m in pattern.finditer(text):
                cohort = year_of(m.group(1))
                if cohort < self.year:  # graduated: an adult now
                    found.append(AgeMention(ADULT + self.year - cohort, "cohort", m.start(), m.end()))
                elif cohort - self.year >= 5:  # graduating in five years or more: at school now
                    found.append(AgeMention(BOUND, "school", m.start(), m.end()))
        tens = _DECADE_TENS
        for pattern, scale in self._decades:
            for m in pattern.finditer(text):
                token = m.group(1)
                value = int(token) * scale if token.isdigit() else 10 * tens.get(token, tens.get(token[:12], 3))
                if token.startswith("trzydziestk"):
                    value = 30
                found.append(AgeMention(value, "adult", m.start(), m.end()))
        if self._decade_words is not None:
            for m in self._decade_words.finditer(text):
                word = m.group(1) or m.group(2)
                value = self.grammar.adult_decades.get(word, 30)
                found.append(AgeMention(value, "adult", m.start(), m.end()))
        return found

    # ------------------------------------------------------------------ reading

    def find(self, text: str) -> list[AgeMention]:
        """Every stated age, school level, birthday and under-18 statement, in text order."""
        found: list[AgeMention] = []
        for pattern, kind, words in self._patterns:
            for m in pattern.finditer(text):
                value = self._value(m, words)
                if value is None or not self._is_person(text, m.end()):
                    continue
                if words is not None and self._compound_before(text, m.start(1)):
                    continue
                found.append(AgeMention(value, kind, m.start(), m.end()))
        for m in self._ambiguous.finditer(text):
            if not self._is_duration(text, m) and self._is_person(text, m.end()):
                found.append(AgeMention(int(m.group(1)), "age", m.start(), m.end()))
        for m in self._kanji.finditer(text):
            found.append(AgeMention(_kanji_number(m.group(1)), "age", m.start(), m.end()))
        for m in self._school.finditer(text):
            found.append(AgeMention(BOUND, "school", m.start(), m.end()))
        found += self._birthdays(text)
        found += self._relative(text)
        found += self._years(text)
        found += self._half_age(text, found)
        found += [AgeMention(ADULT, "adult", m.start(), m.end()) for m in self._adult_statement.finditer(text)]
        return sorted(found, key=lambda a: a.start)

    def _half_age(self, text: str, found: list[AgeMention]) -> list[AgeMention]:
        """ "half my age" (or a third of it) with an adult age under 36 stated for the speaker: a minor."""
        halves = list(_HALF_AGE.finditer(text))
        if not halves:
            return []
        adults = [a.value for a in found if a.kind == "age" and ADULT <= a.value < 120]
        adults += [int(n) for n in _SPEAKER_AGE.findall(text)]
        return [AgeMention(BOUND, "under", m.start(), m.end()) for m in halves if any(v < 2 * ADULT for v in adults)]

    def minor_age(self, text: str) -> bool:
        return any(a.minor for a in self.find(text))

    def past_until(self, text: str) -> int:
        """The position of a "now" that has an adult age right after it, or 0 if there is none.

        "when we were 16 we were sweethearts; now we're 34", "mit 15 ...; heute verheiratet": what precedes
        that "now" is the past.
        """
        if self.depicts_past(text):
            return 0
        last = 0
        for m in self._now.finditer(text):
            after = text[m.end() : m.end() + 40]
            ages = [a for a in self.find(after) if a.kind in ("age", "adult")]
            # The adult age must be the people's, not a partner's: "now married to a 40-year-old" is no adult now.
            adult_now = any(a.value >= ADULT and not _PARTNER_LINK.search(after[: a.start]) for a in ages) or any(
                ADULT <= int(n.group(1)) < 120 and not _PARTNER_LINK.search(after[: n.start()])
                for n in self._bare_number.finditer(after[:16])
            )
            if adult_now or self._now_adult.match(after):  # "now we're 34", "heute verheiratet", "今は結婚して"
                last = m.start()
        # "15 years later", "decades later", a class reunion: the people are adults from there on.
        for m in self._later.finditer(text):
            last = max(last, m.start())
        return last

    def depicts_past(self, text: str) -> bool:
        """A flashback or a request to show the past ("flashback to when she was 12"): not a recollection."""
        return bool(self._depicted_past.search(text))

    def past_frame(self, text: str, start: int, end: int) -> bool:
        """Whether the words at text[start:end] are told as the past within their clause.

        "met back in high school", "as teens", "former middle-school rivals", "prom night decades ago",
        "高校の同級生だった": the clause says when, not who the people are now. The caller decides whether
        the job also says they are adults now.
        """
        if self.depicts_past(text):
            return False
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
        next_end = _CLAUSE_END.search(text, end)
        clause_end = next_end.start() if next_end else len(text)
        return bool(self._past_before.search(text[clause_start:start]) or self._past_after.search(text[end:clause_end]))

    @staticmethod
    def clause(text: str, start: int, end: int) -> tuple[int, int]:
        """The clause around text[start:end] (between commas, semicolons, sentence ends, dashes, "then")."""
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
        next_end = _CLAUSE_END.search(text, end)
        return clause_start, next_end.start() if next_end else len(text)

    # ------------------------------------------------------------------ helpers

    def _value(self, m: re.Match[str], words: Mapping[str, int] | None) -> int | None:
        token = next((g for g in m.groups() if g), None)
        if token is None:
            return None
        if token.isdigit():
            return int(token)
        if words is None:
            return None
        key = re.sub(r"[\s-]+", " ", token)
        for name, value in words.items():
            if re.sub(r"[\s-]+", " ", name) == key:
                return value
        return None

    def _compound_before(self, text: str, start: int) -> bool:
        """A tens word or another number word right before a unit word: "twenty-five", "dua puluh dua"."""
        before = text[max(0, start - 30) : start]
        if self._tens_before.search(before):
            return True
        # Vietnamese tens: "hai mươi hai" (22) is "hai" + "mươi" (tens) + "hai", not "mười hai" (12).
        return text.startswith("muoi", start) and bool(_VI_UNIT_BEFORE.search(before))

    def _is_person(self, text: str, end: int) -> bool:
        following = re.match(r"[\s-]*(\w+)", text[end:])
        return not (following and following.group(1) in self.grammar.nonhuman)

    def _is_duration(self, text: str, m: re.Match[str]) -> bool:
        before = text[max(0, m.start() - 40) : m.start()]
        after = text[m.end() : m.end() + 30]
        if self._duration_before.search(before) or self._duration_after.search(after):
            return True
        return bool(_THAI_DURATION.search(before[-15:] + " " + after[:15]))

    def _birthdays(self, text: str) -> list[AgeMention]:
        found = []
        for pattern in self._birthday_patterns:
            for m in pattern.finditer(text):
                token = m.group(1)
                value = int(token) if token.isdigit() else self._ordinals.get(token)
                if value is None and token.startswith("ika"):
                    digits = re.sub(r"\D", "", token)
                    value = int(digits) if digits else None
                if value is not None and 0 < value < ADULT:
                    context = text[max(0, m.start() - 25) : m.end() + 25]
                    if re.search(
                        r"anniversary|mariage|wedding|boda|matrimonio|casamento|hochzeit|company|firm", context
                    ):
                        continue
                    found.append(AgeMention(value, "birthday", m.start(), m.end()))
        return found

    def _relative(self, text: str) -> list[AgeMention]:
        found = []
        for m in self._under.finditer(text):
            bound = m.group(1)
            value = int(bound) if bound.isdigit() else self.grammar.units["en"].get(bound, 99)
            if value <= ADULT and not self._adult_disclaimer.search(text[max(0, m.start() - 25) : m.start()]):
                found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._turns_soon.finditer(text):
            found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._under_cjk.finditer(text):
            found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._majority.finditer(text):
            before = text[max(0, m.start() - 22) : m.start()]
            after = text[m.end() : m.end() + 25]
            if self._adult_after.match(after) or self._adult_disclaimer.search(before):
                continue
            if self._negation_before.search(before) or self._negation_after.match(after):
                found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        return found


def _kanji_number(text: str) -> int:
    digits = {
        "〇": 0,
        "一": 1,
        "二": 2,
        "两": 2,
        "兩": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
    if "十" not in text:
        return int("".join(str(digits[ch]) for ch in text)) if text else 99
    tens, _, units = text.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(units, 0) if units else 0)
