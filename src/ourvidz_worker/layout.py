"""Where a job's files go: the one place that knows the object layout.

Every path starts with the owner's user id (storage RLS lets users read only their own folder)
and is derived from the job's ids alone, so a re-run of the same job overwrites its own objects.
The main asset comes last: it is uploaded last, so a job's `outputUrl` exists only when the rest does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .contract import JobInput

AssetKind = Literal["video", "thumbnail", "preview", "image"]
CONTENT_TYPES: Mapping[AssetKind, str] = {
    "video": "video/mp4",
    "thumbnail": "image/jpeg",
    "preview": "image/jpeg",
    "image": "image/png",
}


# What the worker writes into the bucket of each role (what a bucket's MIME list must allow).
WRITTEN_TYPES: Mapping[str, tuple[str, ...]] = {
    "videos": (CONTENT_TYPES["video"],),
    "thumbnails": (CONTENT_TYPES["thumbnail"],),
    "previews": (CONTENT_TYPES["preview"],),
    "images": (CONTENT_TYPES["image"],),
}


@dataclass(frozen=True)
class AssetSlot:
    kind: AssetKind
    bucket: str
    path: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def asset_slots(job: JobInput, buckets: Mapping[str, str]) -> list[AssetSlot]:
    """The objects a generating job writes, main asset last; `buckets` maps role to bucket name."""
    if job.jobType == "video":
        folder = f"{job.userId}/videos/{job.videoId or job.jobId}"
        return [
            AssetSlot("thumbnail", buckets["thumbnails"], f"{folder}/thumbnail.jpg"),
            AssetSlot("video", buckets["videos"], f"{folder}/video.mp4"),
        ]
    if job.jobType == "preview":
        folder = f"{job.userId}/videos/{job.videoId or job.jobId}"
        return [AssetSlot("preview", buckets["previews"], f"{folder}/preview.jpg")]
    if job.jobType == "image":
        folder = f"{job.userId}/images/{job.imageId or job.jobId}"
        return [
            AssetSlot("thumbnail", buckets["thumbnails"], f"{folder}/thumbnail.jpg"),
            AssetSlot("image", buckets["images"], f"{folder}/image.png"),
        ]
    raise ValueError(f"a {job.jobType} job writes no files")
