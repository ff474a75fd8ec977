"""SupabaseStorage against a local server that speaks Supabase Storage's wire protocol.

Everything goes through the real `supabase` client (storage3 over httpx) and tuspy; only the
server is fake (tests/fake_supabase.py), and it injects the failures production meets.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from storage3.exceptions import StorageApiError
from supabase import ClientOptions, create_client

from conftest import make_job, make_settings
from fake_supabase import MB, Bucket, FakeSupabase, running
from ourvidz_worker import storage as storage_module
from ourvidz_worker.config import Settings
from ourvidz_worker.errors import AssetRejectedError, ConfigurationError, StorageError
from ourvidz_worker.models import LoadedModel
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.service import Worker
from ourvidz_worker.storage import BucketRule
from ourvidz_worker.storage.supabase import TUS_CHUNK_SIZE, SupabaseStorage

USER = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
THUMB = ("video-thumbnails", f"{USER}/videos/v1/thumbnail.jpg")
VIDEO = ("videos-final", f"{USER}/videos/v1/video.mp4")
JPEG = b"\xff\xd8\xff\xe0" + b"thumbnail" * 100


def supabase_settings(fake: FakeSupabase, **overrides: Any) -> Settings:
    """Settings pointing at the fake, with timeouts and backoff small enough for tests."""
    values: dict[str, Any] = {
        "supabase_url": fake.url,
        "supabase_service_key": fake.service_key,
        "supabase_timeout": 1.0,
        "supabase_min_upload_rate": 50 * MB,
        "supabase_attempts": 3,
        "supabase_backoff": 0.01,
    }
    values.update(overrides)
    return make_settings(**values)


@pytest.fixture
def fake() -> Iterator[FakeSupabase]:
    with running() as server:
        yield server


def connected(settings: Settings, fake: FakeSupabase) -> SupabaseStorage:
    """A backend as start-up leaves it: the buckets' rules read from the server (the reads forgotten)."""
    backend = SupabaseStorage.from_settings(settings)
    backend.connect()
    fake.requests.clear()
    return backend


@pytest.fixture
def storage(fake: FakeSupabase) -> Iterator[SupabaseStorage]:
    backend = connected(supabase_settings(fake), fake)
    yield backend
    backend.close()


@pytest.fixture
def supabase_worker(fake: FakeSupabase, tiny_model: LoadedModel) -> Worker:
    settings = supabase_settings(fake)
    return Worker(settings, VideoGenerator(tiny_model), connected(settings, fake))


def big_video(size: int = 20 * MB) -> bytes:
    # Distinct bytes everywhere, so a chunk stored at the wrong offset cannot go unnoticed.
    return os.urandom(size)


def download(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)  # no apikey, no Authorization: the URL alone must do


# -- a whole job -------------------------------------------------------------------------------


