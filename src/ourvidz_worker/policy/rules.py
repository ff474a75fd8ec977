"""Rule ids, the word lists in `data/` and the matcher that finds their entries in normalised text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
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


# Leetspeak: what each letter of an entry also matches. "!" ("¡" is read as "!"), "|" and a star for a
# vowel only inside a word ("k!d", "s*x", "p*rn"), so that "lol!" is not "loli".
_STAR = r"|\*(?=[a-z0-9])"
_LEET = {
    "a": rf"(?:[a4@]{_STAR})",
    "b": "[b8]",
    "c": r"(?:c|\((?=[a-z]))",
    "k": r"(?:k|\|<)",
    "e": rf"(?:[e3€]{_STAR})",
    "g": "[g9]",
    "i": rf"(?:[i1]|[!|](?=[a-z]){_STAR})",
    "l": r"(?:[l1]|\|(?=[a-z]))",
    "o": rf"(?:[o0]{_STAR})",
    "s": r"[s5$]",
    "t": "[t7]",
    "u": rf"(?:[u0]{_STAR})",
    "α": "[α4@]",
    "ε": "[ε3]",
    "ι": "[ι1]",
    "ο": "[ο0]",
    "а": "[а4@]",
    "е": "[е3]",
    "з": "[з3]",
    "і": "[і1]",
    "о": "[о0]",
}
_INTRA = r"[.\-*'~·•]?"  # one mark inside a word: "te.en", "lo-li"
_GAP = r"[\s\-.,/#*~·•+&'\"«»“”„]*"  # between the words of a phrase, possibly nothing: "littlegirl", "lam 'chuyen ay'"
# Word boundaries for alphabetic entries: a letter of an alphabet, not a CJK, kana or Thai character
# (which are written without spaces: "jsのエロ画像").
_ALPHABET_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]"
_NOT_LETTER_BEFORE = rf"(?<!{_ALPHABET_LETTER})"
_NOT_LETTER_AFTER = rf"(?!{_ALPHABET_LETTER})"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_KATAKANA_ONLY = re.compile(r"^[\u30a0-\u30ff]+$")
_HIRAGANA_ONLY = re.compile(r"^[\u3040-\u309f]+$")
_FOLDABLE = re.compile(r"[a-z\uac00-\ud7a3]")
# Scripts written without spaces between words (Thai) or with particles glued to nouns (Korean) or
# clitics glued to words (Arabic script) need their own boundaries.
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_SUBSTRING = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
_KOREAN_PARTICLES = (
    r"(?:들)?(?:(?:하|한|해|했|할|함|합|시키)[\uac00-\ud7a3]*|이랑|에게|한테|에서|으로|이고|이야|이다|이에요|예요|입니다|인데|이라서|이라|이면|이며|이지만|인|이|가|은|는|을|를|의|와|과|랑|도|만|야|아|로|에)?"
    r"(?![\uac00-\ud7a3])"
)
# Arabic letters only: the Arabic comma, semicolon and question mark (U+060C, U+061B, U+061F) end a word.
_ARABIC_LETTER = r"[\u0620-\u065f\u066e-\u06d3\u06d5\u06fa-\u06ff]"
_ARABIC_PROCLITICS = rf"(?<!{_ARABIC_LETTER})(?:و|ف|ب|ل|ك|وب|ول|فب)?(?:ال|لل)?"
_ARABIC_SUFFIXES = rf"(?:ها|هم|هن|ه|ي|ك|نا|ات|ين|ون|ان|يه|ته|تي|ية)?(?!{_ARABIC_LETTER})"


# A character hidden behind a mask inside a Han/kana word: "中●生" for "中学生". Not the first character.
_MASKS = "●○◯◎×＊*□■◆◇☆★〇"


def _masked(word: str) -> str:
    if len(word) < 3 or not _CJK.search(word):
        return re.escape(word)
    inner = "".join(f"[{re.escape(ch)}{_MASKS}]" for ch in word[1:-1])
    return re.escape(word[0]) + inner + re.escape(word[-1])


# Words that "0" for "u" would turn into everyday ones: "4n0s" is "anos", "c0m" is "com", "n0" is "no".
_NO_ZERO_FOR_U = frozenset({"anus", "cum", "cums", "nu", "nus", "cumshot"})


def _word_pattern(word: str, *, tolerant: bool) -> str:
    stem = word.endswith("*")
    word = word.rstrip("*")
    parts = []
    for index, ch in enumerate(word):
        piece = (_LEET.get(ch) if tolerant else None) or re.escape(ch)
        if ch == "u" and word in _NO_ZERO_FOR_U:
            piece = rf"(?:u{_STAR})"
        if tolerant and index == len(word) - 1 and len(word) >= 4 and ch in "aeiou":
            piece = rf"(?:{piece}|\*)"  # a star for the last vowel too: "l*l*"
        # Repeated letters ("teeeen") are tolerated, except in two-letter words where "ccp" is not "cp".
        parts.append(piece + "+" if tolerant and len(word) > 2 else piece)
    body = (_INTRA if tolerant else "").join(parts)
    return body + r"[^\W\d_]*" if stem else body


def _entry_pattern(entry: str, *, tolerant: bool = True) -> str:
    """One entry's regex; word-boundary lookarounds are added around the whole alternation."""
    if _SUBSTRING.search(entry) or _HANGUL.search(entry) or _ARABIC_SCRIPT.search(entry):
        stem = entry.endswith("*")
        words = entry.rstrip("*").split()
        # Between the words of a phrase: spaces, or the quotes a euphemism is put in ("大人の「いけないこと」").
        literal = r"[\s\-「」『』“”\"'«»]*".join(_masked(w) for w in words)
        if _KATAKANA_ONLY.match(entry):  # "ロリ" must not match inside "カロリー"
            return rf"(?<![\u30a0-\u30ff]){literal}(?![\u30a0-\u30ff])"
        if _HIRAGANA_ONLY.match(entry) and len(entry) <= 2:  # "ろり" must not match inside "とろり"
            return rf"(?<![\u3040-\u309f]){literal}(?![\u3040-\u309f])"
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


