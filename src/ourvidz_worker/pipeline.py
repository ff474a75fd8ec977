"""Generating frames with the diffusers Wan pipeline, stage by stage.

The only module besides `models` and `accel` that drives torch/diffusers. `VideoGenerator` owns the
loaded pipeline and every switch on it — the scheduler's flow shift, the step cache, the active
LoRAs — so nothing else changes them between jobs. Stages are timed separately: prompt encoding
(embeddings cached per process: negative prompts recur, and a video usually repeats its preview's
prompt), denoising (quality profile applied; a step callback composed of small parts for the
first-frame anchor, progress and the job deadline) and VAE decoding; frames come back as uint8.
"""

from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from . import step_cache
from .errors import (
    DeadlineExceededError,
    DeviceFaultError,
    GenerationError,
    GpuOutOfMemoryError,
    ModelLoadError,
    WorkerError,
)
from .models import LoadedModel
from .progress import Progress
from .request import GenerationRequest, ModelCapabilities, QualityProfile, StepCache

MAX_SEQUENCE_LENGTH = 512  # UMT5 context Wan 2.1 was trained with
# RuntimeErrors from GPU libraries that have no exception type of their own: a failed generation,
# not a bug. Any other RuntimeError (a shape mismatch, say) is a bug and surfaces as one.
LIBRARY_FAULT_PREFIXES = ("cuDNN error", "CUDNN_STATUS", "CUDA error", "cuBLAS error", "CUBLAS_STATUS", "NCCL error")


@dataclass
class Generated:
    frames: np.ndarray  # (frames, height, width, 3) uint8
    timings: dict[str, float] = field(default_factory=dict)
    latents: torch.Tensor | None = None
    peak_memory_gb: float | None = None  # the GPU's peak allocation during this generation


# ---------------------------------------------------------------------------------------------
# The step callback, composed of parts; each sees diffusers' `callback_on_step_end` arguments.

StepPart = Callable[[Any, int, dict[str, torch.Tensor]], None]


def step_callback(parts: Sequence[StepPart]) -> Callable[..., dict[str, torch.Tensor]]:
    """One `callback_on_step_end` running `parts` in order after every denoising step."""

    def on_step_end(pipeline, step: int, timestep, callback_kwargs: dict[str, torch.Tensor]):
        for part in parts:
            part(pipeline, step, callback_kwargs)
        return callback_kwargs

    return on_step_end


def anchor_first_frame(target: torch.Tensor, noise: torch.Tensor, index: int) -> StepPart:
    """Hold latent frame `index` on `target` at the noise level the scheduler has reached, so the
    clip ends exactly on it (the VAE decodes latent frame 0 into pixel frame 0 alone)."""

    def part(pipeline, step: int, callback_kwargs: dict[str, torch.Tensor]) -> None:
        scheduler = pipeline.scheduler
        sigma = float(scheduler.sigmas[scheduler.step_index])  # after step(): the latents' noise level now
        latents = callback_kwargs["latents"]
        latents[:, :, index : index + 1] = ((1 - sigma) * target + sigma * noise).to(latents.dtype)

    return part


def report_steps(progress: Progress, total: int) -> StepPart:
    def part(pipeline, step: int, callback_kwargs) -> None:
        progress.step(step + 1, total)

    return part


def stop_at_deadline(deadline: float, total: int, clock: Callable[[], float] = time.monotonic) -> StepPart:
    """Stop between two steps once `deadline` (a `clock` value) has passed."""

    def part(pipeline, step: int, callback_kwargs) -> None:
        if clock() > deadline:
            raise DeadlineExceededError(f"job deadline reached: denoising stopped after step {step + 1} of {total}")

    return part


# ---------------------------------------------------------------------------------------------


def generation_fault(exc: BaseException, stage: str | None, request: GenerationRequest) -> WorkerError | None:
    """The WorkerError a known accelerator or library failure amounts to; None for anything else."""
    if isinstance(exc, torch.OutOfMemoryError):
        return GpuOutOfMemoryError(
            f"GPU out of memory during {stage} at {request.width}x{request.height}x{request.num_frames};"
            " memory was freed"
        )
    if isinstance(exc, torch.AcceleratorError):
        return DeviceFaultError(f"generation failed during {stage}: {exc}")
    if isinstance(exc, RuntimeError) and str(exc).startswith(LIBRARY_FAULT_PREFIXES):
        return GenerationError(f"generation failed during {stage}: {exc}")
    return None


