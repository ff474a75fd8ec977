"""Settings, read from the environment in this module only.

Everything the worker can be told by its deployment lives here, typed and documented; secrets
are `SecretStr` so they never print. The rest of the code receives a `Settings` instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TINY_MODEL = "tiny"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OURVIDZ_", extra="ignore", frozen=True)

    model: str = Field(
        default=TINY_MODEL,
        description="Diffusers-format Wan 2.1 directory, or 'tiny' (random weights, local runs only).",
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

    # Defaults of the generation contract (a job may override each within bounds).
    default_quality: Literal["reference", "fast", "turbo"] = Field(
        default="reference", description="Quality profile of jobs that do not name one."
    )
    default_flow_shift: float = Field(default=3.0, gt=0.0, le=20.0)
    turbo_lora: Path | None = Field(
        default=None, description="Wan 2.1 step-distillation LoRA (.safetensors) enabling quality 'turbo'."
    )
    turbo_lora_scale: float = Field(default=1.0, gt=0.0, le=2.0)
    lora_dir: Path | None = Field(
        default=None, description="Folder of creator LoRAs (`{name}.safetensors`) jobs may name."
    )
    max_frames: int = Field(default=81, ge=1, le=241, description="Longest clip a job may ask for.")
    job_timeout: float = Field(
        default=540.0,
        gt=0,
        description="Seconds a job may run before denoising stops; keep under RunPod's execution timeout.",
    )
    progress_interval: float = Field(
        default=1.0, ge=0.0, description="Least seconds between two progress updates of a stage."
    )
    prompt_cache_size: int = Field(
        default=16, ge=0, le=1024, description="Prompt embeddings kept per process (negative prompts recur)."
    )

    # Exact speed levers (see accel.py); measured by bench/benchmark.py.
    attention_backend: str = Field(default="auto", description="diffusers attention backend; 'auto' picks per GPU.")
    compile: bool = Field(default=False, description="Regional torch.compile of the transformer blocks.")
    compile_cache_dir: Path | None = Field(
        default=None, description="Persistent Inductor cache, e.g. on the network volume."
    )
    text_encoder_device: Literal["gpu", "cpu"] = Field(
        default="gpu", description="Where UMT5 runs; 'cpu' frees ~11 GB of GPU memory."
    )

    # Set by RunPod on its workers; its presence means production.
    runpod_endpoint_id: str | None = Field(default=None, validation_alias=AliasChoices("RUNPOD_ENDPOINT_ID"))

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


def load_settings() -> Settings:
    """Read the environment once; a malformed variable raises with the variable's name."""
    return Settings()