_LEET_CHARS = frozenset("0123456789@$€|!*(")


def _inside_word(text: str, start: int, end: int) -> bool:
    """A match that leetspeak glues to the letters before it: "7we3n" in "b37we3n", "nudi" in "m3nudi74"."""
    i = start - 1
    while i >= 0 and text[i] in _LEET_CHARS:
        i -= 1
    return i < start - 1 and i >= 0 and text[i].isalpha()


def data_file(name: str) -> str:
    return resources.files("ourvidz_worker.policy.data").joinpath(name).read_text(encoding="utf-8")


def read_terms(name: str) -> list[str]:
    entries = []
    for line in data_file(name).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    return entries


# Python's regex compiler builds a 64K-entry table for every character class holding a character
# beyond Latin-1 ("€" in [e3€], "•" among the marks between letters), and the term lists make tens
# of thousands of such classes: seconds of start-up. Matchers read these few characters as C1
# controls instead (and any C1 control of the text as U+FFFD), one for one, so positions and
# decisions are unchanged.
_WIDE_MARKS = "€•“”„"
_NARROW_PATTERN = str.maketrans({ch: chr(0x80 + i) for i, ch in enumerate(_WIDE_MARKS)})
_NARROW_TEXT = str.maketrans(
    {ch: chr(0x80 + i) for i, ch in enumerate(_WIDE_MARKS)} | {chr(0x80 + i): "\ufffd" for i in range(len(_WIDE_MARKS))}
)


