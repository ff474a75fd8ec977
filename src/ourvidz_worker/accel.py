"""Speed and memory levers, applied once at start-up: memory plan, attention, compilation, warm-up.

`prepare` places the freshly loaded model (it loads on the CPU) as the memory plan says: UMT5
resident, streamed to the GPU group by group while it encodes (diffusers group offloading), or
on the CPU; the transformer in bf16 or with FP8 weights (torchao), resident or streamed; the VAE
in fp32 or bf16, tiled or not. It then picks the attention backend and compiles the transformer's
repeated blocks (`compile_repeated_blocks(fullgraph=True)`, on by default on CUDA), loading
earlier compilations from the persistent cache. `warm_up` runs one denoising step of every shape
the contract's presets produce, so no job pays compilation, and saves the cache.

Exact levers (placement, attention backend, compilation, tiling) change nothing but floating-point
order; FP8 and a bf16 VAE are approximations a plan takes only when memory asks for them (or
when set explicitly). On a CPU nothing is placed or compiled unless asked.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from diffusers.utils import logging as diffusers_logging

from .config import Settings
from .errors import ConfigurationError, ModelLoadError
from .memory import CPU_PLAN, FOOTPRINTS, FP8_NEEDS, MemoryPlan, choose_plan, estimate_peak_gb
from .models import LoadedModel

log = logging.getLogger(__name__)

TEXT_ENCODER_BLOCKS_PER_GROUP = 4  # UMT5-XXL has 24 blocks: ~1.6 GB of them on the GPU at a time


@dataclass
class Acceleration:
    """What `prepare` applied; logged at start-up, reported by the benchmark and in each job's result."""

    plan: MemoryPlan
    attention_backend: str
    compiled: bool
    compile_cache: str | None = None  # "hit" / "miss" / None (no persistent cache)
    gpu: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def report(self) -> dict[str, object]:
        return {
            **self.plan.report(),
            "attentionBackend": self.attention_backend,
            "compiled": self.compiled,
            "compileCache": self.compile_cache,
            "gpu": self.gpu,
        }


def pick_attention_backend(requested: str, device: torch.device, *, compiled: bool = False) -> str:
    """`auto` from measurements per GPU family (FACTS §5, one CFG step of 1.3B at 480p on an H100):
    eager, native SDPA beat cuDNN (1.26 vs 1.31 s); compiled, cuDNN won (1.08 s). flash-attn, when
    installed, is taken on trust (not measured here); other GPUs keep native SDPA."""
    if requested != "auto":
        return requested
    if device.type != "cuda":
        return "native"
    if importlib.util.find_spec("flash_attn") is not None:
        return "flash"
    major, _ = torch.cuda.get_device_capability(device)
    return "_native_cudnn" if major >= 9 and compiled else "native"


def fp8_supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 9)


def plan_memory(model: LoadedModel, settings: Settings) -> MemoryPlan:
    """The plan for this model on this device: chosen from free memory on CUDA, then the explicit
    settings (OURVIDZ_TEXT_ENCODER_DEVICE, _TRANSFORMER_PRECISION, _VAE_DTYPE, _VAE_TILING) win."""
    device = model.device
    if device.type != "cuda":
        plan = CPU_PLAN
        if settings.transformer_precision == "fp8":
            raise ConfigurationError(f"OURVIDZ_TRANSFORMER_PRECISION=fp8 needs a GPU with {FP8_NEEDS}; this is a CPU")
    else:
        free_gb, total_gb = (value / 1e9 for value in torch.cuda.mem_get_info(device))
        if settings.gpu_memory_gb is not None:
            free_gb, total_gb = min(free_gb, settings.gpu_memory_gb), min(total_gb, settings.gpu_memory_gb)
        plan = choose_plan(
            model.variant,
            free_gb=free_gb,
            total_gb=total_gb,
            largest=largest_video(model),
            fp8_supported=fp8_supported(device),
            requested=settings.memory_plan,
        )
    overrides = {
        "text_encoder": settings.text_encoder_device,
        "transformer": settings.transformer_precision,
        "vae_dtype": settings.vae_dtype,
        "vae_tiling": settings.vae_tiling,
    }
    explicit = {key: value for key, value in overrides.items() if value not in ("auto", None)}
    if explicit:
        if explicit.get("transformer") == "fp8" and not fp8_supported(device):
            raise ConfigurationError(f"OURVIDZ_TRANSFORMER_PRECISION=fp8 needs a GPU with {FP8_NEEDS}")
        plan = replace(plan, name=f"{plan.name}+settings", **explicit)
        footprint = FOOTPRINTS.get(model.variant)
        if footprint is not None and device.type == "cuda":
            width, height, frames = largest_video(model)
            plan = replace(plan, expected_peak_gb=estimate_peak_gb(plan, footprint, width * height * frames))
    return plan


def largest_video(model: LoadedModel) -> tuple[int, int, int]:
    width, height = max(
        (size for preset in model.sizes.values() for size in preset.values()), key=lambda s: s[0] * s[1]
    )
    return width, height, min(81, model.max_frames)


