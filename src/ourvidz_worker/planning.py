"""Turning a validated job into a generation plan: a pure function of the job and the model.

`plan_job` fills defaults from the quality profile and settings, checks what depends on the
loaded model (size presets and limits, frame limit, the turbo adapter, image conditioning),
splits long videos into chained clips with their seeds, and names the conditioning images to
fetch. It reads no file and no storage: fetching images and loading LoRAs is a step of its own
(`service`). Every refusal names the field; nothing has been generated or written yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .config import Settings
from .contract import DEFAULT_ASPECT, DEFAULT_FPS, MAX_SEED, GenerationOptions, JobInput, ScaledDefaults
from .errors import ConfigurationError, InvalidInputError
from .request import PROFILES, GenerationRequest, ModelCapabilities
from .variants import RECOMMENDED_FLOW_SHIFT, SIZES_480P

STILL_JOBS = ("preview", "image")
DEFAULT_CLIP_FRAMES = 81
# Defaults of a CPU run (local runs, tests): a video in seconds rather than an hour.
CPU_SIZES = {"landscape": (256, 144), "portrait": (144, 256), "square": (192, 192)}
CPU_CLIP_FRAMES = 17
# Above the largest 480p preset a size is 720p-class (its flow shift and presets).
MAX_480P_PIXELS = max(w * h for w, h in SIZES_480P.values())


@dataclass(frozen=True)
class ImageInput:
    """A conditioning image to read from storage before generation (and check, even when unused)."""

    role: Literal["first_frame", "reference_image"]
    bucket: str
    path: str
    field: str  # the job field it came from, for errors
    used: bool  # False on a text-only model: read only to tell the user when it does not exist


@dataclass(frozen=True)
class Clip:
    frames: int
    seed: int


@dataclass(frozen=True)
class Plan:
    request: GenerationRequest  # the first clip, without images; later clips vary frames, seed and first frame
    fps: int
    clips: tuple[Clip, ...]
    images: tuple[ImageInput, ...] = ()
    conditioning: dict[str, str | int] = field(default_factory=dict)  # what the result reports
    scaled_defaults: ScaledDefaults | None = None  # defaults scaled down for a CPU run

    @property
    def num_frames(self) -> int:
        """Frames of the whole video: chained clips share their joining frame."""
        return self.clips[0].frames + sum(clip.frames - 1 for clip in self.clips[1:])


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


def clip_seed(seed: int, index: int) -> int:
    """Each chained clip gets its own seed, derived from the job's."""
    return (seed + index) % (MAX_SEED + 1)


def generation_prompt(prompt: str, character_description: str | None) -> str:
    """The character's description rides along with the prompt the model sees."""
    if not character_description or not character_description.strip():
        return prompt
    return f"{prompt.rstrip('. ')}. {' '.join(character_description.split())}"


def plan_job(job: JobInput, prompt: str, model: ModelCapabilities, settings: Settings, *, seed: int) -> Plan:
    """The plan for `job` on `model`; `seed` is used when the job names none."""
    meta = job.metadata
    cpu = model.on_cpu and settings.cpu_job_defaults
    width, height, resolution = _size(meta, model, cpu=cpu)
    fps = meta.fps or DEFAULT_FPS
    profile = PROFILES[meta.quality or settings.default_quality]
    if profile.adapter is not None and profile.adapter not in model.adapters:
        raise ConfigurationError(
            f"quality '{profile.name}' needs a step-distillation LoRA: set OURVIDZ_TURBO_LORA to its"
            " .safetensors file on the volume"
        )
    job_seed = meta.seed if meta.seed is not None else seed
    frames = _clip_frames(job, fps, model, cpu=cpu)
    clips = tuple(Clip(count, clip_seed(job_seed, i)) for i, count in enumerate(frames))
    request = GenerationRequest(
        prompt=prompt,
        negative_prompt=meta.negativePrompt or "",
        width=width,
        height=height,
        num_frames=clips[0].frames,
        steps=meta.steps or profile.steps,
        guidance_scale=float(meta.guidanceScale if meta.guidanceScale is not None else profile.guidance_scale),
        flow_shift=float(
            meta.flowShift
            or profile.flow_shift
            or (RECOMMENDED_FLOW_SHIFT["720p"] if resolution == "720p" else settings.default_flow_shift)
        ),
        seed=job_seed,
        profile=profile,
        loras=tuple((choice.name, float(choice.scale)) for choice in meta.loras or []),
    )
    images, conditioning = _conditioning(job, model, settings, len(clips))
    return Plan(
        request=request,
        fps=fps,
        clips=clips,
        images=images,
        conditioning=conditioning,
        scaled_defaults=_scaled_defaults(job, model, clips) if cpu else None,
    )