class TermMatcher:
    """Finds any entry of a word list in normalised text, tolerating leetspeak and repetition.

    Entries starting with "=" keep their accents and are looked up in the accented view
    ("=niña" is a child, "nina" may be a name).
    """

    def __init__(
        self, entries: Iterable[str], *, tolerant: bool = True, fold: Callable[[str], str] | None = None
    ) -> None:
        """`fold`, when given, is applied to every entry (regular-expression entries are left out): the
        matcher then reads texts folded the same way (`normalise.phonetic`)."""
        plain, accented = set(), set()
        patterns = []
        for entry in entries:
            if entry.startswith("~"):  # a regular expression over the normalised text
                if fold is None:
                    patterns.append(entry[1:].strip())
            elif entry.startswith("="):
                if fold is None:
                    accented.add(normalise(entry[1:], keep_accents=True))
            elif fold is None:
                plain.add(normalise(entry))
            elif _FOLDABLE.search(word := normalise(entry)) and " " not in word:
                plain.add(fold(word))  # single words only; other scripts read the same folded or not
        self._plain = self._compile(plain, tolerant, patterns)
        self._accented = self._compile(accented, tolerant)

    @staticmethod
    def _compile(entries: set[str], tolerant: bool, patterns: Iterable[str] = ()) -> re.Pattern[str] | None:
        patterns = list(patterns)
        if not entries and not patterns:
            return None
        ordered = sorted(entries, key=lambda e: (-len(e), e))
        # Emoji entries need no word boundary: "preteen🔞".
        unbounded_script = (_SUBSTRING, _HANGUL, _ARABIC_SCRIPT)
        bounded = [e for e in ordered if not any(p.search(e) for p in unbounded_script) and any(c.isalnum() for c in e)]
        words = "|".join(_entry_pattern(e, tolerant=tolerant) for e in bounded)
        cjk = "|".join(_entry_pattern(e, tolerant=tolerant) for e in ordered if e not in set(bounded))
        parts = [f"{_NOT_LETTER_BEFORE}(?:{words}){_NOT_LETTER_AFTER}"] if words else []
        parts += [cjk] if cjk else []
        parts += [f"(?:{pattern_form(p)})" for p in patterns]
        return re.compile("|".join(parts).translate(_NARROW_PATTERN))

    def search(self, plain: str, accented: str = "") -> str | None:
        """The first matching text (for tests and debugging; never log it), or None."""
        for pattern, text in ((self._plain, plain), (self._accented, accented)):
            if pattern is None or not text:
                continue
            for match in pattern.finditer(text.translate(_NARROW_TEXT)):
                found = text[match.start() : match.end()]
                if _meaningful(found) and not _inside_word(text, *match.span()):  # "1011" is not "loli"
                    return found
        return None

    def spans(self, plain: str, accented: str = "") -> list[tuple[int, int]]:
        """Where the entries occur (positions in `plain`; accented entries by their place in `accented`)."""
        found = []
        for pattern, text in ((self._plain, plain), (self._accented, accented)):
            if pattern is None or not text:
                continue
            found += [
                m.span()
                for m in pattern.finditer(text.translate(_NARROW_TEXT))
                if _meaningful(text[m.start() : m.end()]) and not _inside_word(text, *m.span())
            ]
        return sorted(found)

    def remove(self, text: str) -> str:
        return self.remove_both(text, text)[0]

    def remove_both(self, text: str, accented: str) -> tuple[str, str]:
        """`remove` on `text`, and the same spans removed from its accented twin when the two align.

        The entries are read without accents, so "mientras los niños duermen" is found in the plain text
        only; cutting the same spans keeps the accented view ("=niño") in step with the plain one.
        """
        if self._plain is None:
            return text, accented
        if len(accented) != len(text):
            return self.remove(text), self.remove(accented)
        plain_parts, accented_parts, last = [], [], 0
        for match in self._plain.finditer(text.translate(_NARROW_TEXT)):
            plain_parts += [text[last : match.start()], " "]
            accented_parts += [accented[last : match.start()], " "]
            last = match.end()
        return "".join([*plain_parts, text[last:]]), "".join([*accented_parts, accented[last:]])


