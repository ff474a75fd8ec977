"""Prompt enhancement: a template, or an instruction-tuned LLM whose answer is checked.

Every enhancer turns `(prompt, character description)` into an `Enhancement`: the text the
video will be generated from, who wrote it, and — when an LLM was asked but its answer was not
used — why (`fallback_reason`, reported in the job's result).

- `TemplateEnhancer` (`template-v1`) is deterministic: it weaves the character description in
  and adds the camera, motion and lighting cues Wan 2.1 responds to, without inventing content.
- `LocalLLMEnhancer` runs a transformers causal LM from a folder on the volume (e.g.
  Qwen2.5-3B-Instruct), loaded once per process, greedy decoding, bounded tokens and time.
- `OpenAICompatibleEnhancer` POSTs to `{base_url}/chat/completions` with timeouts and retries.
- `GuardedEnhancer` wraps either LLM: it validates the answer (`check_enhancement`) and falls
  back to the template, with the reason, when the answer is unusable or the LLM fails.

`build_enhancer(settings)` picks one at start-up. Content policy is enforced elsewhere, before
and after enhancement; the instruction only asks the model to keep the user's content intact.

Where the local LLM runs (`OURVIDZ_ENHANCER_DEVICE`, `OURVIDZ_ENHANCER_DTYPE`): `auto` puts it
on the GPU in bfloat16 when CUDA is visible, beside the video model, where it stays resident:
weights of ~3 GB for a 1.5B model, ~6 GB for 3B, ~15 GB for 7B, against a measured 22.6 GB peak
for Wan 1.3B at 480p on an 80 GB H100 (14B needs ~28 GB of transformer weights plus 11 GB of
UMT5 before activations, so stay at 3B or below there). Enhancement runs before denoising, never
during it: it adds memory, not contention. On a small card, or to keep every GB for the video
model, set `cpu` (float32); expect tens of seconds per prompt for a 1.5B model (an estimate) and
raise `OURVIDZ_ENHANCER_TIMEOUT` to match.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..errors import ConfigurationError, ModelLoadError
from .base import Enhancement, Enhancer, log
from .guard import GuardedEnhancer
from .llm import ChatEnhancer, LocalLLMEnhancer, OpenAICompatibleEnhancer
from .template import TemplateEnhancer

__all__ = ["Enhancement", "Enhancer", "TemplateEnhancer", "build_enhancer"]


def build_enhancer(settings: Settings) -> Enhancer:
    """The enhancer the settings ask for, ready to use; fails fast on a wrong configuration.

    On RunPod a configured local model folder that is missing or unusable is a ModelLoadError at
    start-up; locally a missing folder only logs a warning and the template is used.
    """
    if settings.enhancer == "template":
        return TemplateEnhancer()
    max_chars = settings.enhancer_max_chars
    if settings.enhancer == "local":
        path = settings.enhancer_model
        if path is None:
            raise ConfigurationError("OURVIDZ_ENHANCER=local needs OURVIDZ_ENHANCER_MODEL (the LLM's folder)")
        if not Path(path).exists():
            if settings.in_production:
                raise ModelLoadError(f"OURVIDZ_ENHANCER_MODEL={path} does not exist")
            log.warning("enhancer model %s does not exist; using the template", path)
            return TemplateEnhancer()
        llm: ChatEnhancer = LocalLLMEnhancer.load(
            Path(path),
            device=settings.enhancer_device,
            dtype=settings.enhancer_dtype,
            max_new_tokens=settings.enhancer_max_new_tokens,
            timeout=settings.enhancer_timeout,
            max_chars=max_chars,
        )
    else:
        missing = [
            name
            for name, value in (
                ("OURVIDZ_ENHANCER_BASE_URL (or OPENAI_BASE_URL)", settings.enhancer_base_url),
                ("OURVIDZ_ENHANCER_API_MODEL (or OPENAI_MODEL)", settings.enhancer_api_model),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"OURVIDZ_ENHANCER=openai needs {' and '.join(missing)}")
        llm = OpenAICompatibleEnhancer(
            settings.enhancer_base_url,
            settings.enhancer_api_model,
            settings.enhancer_api_key,
            timeout=settings.enhancer_timeout,
            attempts=settings.enhancer_attempts,
            max_tokens=settings.enhancer_max_new_tokens,
            max_chars=max_chars,
        )
    return GuardedEnhancer(llm)
