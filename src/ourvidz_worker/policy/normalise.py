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
        "ɩ": "i",
        "đ": "d",  # Vietnamese, often written plain
        "Đ": "d",
        "ɑ": "a",
        "ɡ": "g",
        "ſ": "s",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "¡": "!",
        "\u2800": " ",
    }
)
# Parenthesized letters ("⒞⒣⒤⒧⒟"), read before NFKC would turn each into "(c)".
_PARENTHESIZED = str.maketrans(
    {
        **{0x249C + i: chr(97 + i) for i in range(26)},
        **{0x1F110 + i: chr(97 + i) for i in range(26)},
        "ϲ": "c",  # Greek lunate sigma, which NFKC would make a final sigma
        "ϳ": "j",
    }
)
_GREEK_TO_LATIN = str.maketrans("αβγεηικμνορςτυχω", "abyenikuvopstuxw")
_CYRILLIC_TO_LATIN = str.maketrans("аеорсухкмтвнѕіјԁԛԝһӏ", "aeopcyxkmtbhsijdqwhl")
_LATIN_TO_CYRILLIC = str.maketrans("aeopcyxkmtbh", "аеорсухкмтвн")
_NON_RUSSIAN_CYRILLIC = frozenset("ѕіјԁԛԝһӏ")
_LOOKALIKES = frozenset("аеорсухкмтвнѕіјԁԛԝһӏ")
_LATIN_LOOKALIKES = frozenset("aeopcyxkmtbhsijdqwl")
_NOT_SLAVIC = frozenset("ѕјԁԛԝһӏ")  # look-alikes no Russian or Ukrainian word uses ("і" is Ukrainian)
_LETTERS = re.compile(r"[^\W\d_]+")
# Three or more single letters/digits with the same separator between them: "t e e n", "l.o.l.i".
# In Indic scripts a "letter" is a syllable: a consonant with its vowel signs ("ना", "क्स").
_MARK = "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09cd\u09d7\u09e2\u09e3"
_UNIT = rf"[^\W_][{_MARK}]*(?:[\u094d\u09cd][^\W_][{_MARK}]*)*"
_SPACED = re.compile(
    rf"(?<![^\W_{_MARK}])(?<![{_MARK}]){_UNIT}([^\w\n{_MARK}]{{1,3}})(?:{_UNIT}\1)+{_UNIT}(?![^\W_{_MARK}])"
)
_SPACES = re.compile(r"\s+")
_NUMBER_AND_WORD = re.compile(r"^(\d+)([^\W\d_]{2,})$|^([^\W\d_]{2,})(\d+)$")
_TATWEEL_SPLIT = re.compile(
    r"(?<=[\u0620-\u064a])\u0640+\s+\u0640*(?=[\u0620-\u064a])|(?<=[\u0620-\u064a])\s+\u0640+(?=[\u0620-\u064a])"
)
# Letters split by marks inside one token: "ch_i_l_d", "초.딩", "萝.莉", "ロ・リ", "しょ・う・が・く".
_JOINERS = "._*·•・‧∙⋅~+_"
_SPLIT_TOKEN = re.compile(rf"[^\s{re.escape(_JOINERS)}]+(?:[{re.escape(_JOINERS)}]+[^\s{re.escape(_JOINERS)}]+)+")
_JOINER_RUN = re.compile(rf"[{re.escape(_JOINERS)}]+")
# Between two characters of the scripts written without spaces (Han, kana, Thai), any gap is a disguise.
_UNSPACED_SCRIPT = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f"
_UNSPACED_GAP = re.compile(rf"(?<=[{_UNSPACED_SCRIPT}])[\s{re.escape(_JOINERS)}\-/|]+(?=[{_UNSPACED_SCRIPT}])")
_HANGUL_SPACED = re.compile(
    r"(?<![\uac00-\ud7a3])[\uac00-\ud7a3](?:[\s.\-_*·•・~]+[\uac00-\ud7a3](?![\uac00-\ud7a3]))+"
)
_KANA_MARKS = ("\u3099", "\u309a")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]{3,}")
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
    if scripts["latin"]:
        # A letter only one of the scripts has decides ("гoлa" with Latin o and a is Cyrillic).
        only_cyrillic = any(script_of(ch) == "cyrillic" and ch not in _LOOKALIKES for ch in word)
        only_latin = any(script_of(ch) == "latin" and ch not in _LATIN_LOOKALIKES for ch in word)
        if only_cyrillic != only_latin:
            return word.translate(_LATIN_TO_CYRILLIC) if only_cyrillic else word.translate(_CYRILLIC_TO_LATIN)
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