def _scaled_defaults(job: JobInput, model: ModelCapabilities, clips: tuple[Clip, ...]) -> ScaledDefaults | None:
    """What a CPU run chose instead of the GPU defaults, for the result."""
    meta = job.metadata
    fields: list[str] = []
    chosen: list[str] = []
    instead: list[str] = []
    if meta.width is None:
        width, height, _ = _size(meta, model, cpu=True)
        gpu_width, gpu_height, _ = _size(meta, model, cpu=False)
        fields += ["width", "height"]
        chosen.append(f"{width}x{height}")
        instead.append(f"{gpu_width}x{gpu_height}")
    if job.jobType == "video" and meta.numFrames is None:
        fields.append("numFrames")
        chosen.append(f"{clips[0].frames} frames")
        instead.append(f"{min(DEFAULT_CLIP_FRAMES, model.max_frames)} frames")
    if not fields:
        return None
    return ScaledDefaults(
        fields=fields,
        note=f"defaults scaled for a CPU run: {', '.join(chosen)} instead of {', '.join(instead)}; set the options"
        " to choose, or OURVIDZ_CPU_JOB_DEFAULTS=false",
    )


def _size(meta: GenerationOptions, model: ModelCapabilities, *, cpu: bool) -> tuple[int, int, str]:
    """Width and height from explicit values or the model's presets, within what it was trained for."""
    if meta.width is not None and meta.height is not None:
        if not model.supports(meta.width, meta.height):
            raise InvalidInputError.for_field(
                "metadata.width",
                f"{meta.width}x{meta.height} is more than this model ({model.variant}) is made for:"
                f" at most {model.max_pixels} pixels",
            )
        return meta.width, meta.height, "720p" if meta.width * meta.height > MAX_480P_PIXELS else "480p"
    resolution = meta.resolution or "480p"
    presets = model.sizes.get(resolution)
    if presets is None:
        raise InvalidInputError.for_field(
            "metadata.resolution", f"this model ({model.variant}) offers {', '.join(model.sizes)}"
        )
    aspect = meta.aspect or DEFAULT_ASPECT
    if aspect not in presets:
        raise InvalidInputError.for_field("metadata.aspect", f"{resolution} offers {', '.join(presets)} for this model")
    width, height = CPU_SIZES[aspect] if cpu else presets[aspect]
    return width, height, resolution


def _clip_frames(job: JobInput, fps: int, model: ModelCapabilities, *, cpu: bool) -> list[int]:
    meta = job.metadata
    if job.jobType in STILL_JOBS:
        return [1]
    limit = model.max_frames
    default = CPU_CLIP_FRAMES if cpu else DEFAULT_CLIP_FRAMES
    clip = meta.numFrames if meta.numFrames is not None else min(default, limit)
    if clip > limit:
        raise InvalidInputError.for_field("metadata.numFrames", f"at most {limit} frames for this model (got {clip})")
    if meta.targetDuration is None:
        return [clip]
    if clip < 5:
        raise InvalidInputError.for_field(
            "metadata.numFrames", "clips of a targetDuration video need at least 5 frames"
        )
    clips = plan_clip_frames(frames_for_duration(meta.targetDuration, fps), clip)
    if len(clips) > 1 and not model.image_conditioning:
        raise InvalidInputError.for_field(
            "metadata.targetDuration",
            f"longer than one clip ({clip} frames = {clip / fps:.2f} s at {fps} fps) needs an image-conditioned"
            " (VACE) model to chain clips; this worker runs a text-only model",
        )
    return clips


def _conditioning(
    job: JobInput, model: ModelCapabilities, settings: Settings, clips: int
) -> tuple[tuple[ImageInput, ...], dict[str, str | int]]:
    """Preview still and character image: used by a VACE model, checked for existence by any, reported."""
    meta = job.metadata
    images: list[ImageInput] = []
    report: dict[str, str | int] = {}
    if clips > 1:
        report["clips"] = clips
    capable = model.image_conditioning
    if meta.previewPath and job.jobType == "video":
        images.append(
            ImageInput("first_frame", settings.bucket_previews, meta.previewPath, "metadata.previewPath", capable)
        )
        if capable:
            report["firstFrame"] = "preview-still"
        else:
            report["firstFrame"] = "prompt-and-seed"
            report["note"] = (
                "text-only model: the video reuses the preview's prompt and seed but is not conditioned on"
                " the still; configure a VACE model to start from it"
            )
    if meta.characterImagePath and job.jobType != "enhance":
        path, bucket = meta.characterImagePath, settings.bucket_characters
        images.append(ImageInput("reference_image", bucket, path, "metadata.characterImagePath", capable))
        if capable:
            report["character"] = "reference-image"
        else:
            report["character"] = "description" if job.characterDescription else "none"
            report["characterNote"] = "text-only model: the reference image is not used"
    elif job.characterDescription:
        report["character"] = "description"
    return tuple(images), report
