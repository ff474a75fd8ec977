"""Turning a validated job into a generation plan, before any GPU work.

Fills defaults from the quality profile and settings, checks what depends on the loaded model
(frame limit, LoRAs, turbo adapter, image conditioning), fetches conditioning images from the
user's own folders with the worker's credentials, and splits long videos into chained clips.
Every refusal here names the field; nothing has been generated or written yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

import numpy as np

from .config import Settings
from .contract import DEFAULT_ASPECT, DEFAULT_FPS, MAX_SEED, JobInput
from .errors import ConfigurationError, InvalidInputError, StorageError
from .media import decode_image
from .pipeline import GenerationRequest, VideoGenerator
from .profiles import PROFILES
from .storage import ObjectNotFoundError, Storage
from .variants import RECOMMENDED_FLOW_SHIFT

STILL_JOBS = ("preview", "image")
DEFAULT_CLIP_FRAMES = 81


@dataclass
class Plan:
    request: GenerationRequest  # the first clip; later clips vary frames, seed and first frame
    fps: int
    clip_frames: list[int]
    conditioning: dict[str, object] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return self.clip_frames[0] + sum(n - 1 for n in self.clip_frames[1:])


def refuse(field_name: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field_name}: {message}", details=[{"field": field_name, "message": message}])


def plan_clip_frames(total: int, clip: int) -> list[int]:
    """Split `total` (4k+1) frames into clips of at most `clip` (4k+1) frames, chained by one
    shared frame: each later clip starts from the previous clip's last frame."""
    clips = [min(total, clip)]
    remaining = total - clips[0]
    while remaining > 0:
        step = min(remaining, clip - 1)
        clips.append(step + 1)
        remaining -= step
    return clips


def frames_for_duration(seconds: float, fps: int) -> int:
    """The smallest 4k+1 frame count lasting at least `seconds` at `fps`."""
    frames = max(1, round(seconds * fps))
    return frames + (1 - frames) % 4


def generation_prompt(prompt: str, character_description: str | None) -> str:
    """The character's description rides along with the prompt the model sees."""
    if not character_description or not character_description.strip():
        return prompt
    return f"{prompt.rstrip('. ')}. {' '.join(character_description.split())}"


