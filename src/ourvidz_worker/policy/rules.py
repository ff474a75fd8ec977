"""Rule ids, the word lists in `data/` and the matcher that finds their entries in normalised text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from importlib import resources

from .normalise import normalise, pattern_form

RULE_CSAM_TERM = "csam_term"
RULE_MINOR_SEXUAL = "minor_sexual"
RULE_MINOR_AGE_SEXUAL = "minor_age_sexual"
RULE_YOUTH_CODED_SEXUAL = "youth_coded_sexual"
RULE_REAL_PERSON_SEXUAL = "real_person_sexual"
RULE_SEMANTIC = "semantic_minor_sexual"
RULE_JUDGE = "judge_minor_sexual"  # the optional safety judge (judge.py) refused
RULE_JUDGE_UNAVAILABLE = "judge_unavailable"  # the judge failed or gave no verdict: refused (fail closed)
RULES = (
    RULE_CSAM_TERM,
    RULE_MINOR_SEXUAL,
    RULE_MINOR_AGE_SEXUAL,
    RULE_YOUTH_CODED_SEXUAL,
    RULE_REAL_PERSON_SEXUAL,
    RULE_SEMANTIC,
    RULE_JUDGE,
    RULE_JUDGE_UNAVAILABLE,
)


# Leetspeak: what each letter of an entry also matches. "!" and "|" only inside a word ("k!d"),
# so that "lol!" is not "loli".
_LEET = {
    "a": "[a4@]",
    "b": "[b8]",
    "e": "[e3€]",
    "g": "[g9]",
    "i": r"(?:[i1]|[!|](?=[a-z]))",
    "l": r"(?:[l1]|\|(?=[a-z]))",
    "o": "[o0]",
    "s": r"[s5$]",
    "t": "[t7]",
    "u": "[u0]",
    "а": "[а4@]",
    "е": "[е3]",
    "з": "[з3]",
    "і": "[і1]",
    "о": "[о0]",
}
_INTRA = r"[.\-*'~·•]?"  # one mark inside a word: "te.en", "lo-li"
_GAP = r"[\s\-.,/#*~·•+&]*"  # between the words of a phrase, possibly nothing: "littlegirl"
# Word boundaries for alphabetic entries: a letter of an alphabet, not a CJK, kana or Thai character
# (which are written without spaces: "jsのエロ画像").
_ALPHABET_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]"
_NOT_LETTER_BEFORE = rf"(?<!{_ALPHABET_LETTER})"
_NOT_LETTER_AFTER = rf"(?!{_ALPHABET_LETTER})"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_KATAKANA_ONLY = re.compile(r"^[\u30a0-\u30ff]+$")
# Scripts written without spaces between words (Thai) or with particles glued to nouns (Korean) or
# clitics glued to words (Arabic script) need their own boundaries.
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_SUBSTRING = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
_KOREAN_PARTICLES = (
    r"(?:들)?(?:(?:하|한|해|했|할|함|합|시키)[\uac00-\ud7a3]*|이랑|에게|한테|에서|으로|이|가|은|는|을|를|의|와|과|랑|도|만|야|아|로|에)?"
    r"(?![\uac00-\ud7a3])"
)
_ARABIC_PROCLITICS = r"(?<![\u0600-\u06ff])(?:و|ف|ب|ل|ك|وب|ول|فب)?(?:ال|لل)?"
_ARABIC_SUFFIXES = r"(?:ها|هم|هن|ه|ي|ك|نا|ات|ين|ون|ان|يه|ته|تي|ية)?(?![\u0600-\u06ff])"


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
    if _SUBSTRING.search(entry) or _HANGUL.search(entry) or _ARABIC_SCRIPT.search(entry):
        stem = entry.endswith("*")
        words = entry.rstrip("*").split()
        literal = r"[\s\-]*".join(re.escape(w) for w in words)
        if _KATAKANA_ONLY.match(entry):  # "ロリ" must not match inside "カロリー"
            return rf"(?<![\u30a0-\u30ff]){literal}(?![\u30a0-\u30ff])"
        if _HANGUL.search(entry):  # a Korean noun, then its particles, then the end of the word
            return literal + (r"[\uac00-\ud7a3]*" if stem else _KOREAN_PARTICLES)
        if _ARABIC_SCRIPT.search(entry):  # "و/ب/ل" + "ال" before, a pronoun or plural ending after
            return _ARABIC_PROCLITICS + literal + (r"[\u0600-\u06ff]*" if stem else _ARABIC_SUFFIXES)
        return literal
    words = entry.split()
    body = (_GAP if tolerant else r"[\s\-]+").join(_word_pattern(w, tolerant=tolerant) for w in words)
    if tolerant and not entry.endswith("*") and entry[-1].isascii() and entry[-1].isalpha() and len(entry) > 2:
        body += "(?:e?s)?"  # plural
    before = r"(?<!\d)" if entry[0].isdigit() else ""
    after = r"(?!\d)" if entry[-1].isdigit() else ""  # "hot 10" is not "hot 100"
    return f"{before}{body}{after}"


def _meaningful(found: str) -> bool:
    """Letters, or an emoji/symbol entry ("👧"): not digits and punctuation alone ("1011")."""
    return any(ch.isalpha() or unicodedata.category(ch) == "So" for ch in found)


def data_file(name: str) -> str:
    return resources.files("ourvidz_worker.policy.data").joinpath(name).read_text(encoding="utf-8")


def read_terms(name: str) -> list[str]:
    entries = []
    for line in data_file(name).splitlines():
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
        patterns = []
        for entry in entries:
            if entry.startswith("~"):  # a regular expression over the normalised text
                patterns.append(entry[1:].strip())
            elif entry.startswith("="):
                accented.add(normalise(entry[1:], keep_accents=True))
            else:
                plain.add(normalise(entry))
        self._plain = self._compile(plain, tolerant, patterns)
        self._accented = self._compile(accented, tolerant)

    @staticmethod
    def _compile(entries: set[str], tolerant: bool, patterns: Iterable[str] = ()) -> re.Pattern[str] | None:
        patterns = list(patterns)
        if not entries and not patterns:
            return None
        ordered = sorted(entries, key=lambda e: (-len(e), e))
        bounded = [e for e in ordered if not (_SUBSTRING.search(e) or _HANGUL.search(e) or _ARABIC_SCRIPT.search(e))]
        words = "|".join(_entry_pattern(e, tolerant=tolerant) for e in bounded)
        cjk = "|".join(_entry_pattern(e, tolerant=tolerant) for e in ordered if e not in set(bounded))
        parts = [f"{_NOT_LETTER_BEFORE}(?:{words}){_NOT_LETTER_AFTER}"] if words else []
        parts += [cjk] if cjk else []
        parts += [f"(?:{pattern_form(p)})" for p in patterns]
        return re.compile("|".join(parts))

    def search(self, plain: str, accented: str = "") -> str | None:
        """The first matching text (for tests and debugging; never log it), or None."""
        for pattern, text in ((self._plain, plain), (self._accented, accented)):
            if pattern is None or not text:
                continue
            for match in pattern.finditer(text):
                found = match.group()
                if _meaningful(found):  # "1011" is not "loli"
                    return found
        return None

    def spans(self, plain: str, accented: str = "") -> list[tuple[int, int]]:
        """Where the entries occur (positions in `plain`; accented entries by their place in `accented`)."""
        found = []
        for pattern, text in ((self._plain, plain), (self._accented, accented)):
            if pattern is None or not text:
                continue
            found += [m.span() for m in pattern.finditer(text) if _meaningful(m.group())]
        return sorted(found)

    def remove(self, text: str) -> str:
        return self._plain.sub(" ", text) if self._plain else text
