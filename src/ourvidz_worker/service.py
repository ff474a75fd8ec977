"""Runs one job as numbered steps: validate → policy → enhance → plan → prepare → generate → encode →
upload → result (`Worker._run` reads as that list; each step is one short method).

Never imports runpod: the handler injects progress, so the same code runs under RunPod, the
local API server and tests. Every failure becomes a `FailedResult`; nothing is uploaded for a
failed job, and objects already uploaded by a failing job are removed again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from .callback import CallbackSender, callback_payload
from .config import Settings
from .contract import MAX_SEED, UUID_PATTERN, Asset, FailedResult, JobInput, JobResult, parse_job_input
from .enhance import Enhancement, Enhancer, TemplateEnhancer
from .errors import InternalError, InvalidInputError, ObjectNotFoundError, PolicyViolation, StorageError, WorkerError
from .layout import AssetSlot, asset_slots
from .logs import job_context, scrub, secret_values
from .loras import LoraLibrary
from .media import decode_image, encode_asset
from .pipeline import VideoGenerator
from .planning import ImageInput, Plan, generation_prompt, plan_job
from .policy import PromptPolicy
from .progress import Progress, ProgressSender
from .request import GenerationRequest
from .storage import Storage, StoredObject

log = logging.getLogger(__name__)


class ContentPolicy(Protocol):
    """What the worker needs of a content policy (PromptPolicy, or one with a safety judge)."""

    def enforce(self, texts: Mapping[str, str | None]) -> None: ...


@dataclass(frozen=True)
class EncodedAsset:
    slot: AssetSlot
    data: bytes


class Stopwatch:
    """Seconds per stage of one job, and its total."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add({name: time.perf_counter() - started})

    def add(self, timings: dict[str, float]) -> None:
        for stage, seconds in timings.items():
            self.timings[stage] = self.timings.get(stage, 0.0) + seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def report(self) -> dict[str, float]:
        return {stage: round(seconds, 4) for stage, seconds in {**self.timings, "total": self.elapsed()}.items()}