class Planner:
    def __init__(self, settings: Settings, generator: VideoGenerator, storage: Storage) -> None:
        self.settings = settings
        self.generator = generator
        self.storage = storage

    def plan(self, job: JobInput, prompt: str) -> Plan:
        meta = job.metadata
        width, height, resolution = self._size(meta)
        fps = meta.fps or DEFAULT_FPS
        clip_frames = self._clip_frames(job, fps)
        profile = PROFILES[meta.quality or self.settings.default_quality]
        if profile.adapter is not None and not self.generator.has_adapter(profile.adapter):
            raise ConfigurationError(
                f"quality '{profile.name}' needs a step-distillation LoRA: set OURVIDZ_TURBO_LORA to its"
                " .safetensors file on the volume"
            )
        request = GenerationRequest(
            prompt=prompt,
            negative_prompt=meta.negativePrompt or "",
            width=width,
            height=height,
            num_frames=clip_frames[0],
            steps=meta.steps or profile.steps,
            guidance_scale=float(meta.guidanceScale if meta.guidanceScale is not None else profile.guidance_scale),
            flow_shift=float(
                meta.flowShift
                or profile.flow_shift
                or (RECOMMENDED_FLOW_SHIFT["720p"] if resolution == "720p" else self.settings.default_flow_shift)
            ),
            seed=meta.seed if meta.seed is not None else secrets.randbelow(MAX_SEED + 1),
            profile=profile,
            loras=self._loras(meta.loras or []),
        )
        plan = Plan(request=request, fps=fps, clip_frames=clip_frames)
        self._add_conditioning(job, plan)
        return plan

    def _size(self, meta) -> tuple[int, int, str]:
        """Width and height from explicit values or the model's presets, within what it was trained for."""
        model = self.generator.model
        if meta.width is not None:
            if not model.supports(meta.width, meta.height):
                raise refuse(
                    "metadata.width",
                    f"{meta.width}x{meta.height} is more than this model ({model.variant}) is made for:"
                    f" at most {model.max_pixels} pixels",
                )
            return meta.width, meta.height, "720p" if meta.width * meta.height > 832 * 480 else "480p"
        resolution = meta.resolution or "480p"
        presets = model.sizes.get(resolution)
        if presets is None:
            raise refuse("metadata.resolution", f"this model ({model.variant}) offers {', '.join(model.sizes)}")
        aspect = meta.aspect or DEFAULT_ASPECT
        if aspect not in presets:
            raise refuse("metadata.aspect", f"{resolution} offers {', '.join(presets)} for this model")
        width, height = presets[aspect]
        return width, height, resolution

    def _clip_frames(self, job: JobInput, fps: int) -> list[int]:
        meta = job.metadata
        if job.jobType in STILL_JOBS:
            return [1]
        limit = self.generator.model.max_frames
        clip = meta.numFrames if meta.numFrames is not None else min(DEFAULT_CLIP_FRAMES, limit)
        if clip > limit:
            raise refuse("metadata.numFrames", f"at most {limit} frames for this model (got {clip})")
        if meta.targetDuration is None:
            return [clip]
        if clip < 5:
            raise refuse("metadata.numFrames", "clips of a targetDuration video need at least 5 frames")
        clips = plan_clip_frames(frames_for_duration(meta.targetDuration, fps), clip)
        if len(clips) > 1 and not self.generator.supports_conditioning:
            raise refuse(
                "metadata.targetDuration",
                f"longer than one clip ({clip} frames = {clip / fps:.2f} s at {fps} fps) needs an image-conditioned"
                " (VACE) model to chain clips; this worker runs a text-only model",
            )
        return clips

    def _loras(self, choices: list) -> tuple[tuple[str, float], ...]:
        """Every named LoRA must exist in the LoRA folder; each loads on first use."""
        if not choices:
            return ()
        folder = self.settings.lora_dir
        available = sorted(p.stem for p in folder.glob("*.safetensors")) if folder and folder.is_dir() else []
        details = [
            {
                "field": f"metadata.loras.{i}.name",
                "message": f"unknown LoRA {c.name!r}; available: {', '.join(available) or 'none configured'}",
            }
            for i, c in enumerate(choices)
            if c.name not in available
        ]
        if details:
            raise InvalidInputError("; ".join(f"{d['field']}: {d['message']}" for d in details), details=details)
        for choice in choices:
            self.generator.ensure_user_lora(choice.name, folder)
        return tuple((c.name, float(c.scale)) for c in choices)

    def _add_conditioning(self, job: JobInput, plan: Plan) -> None:
        """Preview still and character image: used by a VACE model, reported either way."""
        meta, request = job.metadata, plan.request
        capable = self.generator.supports_conditioning
        report: dict[str, object] = {}
        if len(plan.clip_frames) > 1:
            report["clips"] = len(plan.clip_frames)
        if meta.previewPath and job.jobType == "video":
            if capable:
                still = self._image(self.settings.bucket_previews, meta.previewPath, "metadata.previewPath", request)
                plan.request = request = replace(request, first_frame=still)
                report["firstFrame"] = "preview-still"
            else:
                report["firstFrame"] = "prompt-and-seed"
                report["note"] = (
                    "text-only model: the video reuses the preview's prompt and seed but is not conditioned on"
                    " the still; configure a VACE model to start from it"
                )
        if meta.characterImagePath and job.jobType != "enhance":
            if capable:
                image = self._image(
                    self.settings.bucket_characters, meta.characterImagePath, "metadata.characterImagePath", request
                )
                plan.request = replace(request, reference_image=image)
                report["character"] = "reference-image"
            else:
                report["character"] = "description" if job.characterDescription else "none"
                report["characterNote"] = "text-only model: the reference image is not used"
        elif job.characterDescription:
            report["character"] = "description"
        plan.conditioning = report

    def _image(self, bucket: str, path: str, field_name: str, request: GenerationRequest) -> np.ndarray:
        try:
            data = self.storage.download(bucket, path)
        except ObjectNotFoundError:
            raise refuse(field_name, f"no such object in bucket {bucket!r}") from None
        except StorageError as exc:
            raise StorageError(f"could not read {field_name} from {bucket!r}: {exc.message}") from exc
        try:
            return decode_image(data, request.width, request.height)
        except ValueError as exc:
            raise refuse(field_name, str(exc)) from None