def _letters(piece: str) -> int:
    return sum(1 for ch in piece if unicodedata.category(ch)[0] != "M")


def _join_marked(match: re.Match[str]) -> str:
    """A token whose pieces are one or two letters each, split by marks: the marks are a disguise."""
    token = match.group()
    pieces = [p for p in _JOINER_RUN.split(token) if p]
    if any(not any(ch.isalpha() for ch in p) for p in pieces):
        return token  # digits: "1.5", "13:15", "v1.2"
    if len(pieces) == 2 and not set(_JOINER_RUN.findall(token)) <= {".", "_", "·", "•", "・", "‧", "∙", "⋅"}:
        return token  # "s*x": a star for a letter is leetspeak, read by the matchers
    short = all(_letters(p) <= (1 if len(pieces) == 2 else 2) for p in pieces)
    return "".join(pieces) if short and sum(_letters(p) == 1 for p in pieces) >= 1 else token


# Spellings that sound alike, folded to one form on both sides (entries and texts) by `phonetic`.
_LATIN_WORD = re.compile(r"(?<![^\W\d_])[a-z0-9@$€|!*]*[a-z][a-z0-9@$€|!*]*")
_LATIN_SOUNDS = (("ph", "f"), ("ck", "k"), ("q", "k"), ("x", "ks"))
_HARD_C = re.compile(r"c(?!h)")
_Y_AS_I = re.compile(r"(?<=[b-df-hj-np-tv-xz])y(?=[b-df-hj-np-tv-xz])")  # "chyld", "lolyta"
_FINAL_Z = re.compile(r"(?<=[b-df-hj-np-tv-xz])z$")  # "kidz", "boyz"
# Hangul, folded only where the sounds are the same or the spelling is a known disguise: ㅆ/ㅉ as ㅅ/ㅈ,
# ㅔ as ㅐ, and after ㅈ/ㅊ a y-vowel as the plain one ("쎅스" = "섹스", "쵸딩" = "초딩"). Not ㄲ/ㄸ/ㅃ, nor
# y-vowels elsewhere: "아끼다" is not "아기", "야동" is not "아동".
_INITIAL_FOLD = {10: 9, 13: 12}  # ㅆ -> ㅅ, ㅉ -> ㅈ
_VOWEL_FOLD = {5: 1, 7: 3}  # ㅔ -> ㅐ, ㅖ -> ㅒ
_PALATAL_VOWEL_FOLD = {2: 0, 3: 1, 6: 4, 7: 5, 12: 8, 17: 13}  # after ㅈ/ㅊ: ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ -> ㅏ ㅐ ㅓ ㅔ ㅗ ㅜ
_FINAL_FOLD = {20: 19}  # final ㅆ -> ㅅ
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")


def _fold_latin(match: re.Match[str]) -> str:
    word = match.group()
    for spelling, sound in _LATIN_SOUNDS:
        word = word.replace(spelling, sound)
    return _FINAL_Z.sub("s", _Y_AS_I.sub("i", _HARD_C.sub("k", word)))


def _fold_hangul(match: re.Match[str]) -> str:
    index = ord(match.group()) - 0xAC00
    initial, vowel, final = index // 588, (index % 588) // 28, index % 28
    initial = _INITIAL_FOLD.get(initial, initial)
    if initial in (12, 14):  # ㅈ, ㅊ
        vowel = _PALATAL_VOWEL_FOLD.get(vowel, vowel)
    vowel = _VOWEL_FOLD.get(vowel, vowel)
    return chr(0xAC00 + initial * 588 + vowel * 28 + _FINAL_FOLD.get(final, final))


def phonetic(text: str) -> str:
    """A normalised text with sound-alike spellings folded: "secx", "sekks" -> "seks"; "nakkt" -> "nakt";
    "쎅스" -> "섹스". Applied to word-list entries and texts alike, so each side meets the other."""
    text = _LATIN_WORD.sub(_fold_latin, text)
    return _HANGUL_SYLLABLE.sub(_fold_hangul, text) if not text.isascii() else text


