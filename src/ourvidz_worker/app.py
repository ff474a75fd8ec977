"""Assembling a worker from settings: storage backend and model, once per process."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import torch

from .accel import compile_cache_key, prepare, save_compile_cache
from .callback import CallbackSender
from .config import Settings
from .enhance import build_enhancer
from .enhance.llm import LocalLLMEnhancer, OpenAICompatibleEnhancer
from .errors import ConfigurationError
from .loras import LoraLibrary
from .models import check_model_choice, load_model, silence_progress_bars
from .pipeline import VideoGenerator
from .policy import PromptPolicy
from .policy.judge import JudgedPolicy, SafetyJudge
from .request import TURBO_ADAPTER
from .service import Worker
from .storage import BucketRules, Storage
from .storage.local import LocalStorage
from .warmup import warm_up

log = logging.getLogger(__name__)

JUDGE_MAX_TOKENS = 8  # a verdict is one word


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


def make_policy(settings: Settings, policy: PromptPolicy) -> PromptPolicy | JudgedPolicy:
    """The content policy: the rules and semantic layer (`policy`), and the safety judge when configured."""
    if settings.policy_judge == "off":
        return policy
    if settings.policy_judge == "local":
        if settings.policy_judge_model is None:
            raise ConfigurationError("OURVIDZ_POLICY_JUDGE=local needs OURVIDZ_POLICY_JUDGE_MODEL (the LLM's folder)")
        backend = LocalLLMEnhancer.load(
            settings.policy_judge_model,
            device=settings.enhancer_device,
            dtype=settings.enhancer_dtype,
            max_new_tokens=JUDGE_MAX_TOKENS,
            timeout=settings.policy_judge_timeout,
        )
    else:
        if not settings.policy_judge_base_url or not settings.policy_judge_api_model:
            raise ConfigurationError(
                "OURVIDZ_POLICY_JUDGE=openai needs OURVIDZ_POLICY_JUDGE_BASE_URL and OURVIDZ_POLICY_JUDGE_API_MODEL"
            )
        backend = OpenAICompatibleEnhancer(
            settings.policy_judge_base_url,
            settings.policy_judge_api_model,
            settings.policy_judge_api_key,
            timeout=settings.policy_judge_timeout,
            attempts=2,
            max_tokens=JUDGE_MAX_TOKENS,
        )
    return JudgedPolicy(policy, SafetyJudge(backend))


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
    """Fail fast: what needs no network or file first, then storage; then the policy (in a thread)
    and the video model together; then placement, compilation and warm-up."""
    started = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        stages[stage] = round(now - since, 3)
        return now

    silence_progress_bars()
    check_model_choice(settings)
    storage = make_storage(settings)
    callback = make_callback(settings)
    mark = lap("storage", started)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy") as pool:
        # The policy's word lists and embedding models load on the CPU while the video model loads.
        policy_loading = pool.submit(_timed, PromptPolicy, semantic=settings.policy_semantic)
        model = load_model(settings)
        mark = lap("model", mark)
        acceleration = prepare(model, settings)
        mark = lap("prepare", mark)
        fast_policy, stages["policy"] = policy_loading.result()  # fails start-up if its models are missing
        mark = time.perf_counter()
    generator = VideoGenerator(
        model,
        prompt_cache_size=settings.prompt_cache_size,
        text_encoder_device=torch.device("cpu") if acceleration.plan.text_encoder == "cpu" else None,
        placement=acceleration.report(),
    )
    if settings.turbo_lora is not None:
        generator.load_adapter(TURBO_ADAPTER, settings.turbo_lora, settings.turbo_lora_scale)
    if settings.warmup if settings.warmup is not None else acceleration.compiled:
        warm_up(generator, settings)
        if acceleration.compiled:
            key = compile_cache_key(model, acceleration.plan, acceleration.attention_backend)
            save_compile_cache(settings.compile_cache_path, key)
        mark = lap("warmup", mark)
    # After the video model, so it gets GPU memory first; a broken configuration fails start-up.
    enhancer = build_enhancer(settings)
    mark = lap("enhancer", mark)
    policy = make_policy(settings, fast_policy)  # a local judge LLM is placed after the video model too
    lap("judge", mark)
    stages["total"] = round(time.perf_counter() - started, 3)
    log.info("worker ready", extra={"startup": stages})
    return Worker(
        settings,
        generator,
        storage,
        callback=callback,
        enhancer=enhancer,
        policy=policy,
        loras=LoraLibrary(settings.lora_dir),
        startup=stages,
    )


def _timed(build, *args, **kwargs):
    started = time.perf_counter()
    built = build(*args, **kwargs)
    return built, round(time.perf_counter() - started, 3)
