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
_LETTERS = re.compile(r"[^\W\d_]+")
# Three or more single letters/digits with the same separator between them: "t e e n", "l.o.l.i".
_SPACED = re.compile(r"(?<![^\W_])[^\W_]([^\w\n]{1,3})(?:[^\W_]\1)+[^\W_](?![^\W_])")
_SPACES = re.compile(r"\s+")
_KANA_MARKS = ("\u3099", "\u309a")


def _fix_mixed_script(match: re.Match[str]) -> str:
    """Map look-alike letters inside one word to the word's main script ("lоli" with a Cyrillic о)."""
    word = match.group()
    scripts = Counter(script_of(ch) for ch in word)
    if scripts["greek"]:
        word = word.translate(_GREEK_TO_LATIN)
        scripts = Counter(script_of(ch) for ch in word)
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
    text = INVISIBLE.sub(invisible, text)
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = unicodedata.normalize("NFKC", text.casefold())
    if not text.isascii():
        text = _LETTERS.sub(_fix_mixed_script, text)
    if not keep_accents:
        text = _strip_accents(text)
    text = _SPACED.sub(_join_spaced, text)
    return _SPACES.sub(" ", text).strip()
