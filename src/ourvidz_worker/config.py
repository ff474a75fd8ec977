"""Settings, read from the environment in this module only.

Everything the worker can be told by its deployment lives here, typed and documented; secrets
are `SecretStr` so they never print. The rest of the code receives a `Settings` instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigurationError
from .request import Quality

ENV_PREFIX = "OURVIDZ_"
DEFAULT_VOLUME_ROOT = Path("/runpod-volume")  # where RunPod mounts a network volume
# What the worker writes (videos, thumbnails, previews, images) and reads (characters).
BUCKET_ROLES = ("videos", "thumbnails", "previews", "images", "characters")
TINY_MODEL = "tiny"
TINY_VACE_MODEL = "tiny-vace"
TINY_MODELS = (TINY_MODEL, TINY_VACE_MODEL)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    model: str = Field(
        default=TINY_MODEL,
        description="Wan 2.1 weights: a folder (Diffusers or original layout), a repo id or name looked up on the"
        " volume (e.g. t2v-1.3b), or 'tiny' / 'tiny-vace' (random weights, local runs and tests only).",
    )
    volume_root: Path = Field(
        default=DEFAULT_VOLUME_ROOT,
        description="Where model names in OURVIDZ_MODEL are looked up (RunPod mounts the network volume here).",
    )
    model_config_dir: Path | None = Field(
        default=None,
        description="Diffusers configs (transformer/, vae/, text_encoder/ config.json) for original-layout weights"
        " of a size not shipped in model_configs/ (only 1.3B and 14B are).",
    )
    device: Literal["auto", "cuda", "cpu"] = Field(
        default="auto", description="Where the model runs; 'auto' picks CUDA when present."
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        default="auto",
        description="Transformer/text-encoder precision; 'auto' is bfloat16 on CUDA, float32 on CPU.",
    )
    output_dir: Path = Field(
        default=Path("output"), description="Root of the local storage backend (one folder a bucket)."
    )

    # Storage: names the platform already configures, hence no prefix.
    supabase_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SUPABASE_URL", "OURVIDZ_SUPABASE_URL")
    )
    supabase_service_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SUPABASE_SERVICE_KEY", "OURVIDZ_SUPABASE_SERVICE_KEY"),
    )
    bucket_videos: str = Field(default="videos-final", description="Final MP4s.")
    bucket_thumbnails: str = Field(default="video-thumbnails", description="JPEG thumbnails.")
    bucket_previews: str = Field(default="scene-previews", description="Preview stills.")
    bucket_images: str = Field(default="scene-previews", description="Stills of `image` jobs.")
    bucket_characters: str = Field(default="character-images", description="Character reference images (read).")
    signed_url_ttl: int = Field(
        default=7 * 24 * 3600, ge=60, le=365 * 24 * 3600, description="Signed URL lifetime, seconds."
    )

    # Direct callback for platforms that finalize without RunPod's webhook.
    job_callback_url: str | None = Field(
        default=None, validation_alias=AliasChoices("JOB_CALLBACK_URL", "OURVIDZ_JOB_CALLBACK_URL")
    )
    job_callback_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("JOB_CALLBACK_SECRET", "OURVIDZ_JOB_CALLBACK_SECRET"),
    )
    callback_timeout: float = Field(default=10.0, gt=0.0, le=120.0, description="Seconds per callback attempt.")
    callback_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries per callback on timeouts, connection errors, 408/429 and 5xx."
    )
    callback_backoff: float = Field(
        default=1.0, ge=0.0, le=60.0, description="First callback retry delay, seconds; doubles, plus jitter."
    )

    # Defaults of the generation contract (a job may override each within bounds).
    default_quality: Quality = Field(default="reference", description="Quality profile of jobs that do not name one.")
    default_flow_shift: float = Field(default=3.0, gt=0.0, le=20.0)
    turbo_lora: Path | None = Field(
        default=None, description="Wan 2.1 step-distillation LoRA (.safetensors) enabling quality 'turbo'."
    )
    turbo_lora_scale: float = Field(default=1.0, gt=0.0, le=2.0)
    lora_dir: Path | None = Field(
        default=None, description="Folder of creator LoRAs (`{name}.safetensors`) jobs may name."
    )
    max_frames: int = Field(default=81, ge=1, le=241, description="Longest clip a job may ask for.")
    cpu_job_defaults: bool = Field(
        default=True,
        description="On a CPU, jobs that leave size and frames to the defaults get 256x144 (or 144x256, 192x192)"
        " and 17 frames instead of 832x480 and 81, so a local run takes seconds; the result says so.",
    )
    job_timeout: float = Field(
        default=540.0,
        gt=0,
        description="Seconds a job may take in all, delivery included; keep under RunPod's execution timeout (600 s"
        " by default).",
    )
    delivery_reserve: float | None = Field(
        default=None,
        ge=0,
        description="Seconds of the job's time kept for storing its result: denoising stops this long before the job"
        " deadline, and the main asset's upload retries an unreachable storage until the deadline. Default: 120 s,"
        " or a quarter of OURVIDZ_JOB_TIMEOUT when that is under 480 s.",
    )
    progress_interval: float = Field(
        default=1.0, ge=0.0, description="Least seconds between two progress updates of a stage."
    )
    prompt_cache_size: int = Field(
        default=16, ge=0, le=1024, description="Prompt embeddings kept per process (negative prompts recur)."
    )

    # Speed and memory (see accel.py and memory.py); measured by bench/benchmark.py.
    memory_plan: str = Field(
        default="auto",
        description="Where the model's parts live: 'auto' picks the fastest plan that fits the GPU's free memory"
        " (see memory.PLANS: resident, offload-text-encoder, offload-text-encoder-bf16-vae,"
        " offload-text-encoder-tiled-vae, fp8-transformer, streamed-fp8-transformer).",
    )
    text_encoder_device: Literal["auto", "gpu", "offload", "cpu"] = Field(
        default="auto",
        description="Overrides the plan: UMT5 resident on the GPU (11.4 GB), streamed to it while encoding, or run on"
        " the CPU (slow per new prompt; embeddings are cached).",
    )
    transformer_precision: Literal["auto", "dtype", "fp8"] = Field(
        default="auto",
        description="Overrides the plan: 'dtype' keeps OURVIDZ_DTYPE (bfloat16 on CUDA); fp8 (torchao, row-wise) is"
        " faster in half the memory, an approximation, and needs compute capability 8.9+ (RTX 4090, L4, L40S, H100,"
        " H200) and the GPU extras (requirements-gpu.txt).",
    )
    vae_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Overrides the plan; bfloat16 decodes faster in less memory (measured 2.1 s / 7.3 GB vs 3.3 s /"
        " 11.9 GB for 81 frames at 480p on an H100) at a small quality cost.",
    )
    vae_tiling: bool | None = Field(default=None, description="Overrides the plan: decode in tiles, less memory.")
    gpu_memory_gb: float | None = Field(
        default=None,
        gt=0,
        description="Use at most this much GPU memory (enforced per process); plans as for a card of this size: e.g."
        " 24 to run as an RTX 4090 would on a larger card, or to leave room for another process.",
    )
    max_resolution: Literal["480p", "720p"] | None = Field(
        default=None, description="Offer no preset above this (a 14B worker on a small card: 480p)."
    )
    attention_backend: str = Field(default="auto", description="diffusers attention backend; 'auto' picks per GPU.")
    compile: bool | None = Field(
        default=None,
        description="Regional torch.compile of the transformer blocks; default on with CUDA (unless the plan streams"
        " the transformer), off on a CPU.",
    )
    warmup: bool | None = Field(
        default=None,
        description="At start-up, one denoising step of every preset shape (video and still) so no job pays"
        " compilation; default on when compiling.",
    )
    compile_cache_dir: Path | None = Field(
        default=None,
        description="Persistent compilation cache; default <volume>/torch-compile-cache when the volume is mounted.",
    )

    policy_judge: Literal["off", "local", "openai"] = Field(
        default="off",
        description="An optional safety-judge LLM asked about every job the rules and the semantic layer allow:"
        " 'local' (an instruction model folder in OURVIDZ_POLICY_JUDGE_MODEL, e.g. a Llama Guard-class model on the"
        " volume) or 'openai' (an OpenAI-compatible endpoint). It fails closed: no clear ALLOW refuses the job."
        " Its accuracy is not measured here.",
    )
    policy_judge_model: Path | None = Field(default=None, description="local: the judge LLM's folder.")
    policy_judge_base_url: str | None = Field(default=None, description="openai: the judge endpoint's API root.")
    policy_judge_api_model: str | None = Field(default=None, description="openai: the judge model's name.")
    policy_judge_api_key: SecretStr | None = Field(default=None, description="openai: Bearer token; never logged.")
    policy_judge_timeout: float = Field(default=10.0, gt=0.0, le=120.0, description="Seconds per judge verdict.")

    policy_semantic: bool = Field(
        default=True,
        description="Add the prompt policy's semantic layer (a small sentence-embedding model on the CPU)"
        " to its rules.",
    )

    sdk_log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = Field(
        default="INFO",
        validation_alias=AliasChoices("RUNPOD_LOG_LEVEL", "RUNPOD_DEBUG_LEVEL"),
        description="The RunPod SDK's own log level. Its DEBUG lines repeat every job's input (prompt included) and"
        " output, so INFO is the default: the SDK then prints a local run's result once.",
    )

    # Set by RunPod on its workers; its presence means production.
    runpod_endpoint_id: str | None = Field(default=None, validation_alias=AliasChoices("RUNPOD_ENDPOINT_ID"))

    @model_validator(mode="after")
    def _delivery_fits_the_job(self) -> Settings:
        if self.delivery_reserve is not None and self.delivery_reserve >= self.job_timeout:
            raise ValueError(
                f"OURVIDZ_DELIVERY_RESERVE ({self.delivery_reserve:g} s) must be less than OURVIDZ_JOB_TIMEOUT"
                f" ({self.job_timeout:g} s): generation needs time too"
            )
        return self

    @property
    def delivery_seconds(self) -> float:
        """The delivery reserve in effect (see delivery_reserve)."""
        if self.delivery_reserve is not None:
            return self.delivery_reserve
        return min(120.0, self.job_timeout / 4)

    @model_validator(mode="after")
    def _supabase_pair(self) -> Settings:
        if bool(self.supabase_url) != bool(self.supabase_service_key):
            raise ValueError(
                "SUPABASE_URL and SUPABASE_SERVICE_KEY must be set together (or neither, for local storage)"
            )
        return self

    @property
    def in_production(self) -> bool:
        return bool(self.runpod_endpoint_id)

    @property
    def uses_supabase(self) -> bool:
        return bool(self.supabase_url)

    # Supabase delivery tuning
    supabase_timeout: float = Field(
        default=30.0,
        gt=0.0,
        le=600.0,
        description="Seconds a storage request may take besides moving its bytes (connect, server work).",
    )
    supabase_min_upload_rate: int = Field(
        default=512 * 1024,
        ge=1024,
        description="Slowest upload rate tolerated, bytes/s: a request's timeout grows by its size over this.",
    )
    supabase_attempts: int = Field(
        default=4, ge=1, le=10, description="Tries per storage request on timeouts, connection errors and 5xx."
    )
    supabase_backoff: float = Field(
        default=1.0, ge=0.0, le=60.0, description="First retry delay, seconds; doubles each retry, plus jitter."
    )

    # Prompt enhancement
    enhancer: Literal["template", "local", "openai"] = Field(
        default="template",
        description="Who rewrites prompts: 'template' (deterministic template-v1), 'local' (an instruction-tuned"
        " LLM from OURVIDZ_ENHANCER_MODEL) or 'openai' (an OpenAI-compatible /chat/completions endpoint). LLM"
        " answers are checked; a bad one falls back to the template and the job's result says why.",
    )
    enhancer_model: Path | None = Field(
        default=None,
        description="local: the LLM's folder (config.json, weights, a tokenizer with a chat template), e.g."
        " Qwen2.5-3B-Instruct on the volume; a Hugging Face cache folder models--ORG--NAME works too.",
    )
    enhancer_device: Literal["auto", "cuda", "cpu"] = Field(
        default="auto", description="Where the local LLM runs; 'auto' is the GPU (beside the video model) when present."
    )
    enhancer_dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        default="auto", description="Local LLM precision; 'auto' is bfloat16 on CUDA, float32 on CPU."
    )
    enhancer_max_new_tokens: int = Field(
        default=320, ge=16, le=2048, description="Most tokens an LLM may write for one prompt."
    )
    enhancer_max_chars: int = Field(
        default=1200, ge=100, le=2000, description="Longest enhanced prompt accepted from an LLM, characters."
    )
    enhancer_timeout: float = Field(
        default=20.0, gt=0.0, le=300.0, description="Seconds an LLM may take for one prompt (per HTTP request)."
    )
    enhancer_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries per request to the OpenAI-compatible endpoint on 429/5xx."
    )
    enhancer_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OURVIDZ_ENHANCER_BASE_URL", "OPENAI_BASE_URL"),
        description="openai: the API root, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.",
    )
    enhancer_api_model: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OURVIDZ_ENHANCER_API_MODEL", "OPENAI_MODEL"),
        description="openai: the model name sent with each request.",
    )
    enhancer_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OURVIDZ_ENHANCER_API_KEY", "OPENAI_API_KEY"),
        description="openai: sent as a Bearer token; never logged.",
    )

    @property
    def compile_cache_path(self) -> Path | None:
        """Where compiled kernels persist: the setting, else the network volume when it is mounted."""
        if self.compile_cache_dir is not None:
            return self.compile_cache_dir
        return self.volume_root / "torch-compile-cache" if self.volume_root.is_dir() else None

    @property
    def buckets(self) -> dict[str, str]:
        """Bucket name by role (see BUCKET_ROLES)."""
        return {role: getattr(self, f"bucket_{role}") for role in BUCKET_ROLES}


def default_buckets() -> dict[str, str]:
    """Bucket name by role when nothing is configured: the platform's own buckets."""
    return {role: Settings.model_fields[f"bucket_{role}"].default for role in BUCKET_ROLES}


def env_name(field: str) -> str:
    """The environment variable a setting is read from (its first alias, else OURVIDZ_<NAME>)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    if isinstance(alias, str):
        return alias
    return field if field.isupper() or info is None else f"{ENV_PREFIX}{field.upper()}"


def load_settings() -> Settings:
    """Read the environment once; a malformed variable is a ConfigurationError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                problems.append(f"{env_name(str(error['loc'][0]))}: {message}")
            else:
                problems.append(message)
        raise ConfigurationError("invalid environment: " + "; ".join(problems)) from None
