"""Rule ids, the word lists in `data/` and the matcher that finds their entries in normalised text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources

from .normalise import normalise

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
