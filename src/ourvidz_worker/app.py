"""Assembling a worker from settings: storage backend and model, once per process."""

from __future__ import annotations

from .accel import apply_speedups
from .callback import CallbackSender
from .config import Settings
from .enhance import build_enhancer
from .errors import ConfigurationError
from .loras import LoraLibrary
from .models import check_model_choice, load_model, silence_progress_bars
from .pipeline import VideoGenerator
from .policy import PromptPolicy
from .request import TURBO_ADAPTER
from .service import Worker
from .storage import BucketRules, Storage
from .storage.local import LocalStorage


def make_storage(settings: Settings) -> Storage:
    if settings.uses_supabase:
        from .storage.supabase import SupabaseStorage  # imported only where configured

        storage = SupabaseStorage.from_settings(settings)
        storage.connect()  # the key and the buckets' rules, in every mode: a bad key fails here, not after a job
        return storage
    if settings.in_production:
        raise ConfigurationError(
            "no storage configured: set SUPABASE_URL and SUPABASE_SERVICE_KEY; local storage is for local runs only"
        )
    return LocalStorage(settings.output_dir, BucketRules.platform(settings.buckets))


def make_callback(settings: Settings) -> CallbackSender | None:
    if not settings.job_callback_url:
        return None
    if settings.job_callback_secret is None:
        # An unsigned callback lets anyone who learns the URL forge results.
        raise ConfigurationError("JOB_CALLBACK_URL is set but JOB_CALLBACK_SECRET is not; callbacks must be signed")
    return CallbackSender(
        settings.job_callback_url,
        settings.job_callback_secret.get_secret_value(),
        timeout=settings.callback_timeout,
        attempts=settings.callback_attempts,
        backoff=settings.callback_backoff,
    )


def build_worker(settings: Settings) -> Worker:
    """Fail fast: what needs no network or file first, then storage, then the model."""
    silence_progress_bars()
    check_model_choice(settings)
    storage = make_storage(settings)
    callback = make_callback(settings)
    policy = PromptPolicy(semantic=settings.policy_semantic)  # fails start-up if its model is missing
    model = load_model(settings)
    apply_speedups(model.pipe, settings, model.device)
    generator = VideoGenerator(model, prompt_cache_size=settings.prompt_cache_size)
    if settings.turbo_lora is not None:
        generator.load_adapter(TURBO_ADAPTER, settings.turbo_lora, settings.turbo_lora_scale)
    # After the video model, so it gets GPU memory first; a broken configuration fails start-up.
    enhancer = build_enhancer(settings)
    return Worker(
        settings,
        generator,
        storage,
        callback=callback,
        enhancer=enhancer,
        policy=policy,
        loras=LoraLibrary(settings.lora_dir),
    )
