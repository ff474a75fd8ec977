"""Runs one job as numbered steps: validate → policy → enhance → plan → generate → encode → upload → result.

Never imports runpod: the handler injects progress, so the same code runs under RunPod, the
local API server and tests. Every failure becomes a `FailedResult`; nothing is uploaded for a
failed job, and objects already uploaded by a failing job are removed again.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .callback import CallbackSender, callback_payload
from .config import Settings
from .contract import (
    MAX_SEED,
    UUID_PATTERN,
    Asset,
    FailedResult,
    JobInput,
    JobResult,
    parse_job_input,
)
from .enhance import Enhancement, Enhancer, TemplateEnhancer
from .errors import InternalError, WorkerError
from .logs import job_context, scrub, secret_values
from .media import encode_jpeg, encode_mp4, encode_png
from .pipeline import Generated, VideoGenerator
from .planning import Plan, Planner, generation_prompt
from .policy import PolicyViolation, PromptPolicy
from .progress import Progress, ProgressSender
from .storage import Storage, StoredObject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingAsset:
    kind: str
    bucket: str
    path: str
    data: bytes
    content_type: str


class Worker:
    """One per process: holds the loaded model and the storage backend across jobs."""

    def __init__(
        self,
        settings: Settings,
        generator: VideoGenerator,
        storage: Storage,
        callback: CallbackSender | None = None,
        enhancer: Enhancer | None = None,
        policy: PromptPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.generator = generator
        self.storage = storage
        self.callback = callback
        self.enhancer = enhancer or TemplateEnhancer()
        # Never without a policy: the rules alone when none is given (production adds the semantic layer).
        self.policy = policy or rules_only_policy()
        self.planner = Planner(settings, generator, storage)
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
        started = time.perf_counter()
        timings: dict[str, float] = {}

        # 1. Validate the input against the contract.
        job = parse_job_input(raw_input)

        # 2. Refuse what the content policy forbids, before any other work.
        texts = {"prompt": job.prompt, "characterDescription": job.characterDescription}
        self.policy.enforce(texts)

        # 3. Enhance the prompt when asked (an `enhance` job does nothing else); the rewrite is
        #    checked again, together with what it came from.
        enhancement = self._enhance(job, timings) if job.jobType == "enhance" or job.metadata.enhance else None
        if enhancement is not None:
            self.policy.enforce({**texts, "enhancedPrompt": enhancement.text})
        enhanced = {
            "enhancedPrompt": enhancement.text if enhancement else None,
            "enhancer": enhancement.enhancer if enhancement else None,
            "enhancementFallback": enhancement.fallback_reason if enhancement else None,
        }
        if job.jobType == "enhance":
            timings["total"] = time.perf_counter() - started
            return JobResult(
                jobId=job.jobId,
                outputUrl=None,
                jobType=job.jobType,
                timings=_rounded(timings),
                ignoredFields=job.ignored_fields,
                **enhanced,
            )

        # 4. Plan: defaults, model limits, LoRAs, conditioning images, clips — refusals before GPU work.
        # An enhanced prompt already carries the character description.
        prompt = enhancement.text if enhancement else generation_prompt(job.prompt, job.characterDescription)
        plan = self.planner.plan(job, prompt)

        # 5. Generate frames (clip after clip for long videos), stopping if the deadline passes.
        deadline = time.monotonic() + self.settings.job_timeout - (time.perf_counter() - started)
        generated = self._generate(plan, progress, deadline)
        timings.update(generated.timings)

        # 6. Encode them into the files the platform serves.
        encode_started = time.perf_counter()
        progress.stage("encode")
        pending = self._encode(job, generated.frames, plan.fps)
        timings["encode"] = time.perf_counter() - encode_started

        # 7. Upload (main asset last) and collect signed/readable URLs.
        upload_started = time.perf_counter()
        progress.stage("upload")
        stored = self._upload_all(pending)
        timings["upload"] = time.perf_counter() - upload_started
        timings["total"] = time.perf_counter() - started

        # 8. Report exactly what was produced.
        assets = [
            Asset(
                kind=p.kind,
                bucket=s.bucket,
                path=s.path,
                contentType=s.content_type,
                bytes=s.size,
                sha256=s.sha256,
                url=s.url,
            )
            for p, s in zip(pending, stored, strict=True)
        ]
        request, frames, fps = plan.request, len(generated.frames), plan.fps
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
            **enhanced,
            model=self.generator.model.model_id,
            timings=_rounded(timings),
            ignoredFields=job.ignored_fields,
        )

    def _enhance(self, job: JobInput, timings: dict[str, float]) -> Enhancement:
        started = time.perf_counter()
        enhancement = self.enhancer.enhance(job.prompt, job.characterDescription)
        timings["enhance"] = time.perf_counter() - started
        return enhancement

    def _generate(self, plan: Plan, progress: Progress, deadline: float) -> Generated:
        """One clip, or a chain of clips each starting from the previous clip's last frame."""
        request = replace(plan.request, deadline=deadline)
        if len(plan.clip_frames) == 1:
            return self.generator.generate(request, progress)
        parts: list[np.ndarray] = []
        timings: dict[str, float] = {}
        for index, frames in enumerate(plan.clip_frames):
            progress.clip(index, len(plan.clip_frames))
            clip = replace(
                request,
                num_frames=frames,
                seed=(request.seed + index) % (MAX_SEED + 1),
                first_frame=request.first_frame if index == 0 else parts[-1][-1],
            )
            generated = self.generator.generate(clip, progress)
            # Later clips repeat their conditioning frame as frame 0: keep it once.
            parts.append(generated.frames if index == 0 else generated.frames[1:])
            for stage, seconds in generated.timings.items():
                timings[stage] = timings.get(stage, 0.0) + seconds
        return Generated(frames=np.concatenate(parts), timings=timings)

    def _encode(self, job: JobInput, frames, fps: int) -> list[PendingAsset]:
        buckets = self.settings
        if job.jobType == "video":
            folder = f"{job.userId}/videos/{job.videoId or job.jobId}"
            return [
                PendingAsset("thumbnail", buckets.bucket_thumbnails, f"{folder}/thumbnail.jpg",
                             encode_jpeg(frames[0], max_side=480), "image/jpeg"),
                PendingAsset("video", buckets.bucket_videos, f"{folder}/video.mp4",
                             encode_mp4(frames, fps), "video/mp4"),
            ]  # fmt: skip
        if job.jobType == "preview":
            folder = f"{job.userId}/videos/{job.videoId or job.jobId}"
            return [
                PendingAsset("preview", buckets.bucket_previews, f"{folder}/preview.jpg",
                             encode_jpeg(frames[0], quality=92), "image/jpeg"),
            ]  # fmt: skip
        folder = f"{job.userId}/images/{job.imageId or job.jobId}"
        return [
            PendingAsset("thumbnail", buckets.bucket_thumbnails, f"{folder}/thumbnail.jpg",
                         encode_jpeg(frames[0], max_side=480), "image/jpeg"),
            PendingAsset("image", buckets.bucket_images, f"{folder}/image.png",
                         encode_png(frames[0]), "image/png"),
        ]  # fmt: skip

    def _upload_all(self, pending: list[PendingAsset]) -> list[StoredObject]:
        stored: list[StoredObject] = []
        try:
            for asset in pending:
                stored.append(self.storage.upload(asset.bucket, asset.path, asset.data, asset.content_type))
        except BaseException:
            # A failed job leaves nothing behind: remove what this job already uploaded.
            for done in stored:
                try:
                    self.storage.remove(done.bucket, done.path)
                except Exception:  # noqa: BLE001 - report the original failure, not the cleanup
                    log.warning("could not remove %s/%s after a failed upload", done.bucket, done.path)
            raise
        return stored


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


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {stage: round(seconds, 4) for stage, seconds in timings.items()}
