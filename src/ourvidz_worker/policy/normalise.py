"""Text normalisation against obfuscation: the form every rule of the prompt policy reads."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ..writing_systems import script_of

# Format characters (zero-width, bidi controls, soft hyphen, tags) and fillers that render as nothing.
INVISIBLE = re.compile(
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
_LOOKALIKES = frozenset("аеорсухкмтвнѕіјԁԛԝһӏ")
_NOT_SLAVIC = frozenset("ѕјԁԛԝһӏ")  # look-alikes no Russian or Ukrainian word uses ("і" is Ukrainian)
_LETTERS = re.compile(r"[^\W\d_]+")
# Three or more single letters/digits with the same separator between them: "t e e n", "l.o.l.i".
# In Indic scripts a "letter" is a syllable: a consonant with its vowel signs ("ना", "क्स").
_MARK = "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09cd\u09d7\u09e2\u09e3"
_UNIT = rf"[^\W_][{_MARK}]*(?:[\u094d\u09cd][^\W_][{_MARK}]*)*"
_SPACED = re.compile(rf"(?<![^\W_{_MARK}]){_UNIT}([^\w\n{_MARK}]{{1,3}})(?:{_UNIT}\1)+{_UNIT}(?![^\W_{_MARK}])")
_SPACES = re.compile(r"\s+")
_KANA_MARKS = ("\u3099", "\u309a")
# Combining marks are stripped only where they are optional accents (Latin, Greek, Cyrillic, Arabic and
# Hebrew vowel signs); in Thai and the Indic scripts they are letters of the word and are kept.
_MARKS_KEPT = re.compile(r"[\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
# Decimal digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, Thai, ...) read as 0-9.
_DIGITS = str.maketrans(
    {
        chr(zero + i): str(i)
        for zero in (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50)
        for i in range(10)
    }
)
# Arabic-script letter variants: alef forms, Persian/Urdu yeh and kaf, teh marbuta, tatweel.
_ARABIC = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ے": "ي",
        "ک": "ك",
        "ہ": "ه",
        "ۃ": "ة",
        "ة": "ه",
        "ـ": "",
    }
)


def _fix_mixed_script(match: re.Match[str]) -> str:
    """Map look-alike letters inside one word to the word's main script ("lоli" with a Cyrillic о)."""
    word = match.group()
    scripts = Counter(script_of(ch) for ch in word)
    if scripts["greek"] and (scripts["latin"] or scripts["cyrillic"]):  # a Greek word stays Greek
        word = word.translate(_GREEK_TO_LATIN)
        scripts = Counter(script_of(ch) for ch in word)
    if not scripts["cyrillic"]:
        return word
    if scripts["latin"] >= scripts["cyrillic"]:
        return word.translate(_CYRILLIC_TO_LATIN)
    if scripts["latin"]:
        return word.translate(_LATIN_TO_CYRILLIC)
    if _NOT_SLAVIC.intersection(word) and _LOOKALIKES.issuperset(word):  # "сһіӏԁ": Latin in disguise
        return word.translate(_CYRILLIC_TO_LATIN)
    return word  # a Russian or Ukrainian word ("вік", "дівчинка")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    base = ""
    for ch in decomposed:
        if unicodedata.category(ch) != "Mn":
            base = ch
            kept.append(ch)
        elif ch in _KANA_MARKS or _MARKS_KEPT.match(base):
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def pattern_form(pattern: str) -> str:
    """A regex source written in plain letters, given the letter forms `normalise` produces.

    Accents are stripped and Arabic-script variants unified, as in the texts; regex syntax is untouched.
    """
    return _strip_accents(unicodedata.normalize("NFKC", pattern)).translate(_ARABIC)


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group()
    if sum(ch.isalpha() for ch in run) < 2:
        return run  # "a 1 2 3" stays a list
    return "".join(ch for ch in run if ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc"))


def normalise(text: str, *, keep_accents: bool = False, invisible: str = "") -> str:
    """The form every rule reads: obfuscation undone as far as it can be without guessing.

    NFKC (full-width and styled letters), casefold, look-alike letters mapped, digits of every
    script read as 0-9, Arabic-script letter variants unified, invisible characters removed (or
    replaced by `invisible`), diacritics stripped (unless `keep_accents`; the vowel signs of Thai
    and the Indic scripts are letters and always kept),
    spaced-out letters joined ("t.e.e.n" -> "teen") and whitespace collapsed. Leetspeak and
    repeated letters are left to the matchers, so that digits stay digits for age parsing.
    """
    text = INVISIBLE.sub(invisible, text)
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = unicodedata.normalize("NFKC", text.casefold())
    if not text.isascii():
        text = _LETTERS.sub(_fix_mixed_script, text).translate(_DIGITS).translate(_ARABIC)
    if not keep_accents:
        text = _strip_accents(text)
    text = _SPACED.sub(_join_spaced, text)
    return _SPACES.sub(" ", text).strip()
