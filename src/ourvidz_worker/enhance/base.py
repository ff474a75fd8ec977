"""What every enhancer shares: the result type, the interface and its errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 1200  # an LLM answer longer than this is rejected (~250-300 UMT5 tokens)
DEFAULT_MAX_NEW_TOKENS = 320
DEFAULT_TIMEOUT = 20.0

ChatMessages = list[dict[str, str]]


@dataclass(frozen=True)
class Enhancement:
    text: str
    enhancer: str  # who wrote `text`: "template-v1", "local:Qwen/Qwen2.5-3B-Instruct", "openai:gpt-4o-mini"
    fallback_reason: str | None = None  # set when an LLM was asked and the template wrote `text` instead


class Enhancer(Protocol):
    name: str

    def enhance(self, prompt: str, character_description: str | None) -> Enhancement: ...


class InvalidEnhancement(ValueError):
    """An LLM answer that must not become the prompt; `reason` is a stable short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
