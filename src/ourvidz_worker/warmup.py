"""Warm-up at start-up: one denoising step of every shape the contract's presets produce.

Compiled blocks specialise on shapes, so the first job of each shape would pay compilation (about
20 s on an H100) and lazy CUDA initialisation. The shapes come from planning itself — a default
job of each type, resolution and aspect, with and without each start-up adapter (turbo) — so they
are exactly the shapes jobs get, CPU-scaled defaults included. Sizes a job sets explicitly, or
frame counts other than the default, still compile on first use.
"""

from __future__ import annotations

import logging
import time
import uuid

from .config import Settings
from .contract import JobInput
from .pipeline import VideoGenerator
from .planning import plan_job
from .progress import Progress
from .request import PROFILES, GenerationRequest

log = logging.getLogger(__name__)


def warmup_requests(generator: VideoGenerator, settings: Settings) -> list[GenerationRequest]:
    capabilities = generator.capabilities()
    qualities = ["reference"] + [name for name, p in PROFILES.items() if p.adapter in capabilities.adapters]
    requests: dict[tuple, GenerationRequest] = {}
    for resolution, presets in capabilities.sizes.items():
        for aspect in presets:
            for job_type in ("video", "preview"):
                for quality in qualities:
                    metadata = {"resolution": resolution, "aspect": aspect, "quality": quality, "steps": 1}
                    job = JobInput(
                        jobId=str(uuid.uuid4()), userId=str(uuid.uuid4()), jobType=job_type, prompt="warm-up",
                        metadata=metadata,
                    )  # fmt: skip
                    request = plan_job(job, "warm-up", capabilities, settings, seed=0).request
                    key = (request.width, request.height, request.num_frames, request.profile.adapter)
                    requests.setdefault(key, request)
    return list(requests.values())


def warm_up(generator: VideoGenerator, settings: Settings) -> dict[str, float | int]:
    """Run the warm-up requests; return how many shapes and how long it took."""
    started = time.perf_counter()
    requests = warmup_requests(generator, settings)
    for request in requests:
        generator.generate(request, Progress(None))
    seconds = round(time.perf_counter() - started, 2)
    log.info("warm-up done", extra={"shapes": len(requests), "seconds": seconds})
    return {"shapes": len(requests), "seconds": seconds}
