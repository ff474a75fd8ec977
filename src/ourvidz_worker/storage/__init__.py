"""Storage behind one small interface: upload bytes to (bucket, path), remove, sign.

Backends: `LocalStorage` (a folder per bucket; the default when no Supabase credentials are set)
and `SupabaseStorage` (private buckets, signed URLs). Each carries the `BucketRules` its buckets
enforce, so a job is checked against them before any byte moves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..errors import AssetRejectedError

MB = 1024 * 1024
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class BucketRule:
    """A bucket's `file_size_limit` (None: no limit of its own) and `allowed_mime_types` (empty: any)."""

    max_bytes: int | None
    mime_types: tuple[str, ...]

    def allows(self, content_type: str) -> bool:
        major = content_type.split("/", 1)[0]
        return not self.mime_types or any(m in (content_type, f"{major}/*", "*/*") for m in self.mime_types)


IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
# The platform's buckets by role (all private), as its Supabase project configures them (FACTS §1).
PLATFORM_RULES: Mapping[str, BucketRule] = {
    "videos": BucketRule(100 * MB, ("video/mp4", "video/webm")),
    "previews": BucketRule(10 * MB, IMAGE_TYPES),
    "images": BucketRule(10 * MB, IMAGE_TYPES),
    "thumbnails": BucketRule(5 * MB, IMAGE_TYPES),
    "characters": BucketRule(5 * MB, IMAGE_TYPES),
}


# The least a bucket the worker writes must allow, by role, for start-up to go ahead: a 5 s 480p
# MP4 is typically 1-5 MB and a 30 s chained video up to ~30 MB; a 720p PNG ~3 MB; a JPEG preview
# ~0.2-0.5 MB and a thumbnail ~0.1 MB. Each asset is still checked against the real limit per job.
MIN_BUCKET_BYTES: Mapping[str, int] = {"videos": 25 * MB, "images": 5 * MB, "previews": 2 * MB, "thumbnails": 1 * MB}


class BucketRules:
    """The rules of the buckets a backend writes, by bucket name; checked before any byte moves."""

    def __init__(self, rules: Mapping[str, BucketRule]) -> None:
        self.by_bucket = dict(rules)

    @classmethod
    def platform(cls, buckets: Mapping[str, str]) -> BucketRules:
        """The platform's documented rules under the configured bucket names (`role -> name`)."""
        return cls({name: PLATFORM_RULES[role] for role, name in reversed(buckets.items())})

    def check(self, bucket: str, size: int, content_type: str, what: str | None = None) -> None:
        """Raise AssetRejectedError when `bucket` would refuse `size` bytes of `content_type`."""
        rule = self.by_bucket.get(bucket)
        if rule is None:
            return
        if rule.max_bytes is not None and size > rule.max_bytes:
            raise AssetRejectedError(
                f"bucket {bucket!r} allows at most {rule.max_bytes} bytes, the {what or content_type} is {size}",
                status="413",
                storage_code="Payload too large",
            )
        if not rule.allows(content_type):
            raise AssetRejectedError(
                f"bucket {bucket!r} accepts {', '.join(rule.mime_types)}, not {content_type}",
                status="415",
                storage_code="invalid_mime_type",
            )

    def problems(self, buckets: Mapping[str, str], written: Mapping[str, tuple[str, ...]]) -> list[str]:
        """Why these rules cannot take what the worker writes (`buckets`: role -> name), one line each."""
        found = []
        for role, types in written.items():
            name = buckets[role]
            rule = self.by_bucket.get(name)
            if rule is None:
                continue
            refused = [t for t in types if not rule.allows(t)]
            if refused:
                found.append(f"bucket {name!r} ({role}) allows {', '.join(rule.mime_types)}, not {', '.join(refused)}")
            floor = MIN_BUCKET_BYTES[role]
            if rule.max_bytes is not None and rule.max_bytes < floor:
                found.append(
                    f"bucket {name!r} ({role}) allows at most {rule.max_bytes} bytes; the worker needs at least {floor}"
                )
        return found


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
    rules: BucketRules  # what each bucket accepts; a job checks every asset against it before uploading

    def upload(
        self, bucket: str, path: str, data: bytes, content_type: str, *, deadline: float | None = None
    ) -> StoredObject:
        """Store `data` at bucket/path, replacing what is there; return it with a readable URL.

        `deadline` (a time.monotonic() value): keep retrying transient failures until then (a job's
        main asset); without one, a backend gives up after its usual few attempts.
        """

    def remove(self, bucket: str, path: str) -> None:
        """Delete bucket/path if it exists."""

    def download(self, bucket: str, path: str) -> bytes:
        """Read bucket/path with the worker's own credentials; ObjectNotFoundError when absent."""


def check_object_path(path: str) -> None:
    """Paths are built from validated UUIDs; this guards against any future misuse."""
    segments = path.split("/")
    if len(segments) < 2 or not all(_SEGMENT.match(s) and ".." not in s for s in segments):
        raise ValueError(f"unsafe object path {path!r}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
