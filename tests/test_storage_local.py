"""The local backend and the checks every backend shares (storage/__init__.py, storage/local.py)."""

from __future__ import annotations

import pytest

from ourvidz_worker.config import default_buckets
from ourvidz_worker.errors import AssetRejectedError, ObjectNotFoundError
from ourvidz_worker.storage import MB, BucketRules, check_object_path
from ourvidz_worker.storage.local import LocalStorage

USER = "9a1f4e27-6c3b-4d85-a2e0-1b7f5d3c8e23"


@pytest.mark.parametrize(
    "path", ["../etc/passwd", f"{USER}/../x", "/abs/path", f"{USER}//x", f"{USER}/.hidden", "single", f"{USER}/a b"]
)
def test_unsafe_paths_are_refused(path):
    with pytest.raises(ValueError, match="unsafe object path"):
        check_object_path(path)


def test_bucket_limits_are_checked_before_upload(tmp_path):
    rules = BucketRules.platform(default_buckets())
    with pytest.raises(AssetRejectedError, match="at most 5242880 bytes"):
        rules.check("video-thumbnails", 5 * MB + 1, "image/jpeg")
    with pytest.raises(AssetRejectedError, match="accepts"):
        rules.check("videos-final", 1, "text/plain")
    rules.check("videos-final", 1, "video/mp4")
    storage = LocalStorage(tmp_path)
    with pytest.raises(AssetRejectedError):
        storage.upload("scene-previews", f"{USER}/videos/v/preview.jpg", b"x", "video/mp4")
    assert list(tmp_path.rglob("*")) == []


def test_upload_replaces_atomically_and_download_reads_back(tmp_path):
    storage = LocalStorage(tmp_path)
    first = storage.upload("scene-previews", f"{USER}/videos/v/preview.jpg", b"one", "image/jpeg")
    second = storage.upload("scene-previews", f"{USER}/videos/v/preview.jpg", b"two!", "image/jpeg")
    assert first.url == second.url and second.size == 4
    assert storage.download("scene-previews", f"{USER}/videos/v/preview.jpg") == b"two!"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["preview.jpg"]  # no temp files left
    storage.remove("scene-previews", f"{USER}/videos/v/preview.jpg")
    with pytest.raises(ObjectNotFoundError):
        storage.download("scene-previews", f"{USER}/videos/v/preview.jpg")


def test_stored_files_are_readable_by_others_like_any_file(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.upload("scene-previews", f"{USER}/videos/v/preview.jpg", b"one", "image/jpeg")
    mode = (tmp_path / "scene-previews" / USER / "videos" / "v" / "preview.jpg").stat().st_mode & 0o777
    assert mode == 0o644
