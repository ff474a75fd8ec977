"""`template-v1`: deterministic enhancement, the fallback of every LLM enhancer."""

from __future__ import annotations

from .base import Enhancement

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


class TemplateEnhancer:
    name = TEMPLATE_ENHANCER

    def enhance(self, prompt: str, character_description: str | None = None) -> Enhancement:
        return Enhancement(enhance_prompt(prompt, character_description), TEMPLATE_ENHANCER)
