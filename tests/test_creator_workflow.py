"""Preview → final, characters and long videos, on the tiny text-only and tiny VACE pipelines."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlparse

import imageio_ffmpeg
import numpy as np
import pytest
import torch

from conftest import make_job, make_settings, stored_files
from media_probe import decode_frames, probe_video
from ourvidz_worker import pipeline
from ourvidz_worker.media import decode_image, encode_jpeg
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.planning import clip_seed, frames_for_duration, plan_clip_frames
from ourvidz_worker.progress import Progress
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage


@pytest.fixture(scope="module")
def vace_model():
    return load_model(make_settings(model="tiny-vace"))


@pytest.fixture
def vace_worker(vace_model, output_dir):
    return Worker(make_settings(output_dir=output_dir), VideoGenerator(vace_model), LocalStorage(output_dir))


def file_of(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def approved_still(width: int = 128, height: int = 128) -> np.ndarray:
    """A still with structure a model could not produce by chance: bright disc on a dark gradient."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[..., 0] = (x * 255 // width).astype(np.uint8)
    image[..., 2] = 40
    disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 4) ** 2
    image[disc] = (250, 230, 60)
    return image


def put_still(output_dir: Path, bucket: str, user_id: str, name: str, image: np.ndarray) -> str:
    path = f"{user_id}/videos/approved/{name}"
    LocalStorage(output_dir).upload(bucket, path, encode_jpeg(image, quality=95), "image/jpeg")
    return path


def first_frame_error(result, still: np.ndarray) -> float:
    assert result["status"] == "completed", result
    frames = decode_frames(file_of(result["outputUrl"]))
    return float(np.abs(frames[0].astype(float) - still.astype(float)).mean())


def test_video_starts_from_the_approved_preview_still(vace_worker, output_dir, monkeypatch):
    still = approved_still()
    job = make_job("video", steps=4)
    job["metadata"]["previewPath"] = put_still(output_dir, "scene-previews", job["userId"], "preview.jpg", still)
    generator = vace_worker.generator
    seen = []
    original = generator.generate
    monkeypatch.setattr(
        generator, "generate", lambda request, *a, **k: seen.append(request) or original(request, *a, **k)
    )

    result = vace_worker.run(job)
    assert result["status"] == "completed", result
    assert result["conditioning"] == {"firstFrame": "preview-still"}
    (request,) = seen
    stored = decode_image((output_dir / "scene-previews" / job["metadata"]["previewPath"]).read_bytes(), 128, 128)
    assert np.array_equal(request.first_frame, stored)  # exactly the approved still, from the user's folder

    # The clip's first frame is the still as the VAE renders it (the closest any Wan model can
    # get): exactly for the conditioned run, not for the same seed without conditioning. The
    # random tiny VAE renders everything close to grey, hence the comparison in its own output.
    rendered = generator.decode(generator.encode_image(request.first_frame))[0].astype(float)
    conditioned = generator.generate(request, Progress(None)).frames[0].astype(float)
    plain = generator.generate(replace(request, first_frame=None), Progress(None)).frames[0].astype(float)
    assert np.abs(conditioned - rendered).mean() == 0.0
    assert np.abs(plain - rendered).mean() > 0.05
    # The exactness comes from holding latent frame 0 on the still at every step: with the VACE
    # mask alone (the anchor switched off) the first frame drifts away from the still.
    monkeypatch.setattr(pipeline, "anchor_first_frame", lambda *args: lambda *a: None)
    masked_only = generator.generate(request, Progress(None)).frames[0].astype(float)
    assert np.abs(masked_only - rendered).mean() > 0.05


def test_text_only_model_reuses_prompt_and_seed_and_says_so(worker, output_dir):
    job = make_job("video")
    job["metadata"]["previewPath"] = put_still(output_dir, "scene-previews", job["userId"], "p.jpg", approved_still())
    result = worker.run(job)
    assert result["status"] == "completed"
    assert result["conditioning"]["firstFrame"] == "prompt-and-seed"
    assert "not conditioned" in result["conditioning"]["note"] and result["seed"] == 7


def test_character_reference_image_changes_the_output(vace_worker, output_dir):
    job = make_job("video", steps=3)
    plain = decode_frames(file_of(vace_worker.run(job)["outputUrl"]))
    reference = approved_still()
    job["metadata"]["characterImagePath"] = put_still(output_dir, "character-images", job["userId"], "c.png", reference)
    result = vace_worker.run(job)
    assert result["conditioning"] == {"character": "reference-image"}
    assert not np.array_equal(decode_frames(file_of(result["outputUrl"])), plain)


def test_text_only_model_uses_the_character_description(worker, output_dir):
    job = make_job("video")
    job["characterDescription"] = "a tall woman with silver hair"
    job["metadata"]["characterImagePath"] = put_still(
        output_dir, "character-images", job["userId"], "c.png", approved_still()
    )
    result = worker.run(job)
    assert result["conditioning"]["character"] == "description"
    assert "not used" in result["conditioning"]["characterNote"]


@pytest.mark.parametrize("field", ["previewPath", "characterImagePath"])
def test_missing_conditioning_image_fails_clearly_before_generation(vace_worker, output_dir, field):
    job = make_job("video")
    job["metadata"][field] = f"{job['userId']}/videos/nope/missing.jpg"
    result = vace_worker.run(job)
    assert result["status"] == "failed" and result["errorCode"] == "invalid_input"
    assert result["errorDetails"][0]["field"] == f"metadata.{field}"
    assert "no such object" in result["errorDetails"][0]["message"]
    assert stored_files(output_dir) == []