def unspaced(text: str, *, pairs: bool = False) -> str:
    """A normalised text with every gap between two Han, kana or Thai characters removed ("幼 女" -> "幼女"),
    and single Hangul syllables spaced out joined ("초 딩" -> "초딩"), or with `pairs` joined two by two, the
    length of most Korean words ("초 딩 야 동" -> "초딩 야동"). A view for matching only."""
    text = _UNSPACED_GAP.sub("", text)

    def join(match: re.Match[str]) -> str:
        syllables = re.sub(r"[^\uac00-\ud7a3]", "", match.group())
        if not pairs:
            return syllables
        return " ".join(syllables[i : i + 2] for i in range(0, len(syllables), 2))

    return _HANGUL_SPACED.sub(join, text)


def _join_spaced_pairs(match: re.Match[str]) -> str:
    """Spaced-out Hangul syllables joined two by two, the length of most Korean words ("초 딩 야 동")."""
    joined = _join_spaced(match)
    if not _HANGUL_RUN.fullmatch(joined):
        return joined
    return " ".join(joined[i : i + 2] for i in range(0, len(joined), 2))


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group()
    if sum(ch.isalpha() for ch in run) < 2:
        return run  # "a 1 2 3" stays a list
    kept = "".join(ch for ch in run if ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc"))
    # A number before or after the letters stays apart: "grade 7 b o y" is "grade 7 boy", "1 2 a n s" is
    # "12 ans"; digits among letters are leetspeak ("l 0 l 1" is "l0l1").
    return _NUMBER_AND_WORD.sub(lambda m: " ".join(g for g in m.groups() if g), kept)


def normalise(text: str, *, keep_accents: bool = False, invisible: str = "", hangul_pairs: bool = False) -> str:
    """The form every rule reads: obfuscation undone as far as it can be without guessing.

    NFKC (full-width and styled letters), casefold, look-alike letters mapped, digits of every
    script read as 0-9, Arabic-script letter variants unified, invisible characters removed (or
    replaced by `invisible`), diacritics stripped (unless `keep_accents`; the vowel signs of Thai
    and the Indic scripts are letters and always kept),
    letters split by marks joined ("ch_i_l_d", "초.딩" -> "child", "초딩"), spaced-out letters joined
    ("t e e n" -> "teen") and whitespace collapsed. Leetspeak and
    repeated letters are left to the matchers, so that digits stay digits for age parsing.
    """
    text = INVISIBLE.sub(invisible, text)
    text = _TATWEEL_SPLIT.sub("", text)  # "قاصـ ـر": a word split by tatweel and a space
    text = unicodedata.normalize("NFKC", text.translate(_PARENTHESIZED)).translate(_CONFUSABLES)
    text = unicodedata.normalize("NFKC", text.casefold())
    if not text.isascii():
        text = _LETTERS.sub(_fix_mixed_script, text).translate(_DIGITS).translate(_ARABIC)
    if not keep_accents:
        text = _strip_accents(text)
    text = _SPLIT_TOKEN.sub(_join_marked, text)
    text = text.replace("_", " ")
    if "  " in text and _SPACED.search(text):
        text = _join_spaced_words(text)
    text = _SPACED.sub(_join_spaced_pairs if hangul_pairs else _join_spaced, text)
    return _SPACES.sub(" ", text).strip()


_SPACED_WORD = re.compile(rf"{_UNIT}(?: {_UNIT})+")


def _join_spaced_words(text: str) -> str:
    """Words spaced out letter by letter with wider gaps between them ("ना बा लि ग  ल ड़ की  से क्स"): once
    one such word has three letters or more, the two-letter ones between the same wide gaps are joined too."""
    chunks = re.split(r"( {2,})", text)
    spaced = [bool(_SPACED_WORD.fullmatch(chunk)) for chunk in chunks]
    if not any(ok and chunk.count(" ") >= 2 for ok, chunk in zip(spaced, chunks, strict=True)):
        return text
    return "".join(
        chunk.replace(" ", "") if ok and sum(c.isalpha() for c in chunk) >= 2 else chunk
        for ok, chunk in zip(spaced, chunks, strict=True)
    )
