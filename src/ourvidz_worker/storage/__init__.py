"""Storage behind one small interface: upload bytes to (bucket, path), remove, sign.

Backends: `LocalStorage` (a folder per bucket; the default when no Supabase credentials are set)
and `SupabaseStorage` (private buckets, signed URLs). Both enforce the platform's bucket limits
before any byte moves, and both use the production object layout.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from ..errors import AssetRejectedError, StorageError

MB = 1024 * 1024


@dataclass(frozen=True)
class BucketRule:
    max_bytes: int
    mime_types: tuple[str, ...]

    def allows(self, content_type: str) -> bool:
        major = content_type.split("/", 1)[0]
        return any(m == content_type or m == f"{major}/*" for m in self.mime_types)


IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
# The platform's buckets (all private); limits as configured on the Supabase project.
BUCKET_RULES: dict[str, BucketRule] = {
    "videos-final": BucketRule(100 * MB, ("video/mp4", "video/webm")),
    "scene-previews": BucketRule(10 * MB, IMAGE_TYPES),
    "video-thumbnails": BucketRule(5 * MB, IMAGE_TYPES),
    "character-images": BucketRule(5 * MB, IMAGE_TYPES),
}

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ObjectNotFoundError(StorageError):
    """The object asked for does not exist."""

    code = "object_not_found"


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    path: str
    content_type: str
    size: int
    sha256: str
    url: str

    @classmethod
    def of(cls, bucket: str, path: str, data: bytes, content_type: str, url: str) -> StoredObject:
        """What a backend stored, described from the bytes it was given."""
        return cls(bucket, path, content_type, len(data), sha256_hex(data), url)


class Storage(Protocol):
    def upload(self, bucket: str, path: str, data: bytes, content_type: str) -> StoredObject:
        """Store `data` at bucket/path, replacing what is there; return it with a readable URL."""

    def remove(self, bucket: str, path: str) -> None:
        """Delete bucket/path if it exists."""

    def download(self, bucket: str, path: str) -> bytes:
        """Read bucket/path with the worker's own credentials; ObjectNotFoundError when absent."""


def check_object_path(path: str) -> None:
    """Paths are built from validated UUIDs; this guards against any future misuse."""
    segments = path.split("/")
    if len(segments) < 2 or not all(_SEGMENT.match(s) and ".." not in s for s in segments):
        raise ValueError(f"unsafe object path {path!r}")


def check_asset(bucket: str, data: bytes, content_type: str) -> None:
    """Fail before uploading what the bucket would reject (size over limit, MIME not allowed)."""
    rule = BUCKET_RULES.get(bucket)
    if rule is None:
        return
    if len(data) > rule.max_bytes:
        raise AssetRejectedError(
            f"{content_type} of {len(data)} bytes exceeds bucket {bucket!r} limit of {rule.max_bytes} bytes",
            status="413",
            storage_code="Payload too large",
        )
    if not rule.allows(content_type):
        raise AssetRejectedError(
            f"bucket {bucket!r} accepts {', '.join(rule.mime_types)}, not {content_type}",
            status="415",
            storage_code="invalid_mime_type",
        )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
