"""The job contract: what a job's `input` may hold and what the worker returns.

The platform's `queue-job` edge function sends `{jobId, videoId, imageId, userId, jobType, prompt,
characterId, metadata, timestamp}`; generation options ride in `metadata`. Validation rejects,
never guesses: every error names the field, what is wrong, and what is allowed.
`schema/` holds the JSON Schema generated from these models (`python -m ourvidz_worker.schema`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InvalidInputError
from .request import Quality

JobType = Literal["enhance", "preview", "video", "image"]
Aspect = Literal["landscape", "portrait", "square"]

DEFAULT_ASPECT = "landscape"
DEFAULT_FPS = 16
MIN_SIDE, MAX_SIDE = 128, 1280
MAX_PIXELS = 1280 * 720
FRAME_LIMIT = 241  # hard ceiling of the contract; the model's own limit is checked at run time
MAX_PROMPT_CHARS = 4000
MAX_SEED = 2**32 - 1
MAX_LORAS = 4
MAX_TARGET_SECONDS = 30
OBJECT_PATH_PATTERN = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})+$"
)

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
LORA_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
# What each pattern-checked field must look like, in words (a validation message never shows a regex).
PATTERN_RULES = {
    UUID_PATTERN: "must be a UUID like 7f3c1a52-9a57-4b8e-9d3e-2b1f6c0e4a11",
    LORA_NAME_PATTERN: "must be a LoRA name: 1-64 letters, digits, '_' or '-', starting with a letter or digit"
    " (a file name in the LoRA folder without .safetensors, never a path or URL)",
}
Uuid = Annotated[
    StrictStr,
    Field(
        pattern=UUID_PATTERN,
        description="A UUID in canonical 8-4-4-4-12 hex form (it becomes a storage path segment).",
        examples=["7f3c1a52-9a57-4b8e-9d3e-2b1f6c0e4a11"],
    ),
]
Finite = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]


def _strip_text(value: str) -> str:
    return value.strip()


class LoraChoice(BaseModel):
    """A creator LoRA by name: a file `{name}.safetensors` in the worker's LoRA folder."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(
        pattern=LORA_NAME_PATTERN,
        description="LoRA name (letters, digits, '_' and '-'; never a path or URL).",
    )
    scale: Finite = Field(default=1.0, ge=-2.0, le=2.0, description="Strength, 1.0 as trained.")


