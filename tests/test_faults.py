"""Faults injected at each stage on the tiny model: clear failure, nothing stored, next job fine."""

from __future__ import annotations

import imageio_ffmpeg
import pytest
import torch

from conftest import make_job, make_settings, stored_files
from ourvidz_worker.errors import StorageError
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage


def _raise(exc: Exception):
    def fail(*args, **kwargs):
        raise exc

    return fail


FAULTS = [
    # (component attribute, exception, expected code, stage named, refresh requested)
    ("text_encoder", torch.OutOfMemoryError("CUDA out of memory"), "out_of_memory", "encode_prompt", False),
    ("transformer", torch.OutOfMemoryError("CUDA out of memory"), "out_of_memory", "denoise", False),
    ("vae", torch.OutOfMemoryError("CUDA out of memory"), "out_of_memory", "decode", False),
    (
        "transformer",
        torch.AcceleratorError("CUDA error: an illegal memory access"),
        "generation_error",
        "denoise",
        True,
    ),
    ("vae", RuntimeError("cuDNN error: CUDNN_STATUS_INTERNAL_ERROR"), "generation_error", "decode", False),
]


@pytest.mark.parametrize(("component", "exc", "code", "stage", "refresh"), FAULTS)
def test_model_fault_fails_job_then_next_job_succeeds(
    worker, tiny_model, output_dir, monkeypatch, component, exc, code, stage, refresh
):
    module = getattr(tiny_model.pipe, component)
    method = "decode" if component == "vae" else "forward"
    with monkeypatch.context() as patch:
        patch.setattr(module, method, _raise(exc))
        result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == code
    assert stage in result["errorMessage"]
    assert result.get("refresh_worker", False) is refresh
    assert stored_files(output_dir) == []

    assert worker.run(make_job("video"))["status"] == "completed"


def test_encoder_fault_fails_the_job_without_uploading(worker, output_dir, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(imageio_ffmpeg._io, "get_ffmpeg_exe", lambda: "/bin/false")
        result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == "encoding_error", result
    assert stored_files(output_dir) == []
    assert worker.run(make_job("video"))["status"] == "completed"


class FailingOnBucket(LocalStorage):
    """Local storage whose uploads to one bucket fail, as a storage outage would."""

    def __init__(self, root, bucket):
        super().__init__(root)
        self.bucket = bucket

    def upload(self, bucket, path, data, content_type, *, deadline=None):
        if bucket == self.bucket:
            raise StorageError("upload failed: 503 Service Unavailable", status="503")
        return super().upload(bucket, path, data, content_type, deadline=deadline)


def test_failed_main_upload_removes_the_thumbnail_already_stored(tiny_model, output_dir):
    storage = FailingOnBucket(output_dir, "videos-final")
    worker = Worker(make_settings(output_dir=output_dir), VideoGenerator(tiny_model), storage)
    result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == "storage_error"
    assert "503" in result["errorMessage"]
    assert stored_files(output_dir) == []  # the thumbnail uploaded first was removed again


def test_deadline_stops_denoising_between_steps(tiny_model, output_dir):
    settings = make_settings(output_dir=output_dir, job_timeout=1e-6)
    worker = Worker(settings, VideoGenerator(tiny_model), LocalStorage(output_dir))
    result = worker.run(make_job("video", steps=5))
    assert result["status"] == "failed" and result["errorCode"] == "generation_error"
    assert "deadline" in result["errorMessage"] and "after step 1 of 5" in result["errorMessage"]
    assert stored_files(output_dir) == []


def test_an_unexpected_bug_fails_the_job_cleanly_and_the_worker_keeps_serving(worker, output_dir, monkeypatch):
    import ourvidz_worker.service as service

    with monkeypatch.context() as patch:
        patch.setattr(service, "encode_asset", _raise(KeyError("surprise")))
        result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == "internal_error"
    assert "KeyError" in result["errorMessage"]
    assert stored_files(output_dir) == []
    assert worker.run(make_job("video"))["status"] == "completed"