class Worker:
    """One per process: holds the loaded model, storage and the other collaborators across jobs."""

    def __init__(
        self,
        settings: Settings,
        generator: VideoGenerator,
        storage: Storage,
        callback: CallbackSender | None = None,
        enhancer: Enhancer | None = None,
        policy: ContentPolicy | None = None,
        loras: LoraLibrary | None = None,
        startup: dict[str, float] | None = None,
    ) -> None:
        self.settings = settings
        self.startup = startup or {}  # seconds per start-up stage (app.build_worker), for logs and the benchmark
        self.generator = generator
        self.storage = storage
        self.callback = callback
        self.enhancer = enhancer or TemplateEnhancer()
        # Never without a policy: the rules alone when none is given (production adds the semantic layer).
        self.policy = policy or rules_only_policy()
        self.loras = loras or LoraLibrary(settings.lora_dir)
        self._secrets = secret_values(settings)

    def run(self, raw_input: Any, *, send_progress: ProgressSender | None = None) -> dict[str, Any]:
        """Run one job; return a JobResult or FailedResult as a JSON-ready dict."""
        job_id = _job_id_for_errors(raw_input)
        with job_context(job_id):
            log.info("job started")
            result = self._result(raw_input, job_id, send_progress)
            if self.callback is not None and job_id is not None:
                # Best effort and never raises: the job's outcome is also returned to RunPod.
                result["callback"] = self.callback.send(callback_payload(result))
            return result

    def _result(self, raw_input: Any, job_id: str | None, send_progress: ProgressSender | None) -> dict[str, Any]:
        try:
            progress = Progress(send_progress, interval=self.settings.progress_interval)
            result = self._run(raw_input, progress).model_dump(mode="json")
        except PolicyViolation as exc:
            # The rule and field, never the text that was refused.
            log.warning("job refused by the content policy", extra={"policyRule": exc.rule, "policyField": exc.field})
            return failure(job_id, exc, self._secrets)
        except WorkerError as exc:
            log.warning("job failed", extra={"errorCode": exc.code, "error": exc.message})
            return failure(job_id, exc, self._secrets)
        except Exception as exc:
            log.exception("job failed unexpectedly")
            return failure(job_id, InternalError(f"internal error: {type(exc).__name__}: {exc}"), self._secrets)
        log.info("job completed", extra={"timings": result["timings"], "outputs": _locations(result)})
        return result

    def _run(self, raw_input: Any, progress: Progress) -> JobResult:
        clock = Stopwatch()
        job = parse_job_input(raw_input)  # 1. validate against the contract
        self.policy.enforce(_policy_texts(job))  # 2. refuse what the policy forbids, before any other work
        enhancement = self._enhance(job, clock)  # 3. rewrite the prompt when asked; checked again
        if job.jobType == "enhance":
            return self._enhanced(job, enhancement, clock)
        plan = self._plan(job, enhancement)  # 4. defaults, model limits, clips: refusals before GPU work
        request = self._prepare(plan)  # 5. creator LoRAs and conditioning images
        frames, peak_gb = self._generate(plan, request, progress, clock)  # 6. frames, clip after clip
        encoded = self._encode(job, plan, frames, progress, clock)  # 7. the files the platform serves
        stored = self._upload(encoded, progress, clock)  # 8. main asset last
        return self._completed(job, plan, enhancement, encoded, stored, len(frames), peak_gb, clock)  # 9. the report

    def _enhance(self, job: JobInput, clock: Stopwatch) -> Enhancement | None:
        if job.jobType != "enhance" and not job.metadata.enhance:
            return None
        with clock.stage("enhance"):
            enhancement = self.enhancer.enhance(job.prompt, job.characterDescription)
        self.policy.enforce({**_policy_texts(job), "enhancedPrompt": enhancement.text})
        return enhancement

    def _enhanced(self, job: JobInput, enhancement: Enhancement | None, clock: Stopwatch) -> JobResult:
        return JobResult(
            jobId=job.jobId,
            outputUrl=None,
            jobType=job.jobType,
            timings=clock.report(),
            ignoredFields=job.ignored_fields,
            **_enhancement_fields(enhancement),
        )

    def _plan(self, job: JobInput, enhancement: Enhancement | None) -> Plan:
        # An enhanced prompt already carries the character description.
        prompt = enhancement.text if enhancement else generation_prompt(job.prompt, job.characterDescription)
        fallback_seed = secrets.randbelow(MAX_SEED + 1)
        return plan_job(job, prompt, self.generator.capabilities(), self.settings, seed=fallback_seed)

    def _prepare(self, plan: Plan) -> GenerationRequest:
        """The I/O planning leaves out: creator LoRAs loaded on first use, conditioning images read."""
        names = [name for name, _ in plan.request.loras]
        self.loras.require(names)
        for name in names:
            self.generator.ensure_user_lora(name, self.loras.path(name))
        request = plan.request
        for image in plan.images:  # read even when unused: a wrong path is the user's to know
            pixels = self._read_image(image, request.width, request.height)
            if image.used:
                request = replace(request, **{image.role: pixels})
        return request

    def _read_image(self, image: ImageInput, width: int, height: int) -> np.ndarray:
        try:
            data = self.storage.download(image.bucket, image.path)
        except ObjectNotFoundError:
            raise InvalidInputError.for_field(image.field, f"no such object in bucket {image.bucket!r}") from None
        except StorageError as exc:
            raise StorageError(f"could not read {image.field} from {image.bucket!r}: {exc.message}") from exc
        try:
            return decode_image(data, width, height)
        except ValueError as exc:
            raise InvalidInputError.for_field(image.field, str(exc)) from None

    def _generate(
        self, plan: Plan, request: GenerationRequest, progress: Progress, clock: Stopwatch
    ) -> tuple[np.ndarray, float | None]:
        """One clip, or a chain of clips each starting from the previous clip's last frame; and the
        GPU's peak memory over them (None on a CPU)."""
        # Denoising stops early enough to leave the delivery its reserve of the job's time.
        request = replace(request, deadline=self._deadline(clock) - self.settings.delivery_seconds)
        parts: list[np.ndarray] = []
        peaks: list[float] = []
        for index, clip in enumerate(plan.clips):
            if len(plan.clips) > 1:
                progress.clip(index, len(plan.clips))
            first_frame = request.first_frame if index == 0 else parts[-1][-1]
            clip_request = replace(request, num_frames=clip.frames, seed=clip.seed, first_frame=first_frame)
            generated = self.generator.generate(clip_request, progress)
            # Later clips repeat their conditioning frame as frame 0: keep it once.
            parts.append(generated.frames if index == 0 else generated.frames[1:])
            clock.add(generated.timings)
            if generated.peak_memory_gb is not None:
                peaks.append(generated.peak_memory_gb)
        return parts[0] if len(parts) == 1 else np.concatenate(parts), max(peaks, default=None)

    def _deadline(self, clock: Stopwatch) -> float:
        """The job's deadline as a time.monotonic() value."""
        return time.monotonic() + self.settings.job_timeout - clock.elapsed()

    def _encode(
        self, job: JobInput, plan: Plan, frames: np.ndarray, progress: Progress, clock: Stopwatch
    ) -> list[EncodedAsset]:
        progress.stage("encode")
        with clock.stage("encode"):
            slots = asset_slots(job, self.settings.buckets)
            return [EncodedAsset(slot, encode_asset(slot.kind, frames, plan.fps)) for slot in slots]

    def _upload(self, encoded: list[EncodedAsset], progress: Progress, clock: Stopwatch) -> list[StoredObject]:
        """Every asset checked against its bucket's rules first, then uploaded, main asset last: small
        assets with the storage's few retries, the main one retrying until the job's deadline."""
        for asset in encoded:
            self.storage.rules.check(asset.slot.bucket, len(asset.data), asset.slot.content_type, asset.slot.kind)
        progress.stage("upload")
        stored: list[StoredObject] = []
        deadline = self._deadline(clock)
        with clock.stage("upload"):
            try:
                for asset in encoded:
                    slot, main = asset.slot, asset is encoded[-1]
                    stored.append(
                        self.storage.upload(
                            slot.bucket, slot.path, asset.data, slot.content_type, deadline=deadline if main else None
                        )
                    )
            except WorkerError as exc:
                exc.leftover_objects = self._remove(stored)  # a failed job leaves nothing behind it knows of
                raise
            except BaseException:
                self._remove(stored)
                raise
        return stored

    def _remove(self, stored: list[StoredObject]) -> list[dict[str, str]]:
        """Remove what a failed job stored; return what could not be removed."""
        left: list[dict[str, str]] = []
        for done in stored:
            try:
                self.storage.remove(done.bucket, done.path)
            except Exception:  # noqa: BLE001 - report the original failure, not the cleanup
                log.warning("could not remove %s/%s after a failed upload", done.bucket, done.path)
                left.append({"bucket": done.bucket, "path": done.path})
        return left

    def _completed(
        self,
        job: JobInput,
        plan: Plan,
        enhancement: Enhancement | None,
        encoded: list[EncodedAsset],
        stored: list[StoredObject],
        frames: int,
        peak_gb: float | None,
        clock: Stopwatch,
    ) -> JobResult:
        assets = [
            Asset(
                kind=asset.slot.kind,
                bucket=done.bucket,
                path=done.path,
                contentType=done.content_type,
                bytes=done.size,
                sha256=done.sha256,
                url=done.url,
            )
            for asset, done in zip(encoded, stored, strict=True)
        ]
        request, fps = plan.request, plan.fps
        return JobResult(
            jobId=job.jobId,
            outputUrl=assets[-1].url,
            jobType=job.jobType,
            assets=assets,
            seed=request.seed,
            width=request.width,
            height=request.height,
            numFrames=frames,
            fps=fps,
            durationSeconds=round(frames / fps, 3) if job.jobType == "video" else None,
            steps=request.steps,
            guidanceScale=request.guidance_scale,
            flowShift=request.flow_shift,
            quality=request.profile.name,
            loras=[{"name": name, "scale": scale} for name, scale in request.loras],
            conditioning=plan.conditioning or None,
            scaledDefaults=plan.scaled_defaults,
            **_enhancement_fields(enhancement),
            model=self.generator.model.model_id,
            memoryPlan=self.generator.placement,
            peakGpuMemoryGB=peak_gb,
            timings=clock.report(),
            ignoredFields=job.ignored_fields,
        )