class GenerationOptions(BaseModel):
    """Options a job may carry in `metadata`. Unknown keys are kept aside and reported."""

    model_config = ConfigDict(extra="allow", populate_by_name=False)

    seed: StrictInt | None = Field(
        default=None, ge=0, le=MAX_SEED, description="Noise seed; random when absent, always returned."
    )
    negativePrompt: StrictStr | None = Field(
        default=None, max_length=MAX_PROMPT_CHARS, description="What to steer away from."
    )
    numFrames: StrictInt | None = Field(
        default=None,
        ge=1,
        le=FRAME_LIMIT,
        description="Frames of a `video` job: 4k+1 (81 = 5 s at 16 fps), up to the model's limit.",
    )
    width: StrictInt | None = Field(
        default=None, ge=MIN_SIDE, le=MAX_SIDE, description="Multiple of 16; give with `height`."
    )
    height: StrictInt | None = Field(
        default=None, ge=MIN_SIDE, le=MAX_SIDE, description="Multiple of 16; give with `width`."
    )
    aspect: Aspect | None = Field(
        default=None,
        description="Preset size: landscape 832x480 (default), portrait 480x832, square 624x624 (480p).",
    )
    resolution: Literal["480p", "720p"] | None = Field(
        default=None,
        description="Preset resolution with `aspect`: 480p (default) or 720p (1280x720, 720x1280; 14B only).",
    )
    steps: StrictInt | None = Field(default=None, ge=1, le=100, description="Denoising steps.")
    guidanceScale: Finite | None = Field(
        default=None, ge=0.0, le=20.0, description="Classifier-free guidance; 1 or less disables it."
    )
    flowShift: Finite | None = Field(
        default=None, gt=0.0, le=20.0, description="Flow-matching timestep shift (3 suits 480p)."
    )
    fps: StrictInt | None = Field(default=None, ge=1, le=60, description="Playback rate of the MP4 (16 default).")
    previewPath: StrictStr | None = Field(
        default=None,
        max_length=512,
        description="The approved preview still (path in the previews bucket, under the user's folder);"
        " a `video` job starts from it when the model supports image conditioning.",
    )
    characterImagePath: StrictStr | None = Field(
        default=None,
        max_length=512,
        description="Character reference image (path in the character-images bucket, under the user's folder).",
    )
    targetDuration: Finite | None = Field(
        default=None,
        gt=0,
        le=MAX_TARGET_SECONDS,
        description="Seconds of a `video` job longer than one clip (up to 30): clips are chained.",
    )
    enhance: StrictBool | None = Field(
        default=None, description="Rewrite the prompt with the configured enhancer before generating."
    )
    loras: list[LoraChoice] | None = Field(
        default=None, max_length=MAX_LORAS, description="Creator LoRAs to apply, by name."
    )
    quality: Quality | None = Field(
        default=None,
        description="reference (50 steps, exact), fast (20 steps + step cache) or turbo (4-step LoRA);"
        " default from OURVIDZ_DEFAULT_QUALITY.",
    )

    @field_validator("numFrames")
    @classmethod
    def _four_k_plus_one(cls, value: int | None) -> int | None:
        if value is not None and value % 4 != 1:
            lower = value - (value - 1) % 4
            raise ValueError(
                f"must be 4k+1 (1, 5, 9, ..., 77, 81), got {value}; nearest allowed: {lower} or {lower + 4}"
            )
        return value

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_16(cls, value: int | None) -> int | None:
        if value is not None and value % 16:
            lower = value - value % 16
            raise ValueError(f"must be a multiple of 16, got {value}; nearest allowed: {lower} or {lower + 16}")
        return value

    @model_validator(mode="after")
    def _size_is_consistent(self) -> GenerationOptions:
        if (self.width is None) != (self.height is None):
            raise ValueError("width and height must be given together (or use `aspect`)")
        if self.width is not None and (self.aspect is not None or self.resolution is not None):
            raise ValueError("give either width/height or aspect/resolution, not both")
        if self.width is not None and self.width * self.height > MAX_PIXELS:
            raise ValueError(
                f"width x height is {self.width}x{self.height} = {self.width * self.height} pixels;"
                f" at most {MAX_PIXELS} (1280x720) are allowed"
            )
        return self

    @field_validator("loras")
    @classmethod
    def _unique_loras(cls, value: list[LoraChoice] | None) -> list[LoraChoice] | None:
        names = [choice.name for choice in value or []]
        if len(names) != len(set(names)):
            raise ValueError(f"each LoRA may be named once, got {names}")
        return value

    @property
    def ignored_keys(self) -> list[str]:
        return sorted(self.model_extra or {})

    def given(self) -> set[str]:
        """The options the job set (not left to their defaults)."""
        return {name for name in self.model_fields_set if name in type(self).model_fields}


# Options a job type has no use for: reported in `ignoredFields` rather than silently dropped.
_STILL_UNUSED = frozenset({"numFrames", "fps", "previewPath", "targetDuration"})
NOT_APPLICABLE: dict[str, frozenset[str]] = {
    "video": frozenset(),
    "preview": _STILL_UNUSED,
    "image": _STILL_UNUSED,
    "enhance": frozenset(GenerationOptions.model_fields),  # an enhance job only rewrites the prompt
}


