"""Prompt enhancement.

`template-v1` is deterministic: it weaves the character description in and adds the camera,
motion and lighting cues Wan 2.1 responds to, without inventing content. Its output is the
prompt the video will be generated from when a job asks for enhancement.
"""

from __future__ import annotations

TEMPLATE_ENHANCER = "template-v1"
MAX_ENHANCED_CHARS = 2000
STYLE_CUES = (
    "cinematic shot, smooth natural motion, consistent subject, detailed textures,"
    " soft volumetric lighting, shallow depth of field, stable camera, high quality"
)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def enhance_prompt(prompt: str, character_description: str | None = None) -> str:
    parts = [_sentence(prompt)]
    if character_description and character_description.strip():
        parts.append(f"The main character: {_sentence(character_description)}")
    parts.append(f"{STYLE_CUES[0].upper()}{STYLE_CUES[1:]}.")
    return " ".join(parts)[:MAX_ENHANCED_CHARS]