@functools.cache
def rules_only_policy() -> PromptPolicy:
    return PromptPolicy(semantic=False)


def failure(job_id: str | None, error: WorkerError, secrets: Iterable[str] = ()) -> dict[str, Any]:
    # A third-party message may quote a credential; never pass it on.
    message = scrub(error.message, secrets)
    result = FailedResult(
        error=f"{error.code}: {message}",
        jobId=job_id,
        errorMessage=message,
        errorCode=error.code,
        errorDetails=[{**d, "message": scrub(d["message"], secrets)} for d in error.details],
        leftoverObjects=error.leftover_objects,
    ).model_dump(mode="json")
    if error.refresh_worker:
        result["refresh_worker"] = True
    return result


def _job_id_for_errors(raw_input: Any) -> str | None:
    """The caller's jobId when it is a well-formed UUID, so the callback can find the row."""
    value = raw_input.get("jobId") if isinstance(raw_input, dict) else None
    if isinstance(value, str) and re.match(UUID_PATTERN, value):
        return value.lower()
    return None


def _locations(result: dict[str, Any]) -> list[str]:
    return [f"{a['bucket']}/{a['path']}" for a in result.get("assets", [])]


def _policy_texts(job: JobInput) -> dict[str, str | None]:
    return {"prompt": job.prompt, "characterDescription": job.characterDescription}


def _enhancement_fields(enhancement: Enhancement | None) -> dict[str, str | None]:
    return {
        "enhancedPrompt": enhancement.text if enhancement else None,
        "enhancer": enhancement.enhancer if enhancement else None,
        "enhancementFallback": enhancement.fallback_reason if enhancement else None,
    }