class JobInput(BaseModel):
    """The job `input`, exactly as the platform's `queue-job` function builds it."""

    model_config = ConfigDict(extra="allow")

    jobId: Uuid = Field(description="The `jobs` row id.")
    videoId: Uuid | None = Field(default=None, description="The `videos` row (preview/video jobs).")
    imageId: Uuid | None = Field(default=None, description="The `images` row (image jobs).")
    userId: Uuid = Field(description="Owner; first segment of every storage path (RLS).")
    jobType: JobType = Field(description="enhance | preview | video | image")
    prompt: Annotated[StrictStr, Field(min_length=1, max_length=MAX_PROMPT_CHARS, description="What to generate.")]
    characterId: Uuid | None = Field(default=None, description="Chosen character, if any.")
    characterDescription: StrictStr | None = Field(
        default=None, max_length=MAX_PROMPT_CHARS, description="Character text to weave in."
    )
    metadata: GenerationOptions = Field(
        default_factory=GenerationOptions, description="Generation options (see GenerationOptions)."
    )
    timestamp: datetime | None = Field(default=None, description="When the job was queued (ISO 8601).")

    @field_validator("prompt")
    @classmethod
    def _prompt_has_text(cls, value: str) -> str:
        value = _strip_text(value)
        if not value:
            raise ValueError("must contain text, not only whitespace")
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise ValueError("must not contain control characters")
        return value

    @field_validator("videoId", "imageId", "userId", "jobId", "characterId")
    @classmethod
    def _canonical_uuid(cls, value: str | None) -> str | None:
        return value.lower() if value is not None else None

    @model_validator(mode="before")
    @classmethod
    def _metadata_null_is_empty(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("metadata") is None and "metadata" in data:
            data = {**data, "metadata": {}}
        return data

    @model_validator(mode="after")
    def _paths_are_the_users_own(self) -> JobInput:
        for name in ("previewPath", "characterImagePath"):
            path = getattr(self.metadata, name)
            if path is None:
                continue
            if not OBJECT_PATH_PATTERN.match(path) or ".." in path:
                raise ValueError(f"metadata.{name}: must be an object path like {self.userId}/videos/<id>/preview.jpg")
            if path.split("/", 1)[0] != self.userId:
                raise ValueError(f"metadata.{name}: must be inside the job user's own folder ({self.userId}/...)")
        if self.metadata.targetDuration is not None and self.jobType != "video":
            raise ValueError("metadata.targetDuration: only `video` jobs can be longer than one clip")
        return self

    @property
    def ignored_fields(self) -> list[str]:
        """Keys the worker does not know, and options that do not apply to this job type; neither is used."""
        unused = set(self.metadata.ignored_keys) | (self.metadata.given() & NOT_APPLICABLE[self.jobType])
        return sorted(self.model_extra or {}) + [f"metadata.{k}" for k in sorted(unused)]


class Asset(BaseModel):
    """One stored object of a job's result."""

    kind: Literal["video", "thumbnail", "preview", "image"]
    bucket: str
    path: str = Field(description="Object path; its first segment is the user id.")
    contentType: str
    bytes: int
    sha256: str
    url: str = Field(description="Signed URL (Supabase) or file URL (local storage).")


class CallbackReport(BaseModel):
    """Outcome of the optional direct callback (JOB_CALLBACK_URL); present only when configured."""

    delivered: bool
    attempts: int
    httpStatus: int | None = None
    error: str | None = None


class ScaledDefaults(BaseModel):
    """Defaults the worker scaled down for a CPU run; options the job set are never scaled."""

    reason: Literal["cpu"] = "cpu"
    fields: list[str] = Field(description="The options whose defaults were scaled, e.g. width, height, numFrames.")
    note: str


class JobResult(BaseModel):
    """What a completed job returns; `job-callback` reads the first five fields."""

    jobId: str
    status: Literal["completed"] = "completed"
    outputUrl: str | None = Field(description="URL of the main asset; null for `enhance`.")
    errorMessage: None = None
    enhancedPrompt: str | None = None
    enhancer: str | None = Field(default=None, description="Which enhancer wrote enhancedPrompt.")
    enhancementFallback: str | None = Field(
        default=None,
        description="Why the configured LLM's answer was not used ('<code>: <detail>'); the template wrote"
        " enhancedPrompt instead. Null when the LLM's answer was used or only the template is configured.",
    )
    jobType: JobType
    assets: list[Asset] = Field(default_factory=list)
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    numFrames: int | None = None
    fps: int | None = None
    quality: Quality | None = None
    loras: list[LoraChoice] = Field(default_factory=list)
    conditioning: dict[str, str | int] | None = Field(
        default=None,
        description="How the preview still, character and clip chaining were used (firstFrame, character, clips,"
        " notes); null when none applied.",
    )
    durationSeconds: float | None = None
    steps: int | None = None
    guidanceScale: float | None = None
    flowShift: float | None = None
    model: str | None = None
    memoryPlan: dict[str, Any] | None = Field(
        default=None,
        description="Where the model's parts live and the levers in use (see memory.py), as chosen at start-up.",
    )
    peakGpuMemoryGB: float | None = Field(
        default=None, description="The GPU's peak allocation for this job; null on a CPU."
    )
    timings: dict[str, float] = Field(description="Seconds per stage.")
    ignoredFields: list[str] = Field(
        default_factory=list,
        description="Input keys the worker does not know, and options that do not apply to this job type"
        " (numFrames/fps/previewPath of a still, every generation option of an enhance job); none was used.",
    )
    scaledDefaults: ScaledDefaults | None = Field(
        default=None, description="Set when defaults were scaled down because the model runs on a CPU."
    )
    callback: CallbackReport | None = None


class ErrorDetail(BaseModel):
    field: str
    message: str


class StoredRef(BaseModel):
    bucket: str
    path: str


class FailedResult(BaseModel):
    """What a failed job returns; the top-level `error` makes RunPod mark the job FAILED."""

    error: str
    jobId: str | None
    status: Literal["failed"] = "failed"
    errorMessage: str
    errorCode: str
    errorDetails: list[ErrorDetail] = Field(default_factory=list)
    leftoverObjects: list[StoredRef] = Field(
        default_factory=list,
        description="Objects this failed job stored and could not remove again (storage was unreachable); a re-run"
        " of the job overwrites them, or the finalizer may delete them.",
    )
    callback: CallbackReport | None = None


# User text is never echoed into errors (they reach logs and dashboards).
PRIVATE_TEXT_FIELDS = ("prompt", "negativePrompt", "characterDescription")


def _detail(error: dict[str, Any]) -> dict[str, str]:
    field, message = _field_name(error["loc"]), _describe(error)
    # Cross-field validators name the field they reject at the start of their message.
    named = re.match(r"^(metadata\.\w+): (.*)$", message, re.DOTALL)
    if error["type"] == "value_error" and named and field in ("input", "metadata"):
        field, message = named.groups()
    return {"field": field, "message": message}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and "[" in p)]
    return ".".join(parts) or "input"


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object"
    if kind == "value_error":  # our own validators already say what was given and what is allowed
        return error["msg"].removeprefix("Value error, ")
    shown = repr(error.get("input"))
    if error["loc"] and error["loc"][-1] in PRIVATE_TEXT_FIELDS:
        shown = (
            f"{len(error['input'])} characters"
            if isinstance(error.get("input"), str)
            else type(error.get("input")).__name__
        )
    elif len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        return f"{PATTERN_RULES.get(pattern, 'has the wrong format')}, got {shown}"
    message = error["msg"]
    if message.startswith("Input should be"):
        message = "must be" + message[len("Input should be") :]
    return f"{message[0].lower()}{message[1:]} (got {shown})"


def parse_job_input(raw: Any) -> JobInput:
    """Validate a job's raw `input`; raise InvalidInputError naming every bad field."""
    if not isinstance(raw, dict):
        raise InvalidInputError(
            f"input: must be a JSON object with jobId, userId, jobType and prompt, got {type(raw).__name__}",
            details=[{"field": "input", "message": "must be a JSON object"}],
        )
    try:
        return JobInput.model_validate(raw)
    except ValidationError as exc:
        details = [_detail(err) for err in exc.errors()]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        raise InvalidInputError(summary, details=details) from None
