"""Shared fixtures: the real tiny Wan pipeline (built once per session) and job factories."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from diffusers import WanPipeline
from hypothesis import HealthCheck, settings

from ourvidz_worker.config import Settings
from ourvidz_worker.models import LoadedModel, load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage
from weight_layouts import tiny_reference_pipeline, write_configs, write_original_layout

# Property tests: 1,000 examples each in the everyday run; `HYPOTHESIS_PROFILE=hostile` gives the
# fuzz tests their full 5,000 each (10,000 hostile inputs), which .ci/run runs. No deadline: a busy
# machine is slow, not wrong.
_QUIET = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=1000, **_QUIET)
settings.register_profile("hostile", max_examples=5000, **_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Small but real: 128x128 keeps every stage (UMT5, transformer, VAE, x264) in play at CPU speed.
SMALL = {"width": 128, "height": 128, "numFrames": 9, "steps": 2}


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"model": "tiny", "device": "cpu", "progress_interval": 0.0}
    values.update(overrides)
    return Settings(**values)


def make_job(job_type: str = "video", **metadata: Any) -> dict[str, Any]:
    """A job input exactly as the platform's queue-job function builds it."""
    return {
        "jobId": str(uuid.uuid4()),
        "videoId": str(uuid.uuid4()) if job_type in ("video", "preview") else None,
        "imageId": str(uuid.uuid4()) if job_type == "image" else None,
        "userId": str(uuid.uuid4()),
        "jobType": job_type,
        "prompt": "a lighthouse on a cliff at sunset, waves crashing",
        "characterId": None,
        "metadata": {**SMALL, "seed": 7, **metadata},
        "timestamp": "2026-11-25T12:00:00Z",
    }


@pytest.fixture(scope="session")
def tiny_model() -> LoadedModel:
    return load_model(make_settings())


@pytest.fixture(scope="session")
def reference() -> WanPipeline:
    """The tiny pipeline with a real-shaped VAE that the weights layouts are written from; read-only."""
    return tiny_reference_pipeline()


@pytest.fixture(scope="session")
def layouts(reference: WanPipeline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`reference` saved as a Diffusers folder, as original Wan 2.1 files, and as bare configs; read-only."""
    root = tmp_path_factory.mktemp("layouts")
    reference.save_pretrained(root / "diffusers")
    return {
        "diffusers": root / "diffusers",
        "original": write_original_layout(reference, root / "original"),
        "configs": write_configs(reference, root / "configs"),
    }


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def worker(tiny_model: LoadedModel, output_dir: Path) -> Worker:
    settings = make_settings(output_dir=output_dir)
    return Worker(settings, VideoGenerator(tiny_model), LocalStorage(output_dir))


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
