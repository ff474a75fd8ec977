"""Quality profiles: how much of the model's own computation a job buys.

- `reference`: the model's own result — 50 steps, classifier-free guidance, no approximation.
- `fast`: approximations for everyday use — fewer steps and FirstBlockCache, which reuses the
  transformer's residual when the first block's output barely changes between steps.
- `turbo`: a step-distillation LoRA (OURVIDZ_TURBO_LORA), 4 steps without guidance.

A job picks one with `metadata.quality`; its explicit `steps`/`guidanceScale`/`flowShift` still win.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from diffusers import FirstBlockCacheConfig

Quality = Literal["reference", "fast", "turbo"]
TURBO_ADAPTER = "turbo"


@dataclass(frozen=True)
class QualityProfile:
    name: Quality
    steps: int
    guidance_scale: float
    flow_shift: float | None  # None: the deployment's default
    step_cache: Callable[[], Any] | None = None  # diffusers cache config factory
    adapter: str | None = None  # LoRA adapter that must be loaded and active


PROFILES: dict[str, QualityProfile] = {
    "reference": QualityProfile("reference", steps=50, guidance_scale=5.0, flow_shift=None),
    "fast": QualityProfile(
        "fast",
        steps=20,
        guidance_scale=5.0,
        flow_shift=None,
        step_cache=lambda: FirstBlockCacheConfig(threshold=0.05),
    ),
    # Wan step-distillation LoRAs are trained for 4 steps, no CFG, and a larger shift.
    "turbo": QualityProfile("turbo", steps=4, guidance_scale=1.0, flow_shift=5.0, adapter=TURBO_ADAPTER),
}