class VideoGenerator:
    """Runs generation requests on one loaded model, reused across jobs; owns the pipe's switches."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        prompt_cache_size: int = 16,
        text_encoder_device: torch.device | None = None,
        placement: dict[str, object] | None = None,
    ) -> None:
        self.model = model
        # Where prompts are encoded: the model's device, or the CPU when the memory plan keeps UMT5 there.
        self.text_encoder_device = text_encoder_device or model.device
        self.placement = placement or {"name": "as loaded"}  # the memory plan and levers, for results
        self._embeddings: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._cache_size = prompt_cache_size
        self._adapters: dict[str, float] = {}  # loaded adapter -> default scale
        self._active_adapters: dict[str, float] = {}
        # The step cache sits in front of the blocks, outside anything compiled (see step_cache).
        self._blocks = step_cache.install(model.pipe.transformer)

    @property
    def pipe(self):
        return self.model.pipe

    def capabilities(self) -> ModelCapabilities:
        model = self.model
        return ModelCapabilities(
            variant=model.variant,
            sizes=model.sizes,
            max_pixels=model.max_pixels,
            max_frames=model.max_frames,
            image_conditioning=model.image_conditioning,
            on_cpu=model.device.type == "cpu",
            adapters=frozenset(self._adapters),
        )

    # -- adapters (start-up, and creator LoRAs on first use) -----------------------------------
    def load_adapter(self, name: str, path: Path, scale: float = 1.0) -> None:
        """Load a LoRA once, inactive until a job asks for it."""
        if not path.is_file():
            raise ModelLoadError(f"LoRA file for '{name}' not found: {path}")
        try:
            with warnings.catch_warnings():
                # peft warns whenever a second adapter joins the first: that is what adapters are for here.
                warnings.filterwarnings("ignore", message="Already found a `peft_config` attribute")
                self.pipe.load_lora_weights(str(path), adapter_name=name)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelLoadError(f"could not load LoRA '{name}' from {path}: {exc}") from exc
        self._adapters[name] = scale
        # diffusers activates a freshly loaded adapter; keep it off until a job asks for it.
        self.pipe.disable_lora()
        self._active_adapters = {}

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    def ensure_user_lora(self, name: str, path: Path) -> None:
        """A creator LoRA, loaded on first use; later jobs only switch it on."""
        adapter = user_adapter_name(name)
        if adapter not in self._adapters:
            self.load_adapter(adapter, path)

    # -- per job --------------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, progress: Progress, *, keep_latents: bool = False) -> Generated:
        cuda = self.model.device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(self.model.device)
        try:
            generated = self._generate(request, progress)
        except WorkerError:
            _free_accelerator_memory()
            raise
        except Exception as exc:
            _free_accelerator_memory()
            fault = generation_fault(exc, progress.stage_name, request)
            if fault is None:
                raise  # a bug, not a failed generation: the service reports it as one
            raise fault from exc
        if not keep_latents:
            generated.latents = None
        if cuda:
            generated.peak_memory_gb = round(torch.cuda.max_memory_allocated(self.model.device) / 1e9, 2)
        return generated

    def _generate(self, request: GenerationRequest, progress: Progress) -> Generated:
        timings: dict[str, float] = {}
        use_cfg = request.guidance_scale > 1.0
        with torch.inference_mode():
            progress.stage("encode_prompt")
            started = time.perf_counter()
            prompt_embeds = self.embed(request.prompt)
            negative_embeds = self.embed(request.negative_prompt) if use_cfg else None
            timings["encodePrompt"] = time.perf_counter() - started

            progress.stage("denoise")
            started = time.perf_counter()
            cache = self._configure(request)
            conditioning, parts, references = self._conditioning(request)
            if cache is not None:
                cache.start()
                parts.append(lambda pipeline, step, callback_kwargs: cache.step_ended())
            parts.append(report_steps(progress, request.steps))
            if request.deadline is not None:
                parts.append(stop_at_deadline(request.deadline, request.steps))
            latents = self.pipe(
                prompt_embeds=prompt_embeds,
                negative_prompt_embeds=negative_embeds,
                height=request.height,
                width=request.width,
                num_frames=request.num_frames,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance_scale,
                generator=torch.Generator("cpu").manual_seed(request.seed),
                output_type="latent",
                callback_on_step_end=step_callback(parts),
                max_sequence_length=MAX_SEQUENCE_LENGTH,
                **conditioning,
            ).frames
            latents = latents[:, :, references:]  # VACE prepends one latent frame per reference image
            timings["denoise"] = time.perf_counter() - started

            progress.stage("decode")
            started = time.perf_counter()
            frames = self.decode(latents)
            timings["decode"] = time.perf_counter() - started
        return Generated(frames=frames, timings=timings, latents=latents)

    def _conditioning(self, request: GenerationRequest) -> tuple[dict, list[StepPart], int]:
        """VACE inputs for a first frame and/or reference image, the anchor step part, and how many
        latent frames the references prepend."""
        if request.first_frame is None and request.reference_image is None:
            return {}, [], 0
        if not self.model.image_conditioning:
            raise GenerationError("image conditioning needs an image-conditioned (VACE) model")
        conditioning: dict = {}
        parts: list[StepPart] = []
        references = 1 if request.reference_image is not None else 0
        size = (request.width, request.height)
        if request.first_frame is not None:
            # VACE: frame 0 is given and kept (mask 0); every other frame is generated (mask 255).
            first = Image.fromarray(request.first_frame)
            blank, keep, generate = (
                Image.new("RGB", size, (127, 127, 127)),
                Image.new("L", size, 0),
                Image.new("L", size, 255),
            )
            conditioning["video"] = [first] + [blank] * (request.num_frames - 1)
            conditioning["mask"] = [keep] + [generate] * (request.num_frames - 1)
            target = self.encode_image(request.first_frame)
            noise = torch.randn(target.shape, generator=torch.Generator("cpu").manual_seed(request.seed + 1))
            parts.append(anchor_first_frame(target, noise.to(target.device, target.dtype), references))
        if request.reference_image is not None:
            conditioning["reference_images"] = [Image.fromarray(request.reference_image)]
        return conditioning, parts, references

    def encode_image(self, frame: np.ndarray) -> torch.Tensor:
        """One image as a normalized latent frame (1, C, 1, h, w), as the transformer sees latents."""
        vae = self.pipe.vae
        pixels = torch.from_numpy(frame).to(vae.device, torch.float32).permute(2, 0, 1)[None, :, None]
        pixels = (pixels / 127.5 - 1).to(vae.dtype)
        latent = vae.encode(pixels).latent_dist.mode()
        mean, std = self._latent_stats(latent)
        return ((latent - mean) / std).to(self.model.device, torch.float32)

    def embed(self, text: str) -> torch.Tensor:
        """UMT5 embeddings of one text, from the per-process cache when seen recently."""
        cached = self._embeddings.get(text)
        if cached is not None:
            self._embeddings.move_to_end(text)
            return cached
        embeds, _ = self.pipe.encode_prompt(
            prompt=text,
            do_classifier_free_guidance=False,
            max_sequence_length=MAX_SEQUENCE_LENGTH,
            device=self.text_encoder_device,
        )
        embeds = embeds.to(self.model.device)
        if self._cache_size:
            self._embeddings[text] = embeds
            while len(self._embeddings) > self._cache_size:
                self._embeddings.popitem(last=False)
        return embeds

    def clear_prompt_cache(self) -> None:
        self._embeddings.clear()

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        vae = self.pipe.vae
        latents = latents.to(vae.device, vae.dtype)
        mean, std = self._latent_stats(latents)
        video = vae.decode(latents * std + mean, return_dict=False)[0]  # (1, 3, F, H, W) in [-1, 1]
        video = ((video[0].float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return video.permute(1, 2, 3, 0).contiguous().cpu().numpy()

    def _latent_stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The VAE's per-channel latent mean and std, shaped to broadcast over (B, C, F, H, W)."""
        config = self.pipe.vae.config
        shape = (1, config.z_dim, 1, 1, 1)
        mean = torch.tensor(config.latents_mean, device=like.device, dtype=like.dtype).view(shape)
        std = torch.tensor(config.latents_std, device=like.device, dtype=like.dtype).view(shape)
        return mean, std

    # -- the switches ---------------------------------------------------------------------------
    def _configure(self, request: GenerationRequest) -> step_cache.FirstBlockStepCache | None:
        """Flow shift, step cache and LoRAs as the request wants them, each changed only when it differs;
        returns the step cache in use, if any."""
        self._use_flow_shift(request.flow_shift)
        self._activate(self._wanted_adapters(request))
        return self._use_step_cache(request.profile.step_cache)

    def _use_flow_shift(self, flow_shift: float) -> None:
        scheduler = self.pipe.scheduler
        if scheduler.config.get("flow_shift") != flow_shift:
            self.pipe.scheduler = type(scheduler).from_config(scheduler.config, flow_shift=flow_shift)

    def _use_step_cache(self, spec: StepCache | None) -> step_cache.FirstBlockStepCache | None:
        if self._blocks is None:
            return None  # a model whose blocks cannot be cached (VACE): fast is fewer steps alone
        current = self._blocks.cache
        if spec is None:
            self._blocks.cache = None
        elif current is None or current.threshold != spec.threshold:
            self._blocks.cache = step_cache.FirstBlockStepCache(spec.threshold)
        return self._blocks.cache

    @property
    def active_step_cache(self) -> step_cache.FirstBlockStepCache | None:
        """The step cache of the last generation, if it used one (tests and the benchmark read its counts)."""
        return self._blocks.cache if self._blocks is not None else None

    def _wanted_adapters(self, request: GenerationRequest) -> dict[str, float]:
        wanted = {user_adapter_name(name): scale for name, scale in request.loras}
        profile: QualityProfile = request.profile
        if profile.adapter is not None:
            wanted[profile.adapter] = self._adapters[profile.adapter]
        return wanted

    def _activate(self, wanted: dict[str, float]) -> None:
        """Make exactly `wanted` the active LoRAs; the base weights are never reloaded."""
        if wanted == self._active_adapters or not self._adapters:
            return
        if wanted:
            self.pipe.enable_lora()
            self.pipe.set_adapters(list(wanted), list(wanted.values()))
        else:
            self.pipe.disable_lora()
        self._active_adapters = dict(wanted)


def user_adapter_name(name: str) -> str:
    return f"user_{name}"  # contract-checked names: letters, digits, '_' and '-' only


def _free_accelerator_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