def prepare(model: LoadedModel, settings: Settings) -> Acceleration:
    """Place, quantize and compile the model as the plan and settings say; return what was done."""
    started = time.perf_counter()
    device, pipe = model.device, model.pipe
    if settings.gpu_memory_gb is not None and device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory / 1e9
        # Allocations past the limit raise OutOfMemoryError, as on a card of that size.
        torch.cuda.set_per_process_memory_fraction(min(1.0, settings.gpu_memory_gb / total), device)
    plan = plan_memory(model, settings)
    try:
        _place(model, plan)
    except torch.OutOfMemoryError as exc:
        raise ModelLoadError(
            f"the GPU ran out of memory placing {model.model_id} by memory plan {plan.name!r} (estimated"
            f" {plan.expected_peak_gb} GB of {plan.budget_gb} GB); set OURVIDZ_MEMORY_PLAN to a leaner plan"
        ) from exc
    streamed = plan.transformer_streamed
    compiled = settings.compile if settings.compile is not None else device.type == "cuda" and not streamed
    if compiled and streamed:
        raise ConfigurationError(f"memory plan {plan.name!r} streams the transformer, which cannot be compiled")
    backend = pick_attention_backend(settings.attention_backend, device, compiled=compiled)
    if backend != "native":
        pipe.transformer.set_attention_backend(backend)
    cache = None
    if compiled:
        cache = load_compile_cache(settings.compile_cache_path, compile_cache_key(model, plan, backend))
        pipe.transformer.compile_repeated_blocks(fullgraph=True)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    done = Acceleration(plan, backend, compiled, cache, gpu, {"prepare": round(time.perf_counter() - started, 3)})
    log.info("model prepared", extra={"acceleration": done.report()})
    return done


def _place(model: LoadedModel, plan: MemoryPlan) -> None:
    pipe, device = model.pipe, model.device
    pipe.vae.to(device)
    vae_dtype = getattr(torch, plan.vae_dtype)
    if pipe.vae.dtype != vae_dtype:
        with quiet_diffusers():  # its warning about float32 modules lists none for the Wan VAE
            pipe.vae.to(vae_dtype)
    if plan.vae_tiling:
        pipe.vae.enable_tiling()
    if plan.transformer == "fp8":
        quantize_fp8(pipe.transformer, device)
    if plan.transformer_streamed:
        pipe.transformer.enable_group_offload(
            onload_device=device, offload_device=torch.device("cpu"), offload_type="block_level",
            num_blocks_per_group=1, use_stream=device.type == "cuda",
        )  # fmt: skip
    else:
        pipe.transformer.to(device)
    if plan.text_encoder == "gpu":
        pipe.text_encoder.to(device)
    elif plan.text_encoder == "offload":
        from diffusers.hooks import apply_group_offloading

        apply_group_offloading(
            pipe.text_encoder, onload_device=device, offload_device=torch.device("cpu"), offload_type="block_level",
            num_blocks_per_group=TEXT_ENCODER_BLOCKS_PER_GROUP, use_stream=device.type == "cuda",
        )  # fmt: skip
    else:
        pipe.text_encoder.to("cpu")


@contextlib.contextmanager
def quiet_diffusers() -> Iterator[None]:
    level = diffusers_logging.get_verbosity()
    diffusers_logging.set_verbosity_error()
    try:
        yield
    finally:
        diffusers_logging.set_verbosity(level)


def quantize_fp8(transformer: torch.nn.Module, device: torch.device) -> None:
    """FP8 weights and activations, row-wise scales (torchao, as diffusers documents it); the
    measured fastest setting (FACTS §5). Needs compute capability 8.9+."""
    if not fp8_supported(device):
        raise ConfigurationError(f"FP8 needs a GPU with {FP8_NEEDS}")
    from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, PerRow, quantize_

    quantize_(transformer, Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()))


# ---------------------------------------------------------------------------------------------
# The persistent compilation cache: Inductor's artifacts saved under the volume (mega-cache API),
# so a cold worker loads in seconds what an earlier one compiled in minutes. No environment is
# written: torch.compiler.load/save_cache_artifacts take and give bytes.


def compile_cache_key(model: LoadedModel, plan: MemoryPlan, backend: str) -> str:
    device = model.device
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    parts = [torch.__version__, gpu, model.variant, plan.transformer, backend]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load_compile_cache(folder: Path | None, key: str) -> str | None:
    if folder is None:
        return None
    path = folder / f"inductor-{key}.bin"
    if not path.is_file():
        return "miss"
    try:
        torch.compiler.load_cache_artifacts(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - a stale or damaged cache only costs a compilation
        log.warning("compile cache %s not usable (%s); compiling afresh", path, type(exc).__name__)
        return "miss"
    return "hit"


def save_compile_cache(folder: Path | None, key: str) -> bool:
    """Write what this process compiled (atomically: several workers may share the volume)."""
    if folder is None:
        return False
    saved = torch.compiler.save_cache_artifacts()
    if not saved:
        return False
    artifacts, _ = saved
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".inductor-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(artifacts)
    os.replace(temp, folder / f"inductor-{key}.bin")
    return True
