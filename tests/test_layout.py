"""Where a job's files go (layout.py): under the user's folder, derived from the job's ids, main asset last."""

from __future__ import annotations

import pytest

from conftest import make_job
from ourvidz_worker.config import default_buckets
from ourvidz_worker.contract import parse_job_input
from ourvidz_worker.layout import asset_slots


def slots(job_type: str, buckets=None):
    job = parse_job_input(make_job(job_type))
    return job, [(s.kind, s.bucket, s.path, s.content_type) for s in asset_slots(job, buckets or default_buckets())]


def test_a_video_writes_thumbnail_then_mp4_in_the_videos_folder():
    job, written = slots("video")
    folder = f"{job.userId}/videos/{job.videoId}"
    assert written == [
        ("thumbnail", "video-thumbnails", f"{folder}/thumbnail.jpg", "image/jpeg"),
        ("video", "videos-final", f"{folder}/video.mp4", "video/mp4"),
    ]


def test_preview_and_image_jobs():
    job, written = slots("preview")
    assert written == [("preview", "scene-previews", f"{job.userId}/videos/{job.videoId}/preview.jpg", "image/jpeg")]
    job, written = slots("image")
    assert [w[:3] for w in written] == [
        ("thumbnail", "video-thumbnails", f"{job.userId}/images/{job.imageId}/thumbnail.jpg"),
        ("image", "scene-previews", f"{job.userId}/images/{job.imageId}/image.png"),
    ]


def test_configured_bucket_names_are_used_and_a_missing_row_id_falls_back_to_the_job_id():
    raw = make_job("video")
    raw["videoId"] = None
    job = parse_job_input(raw)
    buckets = {**default_buckets(), "videos": "final-cuts"}
    video = asset_slots(job, buckets)[-1]
    assert video.bucket == "final-cuts" and video.path == f"{job.userId}/videos/{job.jobId}/video.mp4"


def test_an_enhance_job_writes_nothing():
    with pytest.raises(ValueError, match="writes no files"):
        slots("enhance")
