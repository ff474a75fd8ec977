"""Local-folder storage: `{root}/{bucket}/{path}`, atomic writes, file:// URLs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..config import default_buckets
from ..errors import ObjectNotFoundError, StorageError
from . import BucketRules, StoredObject, check_object_path

FILE_MODE = 0o644


class LocalStorage:
    """`{root}/{bucket}/{path}`; `rules` default to the platform's buckets under their default names."""

    def __init__(self, root: Path, rules: BucketRules | None = None) -> None:
        self.root = root.resolve()
        self.rules = rules or BucketRules.platform(default_buckets())

    def _file(self, bucket: str, path: str) -> Path:
        check_object_path(f"{bucket}/{path}")
        return self.root / bucket / path

    def upload(
        self, bucket: str, path: str, data: bytes, content_type: str, *, deadline: float | None = None
    ) -> StoredObject:
        self.rules.check(bucket, len(data), content_type)
        target = self._file(bucket, path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target, then rename: readers never see a half-written file.
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(temp, FILE_MODE)  # mkstemp makes 0600; a stored object is an ordinary file
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"could not write {bucket}/{path}: {exc.strerror or exc}") from exc
        return StoredObject.of(bucket, path, data, content_type, target.as_uri())

    def remove(self, bucket: str, path: str) -> None:
        self._file(bucket, path).unlink(missing_ok=True)

    def download(self, bucket: str, path: str) -> bytes:
        try:
            return self._file(bucket, path).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(f"{bucket}/{path} does not exist", status="404") from exc
        except OSError as exc:
            raise StorageError(f"could not read {bucket}/{path}: {exc.strerror or exc}") from exc
