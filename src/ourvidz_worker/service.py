"""Runs one job as numbered steps: validate → resolve → generate → encode → upload → result.

Never imports runpod: the handler injects progress, so the same code runs under RunPod, the
local API server and tests. Every failure becomes a `FailedResult`; nothing is uploaded for a
failed job, and objects already uploaded by a failing job are removed again.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from .callback import CallbackSender, callback_payload
from .config import Settings
from .contract import (
    ASPECT_SIZES,
    DEFAULT_ASPECT,
    DEFAULT_FPS,
    MAX_SEED,
    UUID_PATTERN,
    Asset,
    FailedResult,
    JobInput,
    JobResult,
    parse_job_input,
)
from .enhance import TEMPLATE_ENHANCER, enhance_prompt
from .errors import ConfigurationError, InvalidInputError, WorkerError
from .logs import job_context, secret_values
from .media import encode_jpeg, encode_mp4, encode_png
from .pipeline import GenerationRequest, VideoGenerator
from .profiles import PROFILES
from .progress import Progress, ProgressSender
from .storage import Storage, StoredObject

log = logging.getLogger(__name__)

STILL_JOBS = ("preview", "image")


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
    ) -> None:
        self.settings = settings
        self.generator = generator
        self.storage = storage
        self.callback = callback
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
        except WorkerError as exc:
            log.warning("job failed", extra={"errorCode": exc.code, "error": exc.message})
            return failure(job_id, exc, self._secrets)
        except Exception as exc:
            log.exception("job failed unexpectedly")
            error = WorkerError(f"internal error: {type(exc).__name__}: {exc}")
            error.code = "internal_error"
            return failure(job_id, error, self._secrets)
        log.info("job completed", extra={"timings": result["timings"], "outputs": _locations(result)})
        return result

    def _run(self, raw_input: Any, progress: Progress) -> JobResult:
        started = time.perf_counter()
        timings: dict[str, float] = {}

        # 1. Validate the input against the contract.
        job = parse_job_input(raw_input)

        # 2. Enhancement needs no model.
        if job.jobType == "enhance":
            enhanced = enhance_prompt(job.prompt, job.characterDescription)
            timings["total"] = time.perf_counter() - started
            return JobResult(
                jobId=job.jobId,
                outputUrl=None,
                enhancedPrompt=enhanced,
                enhancer=TEMPLATE_ENHANCER,
                jobType=job.jobType,
                timings=_rounded(timings),
                ignoredFields=job.ignored_fields,
            )

        # 3. Resolve options into a complete request within the model's limits.
        request, fps = self.resolve(job)

        # 4. Generate frames, stopping between steps if the job's deadline passes.
        deadline = time.monotonic() + self.settings.job_timeout - (time.perf_counter() - started)
        generated = self.generator.generate(replace(request, deadline=deadline), progress)
        timings.update(generated.timings)

        # 5. Encode them into the files the platform serves.
        encode_started = time.perf_counter()
        progress.stage("encode")
        pending = self._encode(job, generated.frames, fps)
        timings["encode"] = time.perf_counter() - encode_started

        # 6. Upload (main asset last) and collect signed/readable URLs.
        upload_started = time.perf_counter()
        progress.stage("upload")
        stored = self._upload_all(pending)
        timings["upload"] = time.perf_counter() - upload_started
        timings["total"] = time.perf_counter() - started

        # 7. Report exactly what was produced.
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
        frames = request.num_frames
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
            model=self.generator.model.model_id,
            timings=_rounded(timings),
            ignoredFields=job.ignored_fields,
        )

    def resolve(self, job: JobInput) -> tuple[GenerationRequest, int]:
        """Fill defaults and check what depends on the loaded model."""
        options = self.settings
        meta = job.metadata
        if meta.width is not None:
            width, height = meta.width, meta.height
        else:
            width, height = ASPECT_SIZES[meta.aspect or DEFAULT_ASPECT]
        max_frames = self.generator.model.max_frames
        if job.jobType in STILL_JOBS:
            num_frames = 1
        else:
            num_frames = meta.numFrames if meta.numFrames is not None else min(81, max_frames)
            if num_frames > max_frames:
                raise InvalidInputError(
                    f"metadata.numFrames: at most {max_frames} frames for this model (got {num_frames})",
                    details=[
                        {
                            "field": "metadata.numFrames",
                            "message": f"at most {max_frames} frames for this model (got {num_frames})",
                        }
                    ],
                )
        seed = meta.seed if meta.seed is not None else secrets.randbelow(MAX_SEED + 1)
        profile = PROFILES[meta.quality or options.default_quality]
        if profile.adapter is not None and not self.generator.has_adapter(profile.adapter):
            raise ConfigurationError(
                f"quality '{profile.name}' needs a step-distillation LoRA: set OURVIDZ_TURBO_LORA to its"
                " .safetensors file on the volume"
            )
        loras = self._check_loras(meta.loras or [])
        request = GenerationRequest(
            prompt=job.prompt,
            negative_prompt=meta.negativePrompt or "",
            width=width,
            height=height,
            num_frames=num_frames,
            steps=meta.steps or profile.steps,
            guidance_scale=float(meta.guidanceScale if meta.guidanceScale is not None else profile.guidance_scale),
            flow_shift=float(meta.flowShift or profile.flow_shift or options.default_flow_shift),
            seed=seed,
            profile=profile,
            loras=loras,
        )
        return request, meta.fps or DEFAULT_FPS

    def _check_loras(self, choices: list) -> tuple[tuple[str, float], ...]:
        """Every named LoRA must exist in the LoRA folder; load each on first use."""
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


def failure(job_id: str | None, error: WorkerError, secrets: list[str] = ()) -> dict[str, Any]:
    def scrub(text: str) -> str:  # a third-party message may quote a credential; never pass it on
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    message = scrub(error.message)
    result = FailedResult(
        error=f"{error.code}: {message}",
        jobId=job_id,
        errorMessage=message,
        errorCode=error.code,
        errorDetails=[{**d, "message": scrub(d["message"])} for d in error.details],
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