def test_video_job_uploads_private_assets_readable_by_signed_url(fake: FakeSupabase, supabase_worker: Worker):
    job = make_job("video")
    result = supabase_worker.run(job)

    assert result["status"] == "completed", result
    by_kind = {asset["kind"]: asset for asset in result["assets"]}
    assert set(by_kind) == {"thumbnail", "video"}
    assert (by_kind["video"]["bucket"], by_kind["video"]["contentType"]) == ("videos-final", "video/mp4")
    assert (by_kind["thumbnail"]["bucket"], by_kind["thumbnail"]["contentType"]) == ("video-thumbnails", "image/jpeg")
    assert result["outputUrl"] == by_kind["video"]["url"]

    for asset in by_kind.values():
        # RLS lets a user read only objects under their own id.
        assert asset["path"].split("/")[0] == job["userId"]
        stored = fake.objects[(asset["bucket"], asset["path"])]
        assert stored.content_type == asset["contentType"]
        assert stored.cache_control == "max-age=31536000"
        # Signed, absolute, and the bytes are exactly what the result describes.
        assert asset["url"].startswith(f"{fake.url}/storage/v1/object/sign/{asset['bucket']}/")
        response = download(asset["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == asset["contentType"]
        assert response.content == stored.data
        assert hashlib.sha256(response.content).hexdigest() == asset["sha256"]
        assert len(response.content) == asset["bytes"]
        # The same object through a public URL is unreadable: the bucket is private.
        public = f"{fake.url}/storage/v1/object/public/{asset['bucket']}/{asset['path']}"
        assert download(public).status_code == 400
    assert download(by_kind["video"]["url"]).content[4:8] == b"ftyp"

    uploads = fake.seen("POST", "/storage/v1/object/")
    uploads = [r for r in uploads if "/object/sign/" not in r.path]
    assert [r.file_content_type for r in uploads] == ["image/jpeg", "video/mp4"]
    for request in uploads:
        assert request.headers["x-upsert"] == "true"
        assert request.headers["content-type"].startswith("multipart/form-data")
        assert request.cache_control == "31536000"
        assert request.headers["authorization"] == f"Bearer {fake.service_key}"


def test_rerunning_a_job_overwrites_leaving_one_object_per_asset(fake: FakeSupabase, supabase_worker: Worker):
    job = make_job("video")
    first = supabase_worker.run(job)
    first_ids = {key: stored.id for key, stored in fake.objects.items()}
    second = supabase_worker.run(job)

    assert first["status"] == second["status"] == "completed", second
    assert set(fake.objects) == {(a["bucket"], a["path"]) for a in second["assets"]}
    assert len(fake.objects) == 2
    # Replaced in place, as storage-api upserts: the same object, a new version.
    assert all(fake.objects[key].id == first_ids[key] and fake.objects[key].version == 2 for key in first_ids)
    for asset in second["assets"]:
        assert download(asset["url"]).content == fake.objects[(asset["bucket"], asset["path"])].data

    # Without x-upsert the server refuses the second write: upsert is what makes re-runs work.
    client = create_client(fake.url, fake.service_key, ClientOptions(httpx_client=httpx.Client(timeout=5)))
    bucket, path = second["assets"][0]["bucket"], second["assets"][0]["path"]
    with pytest.raises(StorageApiError, match="Duplicate"):
        client.storage.from_(bucket).upload(path, JPEG, file_options={"content-type": "image/jpeg"})


def test_job_fails_and_leaves_no_asset_when_the_video_upload_keeps_failing(fake: FakeSupabase, tiny_model):
    # Denoising must end within 4 s (a tiny job takes well under one, even on a busy machine); the
    # video then retries a refusing storage until the job's 12 s are up.
    settings = supabase_settings(fake, job_timeout=12.0, delivery_reserve=8.0)
    worker = Worker(settings, VideoGenerator(tiny_model), connected(settings, fake))
    fake.inject("status", status=503, times=10_000, path="video.mp4")
    result = worker.run(make_job("video"))

    assert result["status"] == "failed"
    assert result["errorCode"] == "storage_error"
    assert "503" in result["errorMessage"] and "of storage being unreachable" in result["errorMessage"]
    assert len([r for r in fake.seen("POST") if r.path.endswith("video.mp4")]) > settings.supabase_attempts
    # The thumbnail went up first, then was removed again.
    assert fake.seen("POST", "thumbnail.jpg")
    assert fake.seen("DELETE", "/object/video-thumbnails")
    assert fake.objects == {} and result["leftoverObjects"] == []


def test_job_fails_cleanly_when_storage_stays_too_slow(fake: FakeSupabase, tiny_model: LoadedModel):
    settings = supabase_settings(fake, supabase_timeout=0.3, supabase_attempts=2)
    worker = Worker(settings, VideoGenerator(tiny_model), connected(settings, fake))
    fake.inject("stall", seconds=3.0, times=100, path="thumbnail.jpg")  # a small asset: the short budget
    result = worker.run(make_job("video"))

    assert result["status"] == "failed"
    assert result["errorCode"] == "storage_error"
    assert "timed out after 2 attempts" in result["errorMessage"]
    assert fake.objects == {}


class RestartingAfterFirstUpload(SupabaseStorage):
    """Restarts the server (down for `seconds`) as soon as the job's first asset is stored."""

    def __init__(self, *args, fake: FakeSupabase, seconds: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fake, self.seconds, self.uploads = fake, seconds, 0

    def upload(self, *args, **kwargs):
        stored = super().upload(*args, **kwargs)
        self.uploads += 1
        if self.uploads == 1:
            self.fake.restart(self.seconds)
        return stored


def restarting_worker(fake: FakeSupabase, tiny_model: LoadedModel, seconds: float, **overrides) -> Worker:
    settings = supabase_settings(fake, **overrides)
    storage = RestartingAfterFirstUpload(
        fake.url, fake.service_key, fake=fake, seconds=seconds, timeout=1.0, attempts=3, backoff=0.05
    )
    storage.connect()
    return Worker(settings, VideoGenerator(tiny_model), storage)


def test_a_finished_video_survives_a_storage_restart(fake: FakeSupabase, tiny_model: LoadedModel):
    # The server is away for 3 s, longer than the 3 attempts a small asset gets (about 0.2 s of
    # backoff here): the video keeps trying until the job's deadline and gets through.
    worker = restarting_worker(fake, tiny_model, seconds=3.0)
    result = worker.run(make_job("video"))
    assert result["status"] == "completed", result
    video_posts = [r for r in fake.seen("POST", "/object/videos-final/")]
    assert len(video_posts) > 3 and {r.fault for r in video_posts[:-1]} == {"down"}
    assert download(result["outputUrl"]).content == fake.objects[(result["assets"][-1]["bucket"],
                                                                   result["assets"][-1]["path"])].data  # fmt: skip


def test_objects_a_failed_job_cannot_remove_are_reported_and_a_rerun_overwrites_them(
    fake: FakeSupabase, tiny_model: LoadedModel
):
    # Storage goes down for good after the thumbnail: the video gives up at the deadline and the
    # thumbnail cannot be removed either. The result names it for the finalizer.
    worker = restarting_worker(fake, tiny_model, seconds=3600.0, job_timeout=12.0, delivery_reserve=8.0)
    job = make_job("video")
    result = worker.run(job)
    assert result["status"] == "failed" and result["errorCode"] == "storage_error"
    assert "of storage being unreachable" in result["errorMessage"]
    (left,) = result["leftoverObjects"]
    assert left == {"bucket": "video-thumbnails", "path": f"{job['userId']}/videos/{job['videoId']}/thumbnail.jpg"}
    assert set(fake.objects) == {(left["bucket"], left["path"])}

    fake.up()
    worker.storage.uploads = 2  # no more restarts
    again = worker.run(job)
    assert again["status"] == "completed", again
    assert set(fake.objects) == {(a["bucket"], a["path"]) for a in again["assets"]}  # the leftover overwritten


# -- standard uploads: retries and errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("status", {"status": 500, "times": 2}),
        ("status", {"status": 503, "times": 2, "body": b"<html>503 Service Temporarily Unavailable</html>"}),
        ("reset", {"times": 2}),
        ("reset", {"times": 1, "after_bytes": 100}),
        ("stall", {"times": 1, "seconds": 2.0}),
    ],
)
def test_transient_failures_are_retried_to_success(
    fake: FakeSupabase, storage: SupabaseStorage, kind: str, options: dict
):
    fake.inject(kind, method="POST", path="/object/video-thumbnails/", **options)  # type: ignore[arg-type]
    stored = storage.upload(*THUMB, JPEG, "image/jpeg")

    attempts = fake.seen("POST", "/object/video-thumbnails/")
    assert len(attempts) == options["times"] + 1
    assert [r.fault for r in attempts] == [kind] * options["times"] + [None]
    assert download(stored.url).content == JPEG


def test_signing_is_retried_too(fake: FakeSupabase, storage: SupabaseStorage):
    fake.inject("status", status=502, times=2, path="/object/sign/")
    stored = storage.upload(*THUMB, JPEG, "image/jpeg")
    assert len(fake.seen("POST", "/object/sign/")) == 3
    assert download(stored.url).content == JPEG


@pytest.mark.parametrize(
    ("kind", "options", "code", "text"),
    [
        ("status", {"status": 503}, "injected", "status 503"),
        ("reset", {}, "connection_error", "lost its connection"),
        ("stall", {"seconds": 2.0}, "timeout", "timed out"),
    ],
)
def test_persistent_failures_fail_clearly_after_the_retry_budget(
    fake: FakeSupabase, storage: SupabaseStorage, kind: str, options: dict, code: str, text: str
):
    fake.inject(kind, times=100, method="POST", **options)  # type: ignore[arg-type]
    with pytest.raises(StorageError) as caught:
        storage.upload(*THUMB, JPEG, "image/jpeg")

    assert caught.value.storage_code == code
    assert text in caught.value.message and "after 3 attempts" in caught.value.message
    assert f"{THUMB[0]}/{THUMB[1]}" in caught.value.message
    assert len(fake.seen("POST")) == 3
    assert fake.objects == {}


def test_a_failed_signature_removes_the_uploaded_object(fake: FakeSupabase, storage: SupabaseStorage):
    fake.inject("status", status=500, times=100, path="/object/sign/")
    with pytest.raises(StorageError, match="signing"):
        storage.upload(*THUMB, JPEG, "image/jpeg")
    assert fake.seen("POST", f"/object/{THUMB[0]}/")  # it was uploaded ...
    assert fake.objects == {}  # ... and removed, since the caller never got to know it


def test_client_errors_are_not_retried(fake: FakeSupabase, storage: SupabaseStorage):
    with pytest.raises(StorageError) as caught:
        storage.upload("no-such-bucket", f"{USER}/x/file.jpg", JPEG, "image/jpeg")
    assert (caught.value.status, caught.value.storage_code) == ("404", "Bucket not found")
    assert "Bucket not found" in caught.value.message
    assert len(fake.requests) == 1


def test_server_side_limits_surface_as_asset_rejected_without_retry(fake: FakeSupabase, storage: SupabaseStorage):
    fake.global_limit = 1 * MB  # a project limit below the bucket's: only the server knows it
    with pytest.raises(AssetRejectedError) as caught:
        storage.upload(*VIDEO, b"\0" * (2 * MB), "video/mp4")
    assert (caught.value.status, caught.value.storage_code) == ("413", "Payload too large")
    assert caught.value.code == "asset_rejected"
    assert len(fake.requests) == 1


def test_the_deadline_bounds_a_main_asset_and_the_error_says_how_long_storage_was_away(
    fake: FakeSupabase, storage: SupabaseStorage
):
    fake.down()
    with pytest.raises(StorageError) as caught:
        storage.upload(*THUMB, JPEG, "image/jpeg", deadline=time.monotonic() + 2.0)
    assert caught.value.status == "502"
    assert len(fake.seen("POST")) > storage.attempts  # past the small assets' budget, up to the deadline
    assert re.search(r"over \d+ s of storage being unreachable", caught.value.message)


@pytest.mark.parametrize(
    ("bucket", "size", "content_type"),
    [
        ("video-thumbnails", 5 * MB + 1, "image/jpeg"),
        ("videos-final", 100 * MB + 1, "video/mp4"),
        ("videos-final", 1000, "image/gif"),
        ("video-thumbnails", 1000, "text/plain;charset=UTF-8"),
    ],
)
def test_over_limit_or_wrong_type_fails_before_any_request(
    fake: FakeSupabase, storage: SupabaseStorage, bucket: str, size: int, content_type: str
):
    with pytest.raises(AssetRejectedError):
        storage.upload(bucket, f"{USER}/videos/v1/asset", b"\0" * size, content_type)
    assert fake.requests == []


def test_a_wrong_key_fails_once_and_never_appears_in_messages_or_logs(
    fake: FakeSupabase, caplog: pytest.LogCaptureFixture
):
    secret = "sb-wrong-key-0123456789abcdef"
    backend = SupabaseStorage.from_settings(supabase_settings(fake, supabase_service_key=secret))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as caught:
        backend.upload(*THUMB, JPEG, "image/jpeg")
    assert caught.value.status == "401"
    assert "Invalid API key" in caught.value.message
    assert len(fake.requests) == 1
    for text in (str(caught.value), repr(backend), caplog.text):
        assert secret not in text and fake.service_key not in text


def test_request_timeouts_grow_with_the_body(fake: FakeSupabase):
    # 0.3 s base, 5 MB/s floor: a 5 MB body may take 1.3 s, an empty one 0.3 s.
    backend = SupabaseStorage.from_settings(
        supabase_settings(fake, supabase_timeout=0.3, supabase_min_upload_rate=5 * MB)
    )
    fake.inject("delay", seconds=0.8, method="POST", path="/object/scene-previews/")
    backend.upload("scene-previews", f"{USER}/videos/v1/preview.jpg", b"\xff" * (5 * MB), "image/jpeg")
    assert len(fake.seen("POST", "/object/scene-previews/")) == 1  # waited, no retry

    fake.inject("delay", seconds=0.8, method="POST", path="/object/video-thumbnails/")
    backend.upload(*THUMB, JPEG, "image/jpeg")
    assert len(fake.seen("POST", "/object/video-thumbnails/")) == 2  # small body: timed out once


def test_remove_deletes_the_object_and_tolerates_a_missing_one(fake: FakeSupabase, storage: SupabaseStorage):
    storage.upload(*THUMB, JPEG, "image/jpeg")
    storage.remove(*THUMB)
    assert fake.objects == {}
    storage.remove(*THUMB)  # already gone: not an error
    assert len(fake.seen("DELETE", f"/object/{THUMB[0]}")) == 2


def test_signed_urls_expire_and_are_bound_to_their_object(fake: FakeSupabase, storage: SupabaseStorage):
    stored = storage.upload(*THUMB, JPEG, "image/jpeg")
    other = stored.url.replace("thumbnail.jpg", "other.jpg")
    storage.upload(THUMB[0], THUMB[1].replace("thumbnail.jpg", "other.jpg"), JPEG, "image/jpeg")
    assert download(other).status_code == 400  # a token signs one path only

    fake.clock_offset = storage.signed_url_ttl + 1
    expired = download(stored.url)
    assert expired.status_code == 400 and "jwt expired" in expired.text
    assert download(storage.signed_url(*THUMB)).content == JPEG  # the receiver can re-sign


def test_from_settings_rejects_a_malformed_url():
    settings = make_settings(supabase_url="storage.example", supabase_service_key="k")
    with pytest.raises(ConfigurationError, match="invalid Supabase settings"):
        SupabaseStorage.from_settings(settings)


# -- resumable (TUS) uploads ---------------------------------------------------------------------


def tus_patches(fake: FakeSupabase) -> list[tuple[int, int, str | None]]:
    return [(int(r.headers["upload-offset"]), r.body_size, r.fault) for r in fake.seen("PATCH", "/upload/resumable/")]


def test_large_asset_goes_through_tus_in_6mb_chunks_and_survives_a_dropped_connection(
    fake: FakeSupabase, storage: SupabaseStorage
):
    data = big_video()
    # The second chunk's connection is reset after 1 MB of it arrived.
    fake.inject("reset", method="PATCH", skip=1, after_bytes=1 * MB)
    stored = storage.upload(*VIDEO, data, "video/mp4")

    created = fake.seen("POST", "/upload/resumable")
    assert len(created) == 1  # resumed, not restarted
    assert created[0].tus_metadata == {
        "bucketName": VIDEO[0],
        "objectName": VIDEO[1],
        "contentType": "video/mp4",
        "cacheControl": "31536000",
    }
    headers = created[0].headers
    assert headers["authorization"] == f"Bearer {fake.service_key}"
    assert headers["apikey"] == fake.service_key
    assert headers["x-upsert"] == "true"
    assert headers["upload-length"] == str(len(data))

    six = TUS_CHUNK_SIZE
    assert six == 6 * 1024 * 1024
    assert tus_patches(fake) == [
        (0, six, None),
        (six, 1 * MB, "reset"),
        (six, six, None),  # from the server's offset, learnt by HEAD
        (2 * six, six, None),
        (3 * six, len(data) - 3 * six, None),
    ]
    assert len(fake.seen("HEAD")) == 1
    assert not fake.seen("POST", f"/object/{VIDEO[0]}/")  # never the standard endpoint

    assert fake.objects[VIDEO].via == "resumable"
    assert fake.objects[VIDEO].content_type == "video/mp4"
    assert fake.objects[VIDEO].cache_control == "max-age=31536000"
    assert download(stored.url).content == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_tus_continues_from_the_server_offset_when_an_answer_is_lost(fake: FakeSupabase, storage: SupabaseStorage):
    data = big_video(13 * MB)
    # The server keeps the first chunk but the client never hears so.
    fake.inject("drop_response", method="PATCH")
    storage.upload(*VIDEO, data, "video/mp4")

    six = TUS_CHUNK_SIZE
    assert tus_patches(fake) == [(0, six, "drop_response"), (six, six, None), (2 * six, MB, None)]
    assert fake.objects[VIDEO].data == data


def test_tus_object_is_invisible_until_complete_and_a_failed_upload_is_terminated(
    fake: FakeSupabase, storage: SupabaseStorage
):
    fake.inject("status", status=500, method="PATCH", skip=1, times=100)
    with pytest.raises(StorageError) as caught:
        storage.upload(*VIDEO, big_video(), "video/mp4")

    assert caught.value.status == "500" and "after 3 attempts" in caught.value.message
    assert [offset for offset, _, _ in tus_patches(fake)] == [0] + [TUS_CHUNK_SIZE] * 3
    assert fake.objects == {}  # 6 MB arrived, nothing is visible
    assert fake.seen("DELETE", "/upload/resumable/")
    assert fake.uploads == {}


def test_tus_resumes_after_a_server_restart_in_the_middle(fake: FakeSupabase, storage: SupabaseStorage):
    data = big_video(19 * MB)

    def restart_after_first_chunk() -> None:
        while not [r for r in fake.seen("PATCH") if r.fault is None]:
            time.sleep(0.01)
        fake.restart(2.0)

    watcher = threading.Thread(target=restart_after_first_chunk, daemon=True)
    watcher.start()
    stored = storage.upload(*VIDEO, data, "video/mp4", deadline=time.monotonic() + 120)
    watcher.join(timeout=60)

    assert len(fake.seen("POST", "/upload/resumable")) == 1  # the same upload, resumed from its offset
    assert any(r.fault == "down" for r in fake.requests)
    assert fake.objects[VIDEO].data == data and download(stored.url).content == data


def test_a_patch_the_client_gave_up_on_still_lands_and_the_upload_continues(fake: FakeSupabase):
    # The server takes 2 s over the second chunk; the client's 0.3 s timeout abandons it and the
    # server finishes it anyway (requests to the upload queue behind it meanwhile). Resending the
    # chunk at the old offset would get 409: the client asks the offset first and goes on from
    # there. A main asset: retried until its deadline.
    backend = connected(supabase_settings(fake, supabase_timeout=0.3, supabase_min_upload_rate=1000 * MB), fake)
    fake.inject("delay", method="PATCH", skip=1, seconds=2.0)
    data = big_video(13 * MB)
    backend.upload(*VIDEO, data, "video/mp4", deadline=time.monotonic() + 120)

    six = TUS_CHUNK_SIZE
    assert tus_patches(fake) == [(0, six, None), (six, six, "delay"), (2 * six, MB, None)]
    assert fake.seen("HEAD") and fake.objects[VIDEO].data == data


def test_tus_over_the_server_limit_is_rejected_at_creation(fake: FakeSupabase, storage: SupabaseStorage):
    fake.global_limit = 10 * MB
    with pytest.raises(AssetRejectedError) as caught:
        storage.upload(*VIDEO, big_video(), "video/mp4")
    assert caught.value.status == "413"
    assert len(fake.requests) == 1 and not fake.seen("PATCH")


def test_tus_rerun_overwrites(fake: FakeSupabase, storage: SupabaseStorage):
    storage.upload(*VIDEO, big_video(7 * MB), "video/mp4")
    second = big_video(7 * MB)
    storage.upload(*VIDEO, second, "video/mp4")
    assert list(fake.objects) == [VIDEO]
    assert fake.objects[VIDEO].data == second


# -- start-up check ------------------------------------------------------------------------------


def test_startup_check_accepts_the_platform_buckets(fake: FakeSupabase, storage: SupabaseStorage):
    storage.check()
    assert storage.rules.by_bucket["videos-final"] == BucketRule(100 * MB, ("video/mp4", "video/webm"))
    checked = {r.path.rsplit("/", 1)[-1] for r in fake.seen("GET", "/storage/v1/bucket/")}
    assert checked == {"videos-final", "video-thumbnails", "scene-previews", "character-images"}


def test_startup_check_fails_on_a_missing_bucket_or_a_rejected_key(fake: FakeSupabase, storage: SupabaseStorage):
    del fake.buckets["videos-final"]
    with pytest.raises(ConfigurationError, match=r"videos-final.*Bucket not found"):
        storage.check()

    backend = SupabaseStorage.from_settings(supabase_settings(fake, supabase_service_key="sb-wrong-key-42"))
    with pytest.raises(ConfigurationError, match="Invalid API key") as caught:
        backend.check()
    assert "sb-wrong-key-42" not in str(caught.value)


def test_start_up_refuses_buckets_that_cannot_take_the_workers_files(fake: FakeSupabase):
    fake.buckets["videos-final"] = Bucket(1000, ("video/mp4",))
    fake.buckets["video-thumbnails"] = Bucket(5 * MB, ("text/plain",))
    with pytest.raises(ConfigurationError) as caught:
        SupabaseStorage.from_settings(supabase_settings(fake)).connect()
    message = caught.value.message
    assert "bucket 'videos-final' (videos) allows at most 1000 bytes; the worker needs at least 26214400" in message
    assert "bucket 'video-thumbnails' (thumbnails) allows text/plain, not image/jpeg" in message
    assert not fake.seen("POST")  # nothing was written to find out


def test_a_renamed_bucket_is_checked_under_its_own_name(fake: FakeSupabase):
    fake.buckets["final-cuts"] = Bucket(2000, ("video/mp4",))
    with pytest.raises(ConfigurationError, match=r"bucket 'final-cuts' \(videos\) allows at most 2000 bytes"):
        SupabaseStorage.from_settings(supabase_settings(fake, bucket_videos="final-cuts")).connect()


def test_a_job_is_checked_against_the_servers_limits_before_its_first_upload(
    fake: FakeSupabase, tiny_model: LoadedModel, monkeypatch: pytest.MonkeyPatch
):
    # A limit the start-up floor would refuse, let through here to reach the per-job check.
    monkeypatch.setitem(storage_module.MIN_BUCKET_BYTES, "videos", 0)
    fake.buckets["videos-final"] = Bucket(1000, ("video/mp4",))
    settings = supabase_settings(fake)
    worker = Worker(settings, VideoGenerator(tiny_model), connected(settings, fake))
    result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == "asset_rejected"
    assert re.search(r"bucket 'videos-final' allows at most 1000 bytes, the video is \d+", result["errorMessage"])
    assert fake.requests == [] and fake.objects == {}  # not even the thumbnail was sent


def test_a_key_that_is_not_the_service_role_key_is_named_at_start_up(fake: FakeSupabase):
    anon = fake.key("anon")
    with pytest.raises(ConfigurationError, match=r"not the service-role key \(its role is 'anon'\)") as caught:
        SupabaseStorage.from_settings(supabase_settings(fake, supabase_service_key=anon)).connect()
    assert anon not in str(caught.value) and fake.requests == []


@pytest.mark.parametrize(("gateway", "answer"), [(True, "Invalid API key"), (False, "signature verification failed")])
def test_a_key_signed_by_another_project_is_named_as_rejected(gateway: bool, answer: str):
    # Hosted Supabase's gateway refuses a foreign apikey; storage-api on its own checks the JWT.
    with running(gateway=gateway) as fake:
        foreign = fake.key("service_role", secret="another-projects-jwt-secret-0123456789")
        backend = SupabaseStorage.from_settings(supabase_settings(fake, supabase_service_key=foreign))
        with pytest.raises(ConfigurationError) as caught:
            backend.connect()
    assert "the service-role key was rejected" in caught.value.message and answer in caught.value.message
    assert foreign not in str(caught.value)
