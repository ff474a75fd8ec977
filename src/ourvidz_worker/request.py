"""What a generation is asked to do and what the loaded model can do, without torch.

The vocabulary shared by the contract, planning and the pipeline: quality profiles, the
`GenerationRequest` one clip is generated from, and the `ModelCapabilities` planning checks a job
against. Importing this module loads neither torch nor diffusers (a test asserts it), so the
contract, the schema generator and planning stay light.

Quality profiles — how much of the model's own computation a job buys:
- `reference`: the model's own result — 50 steps, classifier-free guidance, no approximation.
- `fast`: approximations for everyday use — fewer steps and a step cache that reuses the
  transformer's residual when the first block's output barely changes between steps.
- `turbo`: a step-distillation LoRA (OURVIDZ_TURBO_LORA), 4 steps without guidance.
A job picks one with `metadata.quality`; its explicit `steps`/`guidanceScale`/`flowShift` still win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Quality = Literal["reference", "fast", "turbo"]
TURBO_ADAPTER = "turbo"


@dataclass(frozen=True)
class StepCache:
    """A step-caching method and its threshold; the pipeline turns it into diffusers hooks."""

    method: Literal["first_block"]
    threshold: float


@dataclass(frozen=True)
class QualityProfile:
    name: Quality
    steps: int
    guidance_scale: float
    flow_shift: float | None  # None: the deployment's default
    step_cache: StepCache | None = None
    adapter: str | None = None  # LoRA adapter that must be loaded and active


PROFILES: Mapping[str, QualityProfile] = {
    "reference": QualityProfile("reference", steps=50, guidance_scale=5.0, flow_shift=None),
    "fast": QualityProfile(
        "fast", steps=20, guidance_scale=5.0, flow_shift=None, step_cache=StepCache("first_block", 0.05)
    ),
    # Wan step-distillation LoRAs are trained for 4 steps, no CFG, and a larger shift.
    "turbo": QualityProfile("turbo", steps=4, guidance_scale=1.0, flow_shift=5.0, adapter=TURBO_ADAPTER),
}


@dataclass(frozen=True)
class GenerationRequest:
    """One clip: what to denoise, how, and from which conditioning images."""

    prompt: str
    negative_prompt: str
    width: int
    height: int
    num_frames: int
    steps: int
    guidance_scale: float
    flow_shift: float
    seed: int
    profile: QualityProfile = PROFILES["reference"]
    loras: tuple[tuple[str, float], ...] = ()  # (LoRA name in the LoRA folder, scale)
    first_frame: np.ndarray | None = field(default=None, compare=False)  # (H, W, 3) uint8 the clip starts from
    reference_image: np.ndarray | None = field(default=None, compare=False)  # character reference (VACE)
    deadline: float | None = None  # time.monotonic() value after which denoising stops


@dataclass(frozen=True)
class ModelCapabilities:
    """What the loaded model can do, as planning needs to know it."""

    variant: str  # "tiny" | "t2v-1.3b" | "t2v-14b" | "custom"
    sizes: Mapping[str, Mapping[str, tuple[int, int]]]  # resolution -> aspect -> (width, height)
    max_pixels: int  # largest width x height the model is meant for
    max_frames: int
    image_conditioning: bool  # a VACE model: first frame and reference images
    on_cpu: bool  # runs on the CPU: local runs and tests, where job defaults are scaled down
    adapters: frozenset[str] = frozenset()  # LoRA adapters loaded at start-up (e.g. turbo)

    def supports(self, width: int, height: int) -> bool:
        return width * height <= self.max_pixels
