"""A job through `handler.handler` exactly as RunPod calls it, on the real tiny pipeline."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from PIL import Image

import handler as handler_module
from conftest import make_job, stored_files
from media_probe import decode_frames, probe_video


@pytest.fixture
def run_handler(monkeypatch, output_dir: Path):
    monkeypatch.setenv("OURVIDZ_MODEL", "tiny")
    monkeypatch.setenv("OURVIDZ_DEVICE", "cpu")
    monkeypatch.setenv("OURVIDZ_OUTPUT_DIR", str(output_dir))
    monkeypatch.delenv("RUNPOD_ENDPOINT_ID", raising=False)
    monkeypatch.delenv("SUPABASE_URL", raising=False)
    monkeypatch.delenv("SUPABASE_SERVICE_KEY", raising=False)
    handler_module.get_worker.cache_clear()
    yield lambda job_input: handler_module.handler({"id": "test-job", "input": job_input})
    handler_module.get_worker.cache_clear()


def file_of(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def test_video_job_produces_web_ready_mp4_and_thumbnail(run_handler, output_dir):
    job = make_job("video", width=176, height=128, numFrames=13, fps=12)
    result = run_handler(job)

    assert result["status"] == "completed", result
    assert result["errorMessage"] is None and "error" not in result
    assert result["jobId"] == job["jobId"]
    assert (result["width"], result["height"], result["numFrames"], result["fps"]) == (176, 128, 13, 12)
    assert result["durationSeconds"] == pytest.approx(13 / 12, abs=1e-3)
    assert result["seed"] == 7 and result["model"] == "tiny"
    assert set(result["timings"]) >= {"encodePrompt", "denoise", "decode", "encode", "upload", "total"}

    video, thumbnail = (next(a for a in result["assets"] if a["kind"] == kind) for kind in ("video", "thumbnail"))
    assert result["outputUrl"] == video["url"]
    assert video["bucket"] == "videos-final" and video["contentType"] == "video/mp4"
    assert thumbnail["bucket"] == "video-thumbnails" and thumbnail["contentType"] == "image/jpeg"
    for asset in (video, thumbnail):
        assert asset["path"].split("/")[0] == job["userId"]
        path = file_of(asset["url"])
        assert path == output_dir / asset["bucket"] / asset["path"]
        assert path.stat().st_size == asset["bytes"]

    info = probe_video(file_of(video["url"]))
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert (info.width, info.height) == (176, 128)
    assert info.fps == pytest.approx(12)
    assert info.frames == 13
    assert info.top_level_boxes.index("moov") < info.top_level_boxes.index("mdat"), info.top_level_boxes

    image = Image.open(file_of(thumbnail["url"]))
    image.load()
    assert image.format == "JPEG" and image.size == (176, 128)


def test_rerun_overwrites_the_same_objects(run_handler, output_dir):
    job = make_job("video")
    first = run_handler(job)
    files_after_first = stored_files(output_dir)
    second = run_handler(job)
    assert [a["path"] for a in first["assets"]] == [a["path"] for a in second["assets"]]
    assert stored_files(output_dir) == files_after_first  # no duplicates, no temp files left
    assert len(files_after_first) == 2


def test_same_seed_same_frames_and_different_seed_differs(run_handler):
    def frames_for(seed: int) -> np.ndarray:
        result = run_handler(make_job("video", seed=seed))
        return decode_frames(file_of(result["outputUrl"]))

    first, again, other = frames_for(11), frames_for(11), frames_for(12)
    assert np.array_equal(first, again)
    # The random-weight model is smooth, so seeds differ by a few levels, but over much of the frame.
    assert (first != other).mean() > 0.3


def test_preview_is_a_single_still_rendered_directly(run_handler, tiny_model, monkeypatch):
    frames_requested = []
    original = tiny_model.pipe.__class__.__call__

    def spy(pipe, *args, **kwargs):
        frames_requested.append(kwargs["num_frames"])
        return original(pipe, *args, **kwargs)

    monkeypatch.setattr(tiny_model.pipe.__class__, "__call__", spy)
    job = make_job("preview", width=192, height=144, numFrames=81)
    result = run_handler(job)
    assert result["status"] == "completed", result
    assert frames_requested == [1]  # one frame generated, not a video cut down
    assert result["numFrames"] == 1 and result["durationSeconds"] is None
    (preview,) = result["assets"]
    assert preview["kind"] == "preview" and preview["bucket"] == "scene-previews"
    assert preview["path"] == f"{job['userId']}/videos/{job['videoId']}/preview.jpg"
    image = Image.open(io.BytesIO(file_of(preview["url"]).read_bytes()))
    assert image.format == "JPEG" and image.size == (192, 144)


def test_image_job_stores_png_and_thumbnail(run_handler):
    job = make_job("image", seed=3)
    result = run_handler(job)
    assert result["status"] == "completed", result
    kinds = {a["kind"]: a for a in result["assets"]}
    assert set(kinds) == {"image", "thumbnail"}
    assert result["outputUrl"] == kinds["image"]["url"]
    assert kinds["image"]["contentType"] == "image/png"
    assert kinds["image"]["path"] == f"{job['userId']}/images/{job['imageId']}/image.png"
    assert Image.open(file_of(kinds["image"]["url"])).size == (128, 128)


def test_enhance_returns_text_and_writes_nothing(run_handler, output_dir):
    job = make_job("enhance")
    job["characterDescription"] = "a tall woman with silver hair and a green coat"
    result = run_handler(job)
    assert result["status"] == "completed"
    assert result["outputUrl"] is None and result["assets"] == []
    assert result["enhancer"] == "template-v1"
    assert job["prompt"].rstrip(".") in result["enhancedPrompt"]
    assert "silver hair" in result["enhancedPrompt"]
    assert len(result["enhancedPrompt"]) > len(job["prompt"])
    assert stored_files(output_dir) == []


def test_missing_seed_is_chosen_and_returned(run_handler):
    job = make_job("preview")
    del job["metadata"]["seed"]
    result = run_handler(job)
    assert isinstance(result["seed"], int) and 0 <= result["seed"] < 2**32


def test_bad_job_fails_with_field_error_and_writes_nothing(run_handler, output_dir):
    job = make_job("video", numFrames=80)
    result = run_handler(job)
    assert result["status"] == "failed"
    assert result["jobId"] == job["jobId"]
    assert "metadata.numFrames" in result["error"] and "4k+1" in result["error"]
    assert result["errorMessage"] and result["errorCode"] == "invalid_input"
    assert stored_files(output_dir) == []


def test_empty_metadata_on_a_cpu_finishes_quickly_at_scaled_defaults(run_handler):
    job = make_job("video")
    job["metadata"] = None
    result = run_handler(job)
    assert result["status"] == "completed", result
    assert (result["width"], result["height"], result["numFrames"]) == (256, 144, 17)
    assert result["scaledDefaults"]["fields"] == ["width", "height", "numFrames"]
    assert "832x480" in result["scaledDefaults"]["note"] and result["steps"] == 50


def test_a_preview_lists_the_video_options_it_did_not_use(run_handler):
    result = run_handler(make_job("preview", numFrames=5))
    assert result["status"] == "completed" and result["numFrames"] == 1
    assert result["ignoredFields"] == ["metadata.numFrames"]


@pytest.mark.parametrize("field", ["previewPath", "characterImagePath"])
def test_a_missing_conditioning_image_fails_before_generation_even_on_a_text_only_model(
    run_handler, output_dir, tiny_model, monkeypatch, field
):
    calls = []
    # On the class: the handler builds a model of its own.
    monkeypatch.setattr(type(tiny_model.pipe.transformer), "forward", lambda *a, **k: calls.append(1))
    job = make_job("video")
    job["metadata"][field] = f"{job['userId']}/videos/nope/missing.jpg"
    result = run_handler(job)
    assert result["status"] == "failed" and result["errorDetails"][0]["field"] == f"metadata.{field}"
    assert "no such object" in result["errorDetails"][0]["message"]
    assert calls == [] and stored_files(output_dir) == []