class FuzzyMatcher:
    """The core vocabulary of `data/fuzzy_terms.txt` with one typing slip allowed ("childern", "nudty").

    Reads the words of a normalised text with leetspeak undone (`semantic.readable`) and folded
    (`normalise.phonetic`); a word of seven letters or more matches an entry when one letter more, less,
    changed or swapped makes them equal (symmetric deletions), unless it is listed as "not".
    """

    MIN_LENGTH = 7
    _WORD = re.compile(r"[^\W\d_]{6,}")

    def __init__(self, lines: Iterable[str], fold: Callable[[str], str]) -> None:
        self._fold = fold
        self._index: dict[str, set[tuple[str, str]]] = {}
        self._exact: set[str] = set()
        self._not: set[str] = set()
        for line in lines:
            kind, _, word = (part.strip() for part in line.partition(":"))
            folded = fold(normalise(word))
            if kind == "not":
                self._not.add(folded)
                continue
            self._exact.add(folded)
            if len(folded) >= self.MIN_LENGTH:
                for variant in {folded, *_deletions(folded)}:
                    self._index.setdefault(variant, set()).add((kind, folded))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(kind, start, end) of every slipped spelling in `text` (a normalised, leet-read text)."""
        found = []
        for match in self._WORD.finditer(text):
            folded = self._fold(match.group())
            if len(folded) < self.MIN_LENGTH - 1 or folded in self._not or folded in self._exact:
                continue  # exact spellings are the other lists' business
            kinds = set()
            for variant in {folded, *_deletions(folded)}:
                kinds |= {kind for kind, entry in self._index.get(variant, ()) if _one_slip(entry, folded)}
            for kind in sorted(kinds):
                found.append((kind, match.start(), match.end()))
        return found


def _alphabetic(word: str) -> bool:
    """A word of an alphabet the other-script splitter reads (not Han, kana, Thai or Hangul)."""
    return all("\u0370" <= ch <= "\u09ff" for ch in word if not ch.isspace())


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_slip(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance at most one: a letter added, dropped, changed, or two swapped."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])


class Segmenter:
    """Splits words run together ("sexwithakid", "childporn", "t h e k i d s" once joined) into known words.

    Known words are the single Latin-script words of the term lists (the "core") and everyday joining
    words (`data/joining_words.txt`). A long word that is neither is split into the fewest known words;
    the split is kept only if it contains a core word. `view(text)` is the text with such words split and
    runs of one- or two-letter fragments ("n u_d.i t_y") joined first; it is read for words only.
    """

    _FRAGMENTS = re.compile(r"(?<![^\W\d_])[a-z]{1,2}(?:[\s.\-_*·•~+/|]+[a-z]{1,2}(?![^\W\d_])){2,}")
    _TOKEN = re.compile(r"(?<![^\W\d_])[a-z]{7,40}(?![^\W\d_])")
    # Other alphabets (Cyrillic, Greek, Arabic, Hebrew, Devanagari, Bengali), vowel signs included.
    _OTHER_TOKEN = re.compile(
        r"(?<![\w\u0900-\u09ff])[\u0370-\u05ff\u0600-\u06ff\u0900-\u09ff]{6,60}(?![\w\u0900-\u09ff])"
    )
    _PAIR = re.compile(r"(?<![^\W\d_])([a-z]{1,6}) ([a-z]{1,6})(?![^\W\d_])")
    _SEPARATORS = re.compile(r"[\s.\-_*·•~+/|]+")

    def __init__(self, core: Iterable[str], joining: Iterable[str]) -> None:
        core = set(core)
        self.core = {w for w in core if w.isascii() and w.isalpha() and len(w) >= 3}
        self.words = self.core | {w for w in joining if w.isascii() and w.isalpha()}
        self.longest = max((len(w) for w in self.words), default=1)
        self.other = {w for w in core if not w.isascii() and len(w) >= 3 and _alphabetic(w)}
        self.other_longest = max((len(w) for w in self.other), default=1)

    def split(self, token: str) -> list[str] | None:
        """The fewest known words that make up `token`, or None."""
        return _fewest_words(token, self._known, self.longest)

    def _known(self, piece: str) -> bool:
        return piece in self.words or (piece.endswith("s") and (piece[:-1] in self.core or piece[:-2] in self.core))

    def view(self, text: str) -> str:
        def join(match: re.Match[str]) -> str:
            return self._SEPARATORS.sub("", match.group())

        def split(match: re.Match[str]) -> str:
            token = match.group()
            if token in self.words:
                return token
            parts = self.split(token)
            if not parts or len(parts) < 2 or len(parts[0]) < 3 or len(parts[-1]) < 3:
                return token  # "between" is not "be tween", "unisex" not "un i sex"
            core = [part for part in parts if part in self.core or (self._known(part) and part not in self.words)]
            if not core or (len(core) == 1 and len(core[0]) < 4):
                return token
            return " ".join(parts)

        def split_other(match: re.Match[str]) -> str:
            token = match.group()
            if token in self.other:
                return token
            parts = self._split_other(token)
            return " ".join(parts) if parts and len(parts) > 1 else token

        def pair(match: re.Match[str]) -> str:  # "chi ld": a word split in two by a space
            first, second = match.groups()
            joined = first + second
            if len(joined) >= 5 and self._known(joined) and not (self._known(first) or self._known(second)):
                return joined
            return match.group()

        text = self._PAIR.sub(pair, self._FRAGMENTS.sub(join, text))
        return self._OTHER_TOKEN.sub(split_other, self._TOKEN.sub(split, text))

    def _split_other(self, token: str) -> list[str] | None:
        """`token` (not Latin) as listed words, or None: "طفلهعاريه" -> "طفله عاريه"."""
        return _fewest_words(token, self.other.__contains__, self.other_longest)


def _fewest_words(token: str, known: Callable[[str], bool], longest: int) -> list[str] | None:
    """The fewest pieces, each `known` and at most `longest` long, that make up `token`, or None."""
    best: list[list[str] | None] = [[]] + [None] * len(token)
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - longest), end):
            head = best[start]
            if head is not None and known(token[start:end]):
                candidate = [*head, token[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = candidate
    return best[-1]
