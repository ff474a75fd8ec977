"""The memory plan: where each part of the model lives, chosen at start-up from the GPU's memory.

A plan says where UMT5 lives (resident on the GPU; on the CPU and streamed to the GPU a group of
blocks at a time while it encodes a prompt the cache has not seen; or run on the CPU), the
transformer's precision (bf16, or FP8 through torchao) and whether it is resident or streamed
block by block (slow, for the 14B model on small cards), and the VAE's precision and tiling.
Plans are tried fastest first; the first whose estimated peak fits the budget (the free memory
less a margin, and at most 85 % of the card, so a 24 GB card plans for about 20 GB) is used.
This module imports no torch.

The estimates are per component, from FACTS §4-5 (an H100, random weights, 832x480x81): UMT5-XXL
11.4 GB, the 1.3B transformer 2.8 GB, the fp32 VAE decode's working set 7.9 GB (from the 22.6 GB
measured for everything resident), the bf16 decode 0.61 of that. Denoising activations, streamed
and tiled working sets are estimates that the benchmark's peak memory per plan is there to
check; they scale with the video's pixels x frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from .errors import ConfigurationError

GB = 1e9
MARGIN_GB = 1.0  # CUDA context, allocator fragmentation
MAX_SHARE = 0.85  # never plan past this share of the card
REFERENCE_PIXELS = 832 * 480 * 81  # the size the measurements were taken at

TEXT_ENCODER_GB = 11.4  # UMT5-XXL encoder, bf16
STREAMED_TEXT_ENCODER_GB = 3.8  # its 2.1 GB embedding plus 4 of 24 blocks at a time (estimate)
STREAMED_TRANSFORMER_SHARE = 0.05  # one block of 30-40 on the GPU, and the next on its way (estimate)
VAE_WEIGHTS_GB = 0.5  # fp32
ENCODE_ACTIVATIONS_GB = 0.5
# At 832x480x81 (FACTS §5, and estimates where marked).
VAE_DECODE_GB = {("float32", False): 7.9, ("bfloat16", False): 4.8, ("float32", True): 2.5, ("bfloat16", True): 1.5}


@dataclass(frozen=True)
class ModelFootprint:
    """A variant's weights (bf16 and FP8) and its denoising activations at 832x480x81, in GB."""

    transformer_bf16: float
    transformer_fp8: float
    activations: float  # estimate: one batch-1 forward at 32,760 tokens


FOOTPRINTS: Mapping[str, ModelFootprint] = {
    "t2v-1.3b": ModelFootprint(transformer_bf16=2.84, transformer_fp8=1.6, activations=3.0),
    "t2v-14b": ModelFootprint(transformer_bf16=28.6, transformer_fp8=14.8, activations=6.0),
}


@dataclass(frozen=True)
class MemoryPlan:
    name: str
    text_encoder: Literal["gpu", "offload", "cpu"]  # offload: on the CPU, streamed to the GPU to encode
    transformer: Literal["dtype", "fp8"]  # dtype: as loaded (OURVIDZ_DTYPE, bfloat16 on CUDA)
    vae_dtype: Literal["float32", "bfloat16"]
    vae_tiling: bool
    transformer_streamed: bool = False  # blocks streamed from the CPU one at a time (no compilation)
    expected_peak_gb: float | None = None  # at the model's largest preset
    budget_gb: float | None = None

    def report(self) -> dict[str, object]:
        """For logs and the job result (camelCase, like the rest of the result)."""
        names = {"text_encoder": "textEncoder", "transformer_streamed": "transformerStreamed",
                 "vae_dtype": "vaeDtype", "vae_tiling": "vaeTiling", "expected_peak_gb": "expectedPeakGB",
                 "budget_gb": "budgetGB"}  # fmt: skip
        return {names.get(key, key): value for key, value in asdict(self).items()}


# Fastest first. Each step gives up a little speed (or, for FP8 and a bf16 VAE, a little exactness)
# for memory.
PLANS: Sequence[MemoryPlan] = (
    MemoryPlan("resident", "gpu", "dtype", "float32", False),
    MemoryPlan("offload-text-encoder", "offload", "dtype", "float32", False),
    MemoryPlan("offload-text-encoder-bf16-vae", "offload", "dtype", "bfloat16", False),
    MemoryPlan("offload-text-encoder-tiled-vae", "offload", "dtype", "bfloat16", True),
    MemoryPlan("fp8-transformer", "offload", "fp8", "bfloat16", True),
    MemoryPlan("streamed-fp8-transformer", "offload", "fp8", "bfloat16", True, transformer_streamed=True),
)
CPU_PLAN = MemoryPlan("cpu", "cpu", "dtype", "float32", False)
PLAN_NAMES = tuple(plan.name for plan in PLANS)


