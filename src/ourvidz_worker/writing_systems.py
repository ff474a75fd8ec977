"""Which writing system a character belongs to, for the policy's homoglyph repair and the enhancer's guard."""

from __future__ import annotations

import unicodedata

_HAN_AND_KANA = ("cjk", "hiragana", "katakana")


def script_of(ch: str) -> str:
    """The script a character's Unicode name starts with, lower case ("latin", "cyrillic", "hangul"...).

    Chinese characters and Japanese kana are one script, "cjk": a Japanese text mixes them freely.
    """
    first = unicodedata.name(ch, "").split(" ", 1)[0].lower()
    return "cjk" if first in _HAN_AND_KANA else first or "unknown"
