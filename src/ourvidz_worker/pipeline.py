"""Generating frames with the diffusers Wan pipeline, stage by stage.

The only module besides `models` and `accel` that drives torch/diffusers. Stages are timed
separately: prompt encoding (embeddings cached per process: negative prompts recur, and a
video usually repeats its preview's prompt), denoising (quality profile applied, a step
callback for progress and the job deadline) and VAE decoding; frames come back as uint8 arrays.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from diffusers import WanVACEPipeline
from PIL import Image

from .errors import GenerationError, ModelLoadError, OutOfMemoryError
from .models import LoadedModel
from .profiles import PROFILES, QualityProfile
from .progress import Progress

MAX_SEQUENCE_LENGTH = 512  # UMT5 context Wan 2.1 was trained with


@dataclass(frozen=True)
class GenerationRequest:
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


@dataclass
class Generated:
    frames: np.ndarray  # (frames, height, width, 3) uint8
    timings: dict[str, float] = field(default_factory=dict)
    latents: torch.Tensor | None = None


class VideoGenerator:
    """Runs generation requests on one loaded model, reused across jobs."""

    def __init__(self, model: LoadedModel, *, prompt_cache_size: int = 16) -> None:
        self.model = model
        self._flow_shift = float(model.pipe.scheduler.config.get("flow_shift", 0.0))
        self._embeddings: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._cache_size = prompt_cache_size
        self._adapters: dict[str, float] = {}  # loaded adapter -> default scale
        self._profile: QualityProfile | None = None
        self._active: dict[str, float] = {}

    # -- start-up -------------------------------------------------------------------------------
    def load_adapter(self, name: str, path: Path, scale: float = 1.0) -> None:
        """Load a LoRA once, inactive until a job asks for it."""
        if not path.is_file():
            raise ModelLoadError(f"LoRA file for '{name}' not found: {path}")
        try:
            self.model.pipe.load_lora_weights(str(path), adapter_name=name)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelLoadError(f"could not load LoRA '{name}' from {path}: {exc}") from exc
        self._adapters[name] = scale
        # diffusers activates a freshly loaded adapter; keep it off until a job asks for it.
        self.model.pipe.disable_lora()
        self._active = {}

    @property
    def supports_conditioning(self) -> bool:
        """Image conditioning (first frame, reference images) needs a VACE model."""
        return isinstance(self.model.pipe, WanVACEPipeline)

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    def ensure_user_lora(self, name: str, folder: Path) -> None:
        """Load a creator LoRA from the LoRA folder on first use; later jobs only switch it on."""
        adapter = user_adapter_name(name)
        if adapter not in self._adapters:
            self.load_adapter(adapter, folder / f"{name}.safetensors")

    # -- per job --------------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, progress: Progress, *, keep_latents: bool = False) -> Generated:
        try:
            generated = self._generate(request, progress)
        except torch.OutOfMemoryError as exc:
            _free_accelerator_memory()
            raise OutOfMemoryError(
                f"GPU out of memory during {progress.stage_name} at {request.width}x{request.height}"
                f"x{request.num_frames}; memory was freed"
            ) from exc
        except GenerationError:
            raise
        except RuntimeError as exc:
            _free_accelerator_memory()
            error = GenerationError(f"generation failed during {progress.stage_name}: {exc}")
            # A device-side fault can poison the CUDA context: ask RunPod for a fresh worker.
            error.refresh_worker = isinstance(exc, torch.AcceleratorError)
            raise error from exc
        if not keep_latents:
            generated.latents = None
        return generated

    def _generate(self, request: GenerationRequest, progress: Progress) -> Generated:
        pipe = self.model.pipe
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
            self._use_flow_shift(request.flow_shift)
            self._use_profile(request.profile)
            self._activate(self._wanted_adapters(request))
            conditioning, anchor, references = self._conditioning(request)
            stopped_at: list[int] = []

            def on_step_end(pipeline, step: int, timestep, callback_kwargs):
                if anchor is not None:
                    # Hold latent frame 0 on the conditioning image at this step's noise level, so the
                    # clip ends exactly on it (the VAE decodes latent frame 0 into pixel frame 0 alone).
                    sigma = float(pipeline.scheduler.sigmas[step + 1])
                    latents = callback_kwargs["latents"]
                    latents[:, :, references : references + 1] = ((1 - sigma) * anchor[0] + sigma * anchor[1]).to(
                        latents.dtype
                    )
                progress.step(step + 1, request.steps)
                if request.deadline is not None and time.monotonic() > request.deadline:
                    stopped_at.append(step + 1)
                    pipeline._interrupt = True  # diffusers' documented way to stop between steps
                return callback_kwargs

            latents = pipe(
                prompt_embeds=prompt_embeds,
                negative_prompt_embeds=negative_embeds,
                height=request.height,
                width=request.width,
                num_frames=request.num_frames,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance_scale,
                generator=torch.Generator("cpu").manual_seed(request.seed),
                output_type="latent",
                callback_on_step_end=on_step_end,
                max_sequence_length=MAX_SEQUENCE_LENGTH,
                **conditioning,
            ).frames
            latents = latents[:, :, references:]  # VACE prepends one latent frame per reference image
            if stopped_at:
                raise GenerationError(
                    f"job deadline reached: denoising stopped after step {stopped_at[0]} of {request.steps}"
                )
            timings["denoise"] = time.perf_counter() - started

            progress.stage("decode")
            started = time.perf_counter()
            frames = self.decode(latents)
            timings["decode"] = time.perf_counter() - started
        return Generated(frames=frames, timings=timings, latents=latents)

    def _conditioning(self, request: GenerationRequest) -> tuple[dict, tuple[torch.Tensor, torch.Tensor] | None, int]:
        """VACE inputs for a first frame and/or reference image, and the latent anchor of frame 0."""
        if request.first_frame is None and request.reference_image is None:
            return {}, None, 0
        if not self.supports_conditioning:
            raise GenerationError("image conditioning needs an image-conditioned (VACE) model")
        conditioning: dict = {}
        anchor = None
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
            anchor = (target, noise.to(target.device, target.dtype))
        references = 0
        if request.reference_image is not None:
            conditioning["reference_images"] = [Image.fromarray(request.reference_image)]
            references = 1
        return conditioning, anchor, references

    def encode_image(self, frame: np.ndarray) -> torch.Tensor:
        """One image as a normalized latent frame (1, C, 1, h, w), as the transformer sees latents."""
        vae = self.model.pipe.vae
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
        embeds, _ = self.model.pipe.encode_prompt(
            prompt=text,
            do_classifier_free_guidance=False,
            max_sequence_length=MAX_SEQUENCE_LENGTH,
            device=self.model.device,
        )
        if self._cache_size:
            self._embeddings[text] = embeds
            while len(self._embeddings) > self._cache_size:
                self._embeddings.popitem(last=False)
        return embeds

    def decode(self, latents: torch.Tensor) -> np.ndarray:
        vae = self.model.pipe.vae
        latents = latents.to(vae.device, vae.dtype)
        mean, std = self._latent_stats(latents)
        video = vae.decode(latents * std + mean, return_dict=False)[0]  # (1, 3, F, H, W) in [-1, 1]
        video = ((video[0].float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return video.permute(1, 2, 3, 0).contiguous().cpu().numpy()

    def _latent_stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The VAE's per-channel latent mean and std, shaped to broadcast over (B, C, F, H, W)."""
        config = self.model.pipe.vae.config
        shape = (1, config.z_dim, 1, 1, 1)
        mean = torch.tensor(config.latents_mean, device=like.device, dtype=like.dtype).view(shape)
        std = torch.tensor(config.latents_std, device=like.device, dtype=like.dtype).view(shape)
        return mean, std

    def _use_flow_shift(self, flow_shift: float) -> None:
        pipe = self.model.pipe
        if flow_shift != self._flow_shift:
            pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, flow_shift=flow_shift)
            self._flow_shift = flow_shift

    def _use_profile(self, profile: QualityProfile) -> None:
        """Switch step caching only when the profile changes."""
        if profile == self._profile:
            return
        transformer = self.model.pipe.transformer
        if transformer.is_cache_enabled:
            transformer.disable_cache()
        if profile.step_cache is not None:
            transformer.enable_cache(profile.step_cache())
        self._profile = profile

    def _wanted_adapters(self, request: GenerationRequest) -> dict[str, float]:
        wanted = {user_adapter_name(name): scale for name, scale in request.loras}
        if request.profile.adapter is not None:
            wanted[request.profile.adapter] = self._adapters[request.profile.adapter]
        return wanted

    def _activate(self, wanted: dict[str, float]) -> None:
        """Make exactly `wanted` the active LoRAs; the base weights are never reloaded."""
        if wanted == self._active or not self._adapters:
            return
        pipe = self.model.pipe
        if wanted:
            pipe.enable_lora()
            pipe.set_adapters(list(wanted), list(wanted.values()))
        else:
            pipe.disable_lora()
        self._active = dict(wanted)


def user_adapter_name(name: str) -> str:
    return f"user_{name}"  # contract-checked names: letters, digits, '_' and '-' only


def _free_accelerator_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