def estimate_peak_gb(plan: MemoryPlan, footprint: ModelFootprint, pixels_frames: int) -> float:
    """The plan's estimated peak over the three phases (encode, denoise, decode), in GB."""
    scale = pixels_frames / REFERENCE_PIXELS
    transformer = footprint.transformer_fp8 if plan.transformer == "fp8" else footprint.transformer_bf16
    if plan.transformer_streamed:
        transformer *= STREAMED_TRANSFORMER_SHARE
    resident_text = TEXT_ENCODER_GB if plan.text_encoder == "gpu" else 0.0
    encoding_text = {"gpu": TEXT_ENCODER_GB, "offload": STREAMED_TEXT_ENCODER_GB, "cpu": 0.0}[plan.text_encoder]
    encode = encoding_text + transformer + ENCODE_ACTIVATIONS_GB
    denoise = resident_text + transformer + footprint.activations * scale
    decode = resident_text + transformer + VAE_DECODE_GB[(plan.vae_dtype, plan.vae_tiling)] * scale
    return round(VAE_WEIGHTS_GB + max(encode, denoise, decode), 1)


def budget_gb(free_gb: float, total_gb: float) -> float:
    return round(min(free_gb - MARGIN_GB, total_gb * MAX_SHARE), 1)


def choose_plan(
    variant: str,
    *,
    free_gb: float,
    total_gb: float,
    largest: tuple[int, int, int],
    fp8_supported: bool,
    requested: str = "auto",
) -> MemoryPlan:
    """The fastest plan that fits, or the one `requested` by name; ConfigurationError when none fits.

    `largest` is (width, height, frames) of the largest video the worker will be asked for. A
    variant without a footprint (tiny, custom) keeps everything resident.
    """
    width, height, frames = largest
    pixels_frames = width * height * frames
    budget = budget_gb(free_gb, total_gb)
    footprint = FOOTPRINTS.get(variant)
    if footprint is None:
        return _with(PLANS[0], None, budget)
    candidates = [plan for plan in PLANS if plan.transformer != "fp8" or fp8_supported]
    if requested != "auto":
        chosen = next((plan for plan in PLANS if plan.name == requested), None)
        if chosen is None:
            raise ConfigurationError(
                f"OURVIDZ_MEMORY_PLAN={requested!r}: choose auto or one of {', '.join(PLAN_NAMES)}"
            )
        if chosen.transformer == "fp8" and not fp8_supported:
            raise ConfigurationError(f"memory plan {requested!r} needs FP8, which this GPU cannot run ({FP8_NEEDS})")
        return _with(chosen, estimate_peak_gb(chosen, footprint, pixels_frames), budget)
    for plan in candidates:
        peak = estimate_peak_gb(plan, footprint, pixels_frames)
        if peak <= budget:
            return _with(plan, peak, budget)
    smallest = min(PLANS, key=lambda plan: estimate_peak_gb(plan, footprint, pixels_frames))
    need = estimate_peak_gb(smallest, footprint, pixels_frames)
    fp8_note = "" if fp8_supported or smallest.transformer != "fp8" else f" with FP8 ({FP8_NEEDS})"
    raise ConfigurationError(
        f"{variant} at {width}x{height}x{frames} fits no memory plan in {budget:g} GB (of {free_gb:.1f} GB free):"
        f" the leanest, {smallest.name!r}{fp8_note}, needs"
        f" about {need:g} GB. Use a GPU with at least {need / MAX_SHARE:.0f} GB, a smaller model, or"
        " OURVIDZ_MAX_RESOLUTION=480p"
    )


FP8_NEEDS = "compute capability 8.9 or newer: RTX 4090 / L4 / L40S (Ada), H100 / H200 (Hopper)"


def _with(plan: MemoryPlan, peak: float | None, budget: float) -> MemoryPlan:
    return MemoryPlan(**{**asdict(plan), "expected_peak_gb": peak, "budget_gb": budget})