@pytest.mark.parametrize(
    "path",
    ["0b6c2f0e-3a51-4c8e-9a57-7d2f1e4b9c01/videos/x/preview.jpg", "../../etc/passwd", "https://evil.example/x.jpg"],
)
def test_conditioning_images_come_only_from_the_users_own_folder(vace_worker, path):
    job = make_job("video")
    job["metadata"]["previewPath"] = path
    result = vace_worker.run(job)
    assert result["status"] == "failed" and result["errorDetails"][0]["field"] == "metadata.previewPath"


def test_a_non_image_object_is_refused(vace_worker, output_dir):
    job = make_job("video")
    path = f"{job['userId']}/videos/x/preview.jpg"
    (output_dir / "scene-previews" / path).parent.mkdir(parents=True)
    (output_dir / "scene-previews" / path).write_bytes(b"<html>not an image</html>")
    job["metadata"]["previewPath"] = path
    result = vace_worker.run(job)
    assert result["status"] == "failed" and result["errorCode"] == "invalid_input"
    (detail,) = result["errorDetails"]
    assert detail["field"] == "metadata.previewPath" and "not a readable image" in detail["message"]


def test_clip_planning_is_exact():
    assert frames_for_duration(30, 16) == 481 and frames_for_duration(5, 16) == 81
    assert plan_clip_frames(81, 81) == [81]
    assert plan_clip_frames(481, 81) == [81] * 6  # 30 s at 16 fps: six 5 s clips sharing joints
    assert plan_clip_frames(485, 81) == [81] * 6 + [5]
    for total in (25, 161, 481):
        clips = plan_clip_frames(total, 81)
        assert clips[0] + sum(n - 1 for n in clips[1:]) == total
        assert all(n % 4 == 1 and n <= 81 for n in clips)


def frame_times(path: Path) -> list[float]:
    report = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-vf", "showinfo", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    return [float(t) for t in re.findall(r"pts_time:([\d.]+)", report)]


def test_three_clip_video_is_one_mp4_with_exact_frames_and_continuous_time(vace_worker):
    updates: list[dict] = []
    job = make_job("video", numFrames=9, fps=8, targetDuration=3.0, steps=2)
    result = vace_worker.run(job, send_progress=updates.append)
    assert result["status"] == "completed", result
    assert result["numFrames"] == 25 and result["conditioning"] == {"clips": 3}
    assert result["durationSeconds"] == pytest.approx(25 / 8, abs=1e-3)

    video = file_of(result["outputUrl"])
    info = probe_video(video)
    assert info.frames == 25 and info.fps == pytest.approx(8)
    times = frame_times(video)
    assert len(times) == 25
    assert np.allclose(np.diff(times), 1 / 8, atol=1e-3)  # constant fps across clip joins

    clips_seen = sorted({u["clip"] for u in updates if "clip" in u})
    assert clips_seen == [1, 2, 3] and all(u["clips"] == 3 for u in updates if "clip" in u)
    assert [u["step"] for u in updates if "step" in u] == [1, 2, 1, 2, 1, 2]


def test_later_clips_continue_from_the_previous_clip(vace_worker, monkeypatch):
    generator = vace_worker.generator
    calls: list[tuple] = []
    original = generator.generate

    def spy(request, *args, **kwargs):
        generated = original(request, *args, **kwargs)
        calls.append((request, generated.frames))
        return generated

    monkeypatch.setattr(generator, "generate", spy)
    job = make_job("video", numFrames=9, fps=8, targetDuration=2.0, steps=2)
    frames = decode_frames(file_of(vace_worker.run(job)["outputUrl"]))
    assert len(frames) == 17
    (first, first_frames), (second, _) = calls
    # Clip 2 starts exactly from clip 1's last frame, with a seed of its own.
    assert first.first_frame is None and np.array_equal(second.first_frame, first_frames[-1])
    assert second.seed == clip_seed(first.seed, 1) != first.seed
    # Frame 8 ends clip 1 and anchors clip 2: the join jumps no more than frames do within the clips.
    jumps = np.abs(np.diff(frames.astype(float), axis=0)).mean(axis=(1, 2, 3))
    assert jumps[8] <= np.delete(jumps, 8).max()


def test_a_failing_clip_fails_the_job_without_uploading(vace_worker, vace_model, output_dir, monkeypatch):
    calls = {"n": 0}
    original = vace_model.pipe.transformer.forward

    def fail_in_second_clip(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 4:  # clip 1 takes 2 steps x 2 (CFG) forwards
            raise torch.OutOfMemoryError("CUDA out of memory")
        return original(*args, **kwargs)

    monkeypatch.setattr(vace_model.pipe.transformer, "forward", fail_in_second_clip)
    result = vace_worker.run(make_job("video", numFrames=9, fps=8, targetDuration=3.0, steps=2))
    assert result["status"] == "failed" and result["errorCode"] == "out_of_memory"
    assert stored_files(output_dir) == []


def test_long_videos_need_an_image_conditioned_model(worker, output_dir):
    result = worker.run(make_job("video", numFrames=9, fps=8, targetDuration=3.0))
    assert result["status"] == "failed"
    assert result["errorDetails"][0]["field"] == "metadata.targetDuration"
    assert "VACE" in result["errorDetails"][0]["message"]
    assert stored_files(output_dir) == []


def test_a_vace_folder_loads_as_an_image_conditioned_model(tmp_path):
    from ourvidz_worker.models import build_tiny_pipeline

    build_tiny_pipeline(vace=True).save_pretrained(tmp_path / "vace")
    model = load_model(make_settings(model=str(tmp_path / "vace")))
    assert model.image_conditioning
    build_tiny_pipeline().save_pretrained(tmp_path / "t2v")
    assert not load_model(make_settings(model=str(tmp_path / "t2v"))).image_conditioning
