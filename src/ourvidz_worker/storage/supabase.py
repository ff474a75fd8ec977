"""Supabase Storage: private buckets, upserted objects, signed URLs.

Up to 6 MB an object goes through the `supabase` client's standard upload (multipart POST with
`x-upsert: true`); above that through TUS resumable upload (tuspy) in the 6 MB chunks Supabase
requires, resuming from the server's offset after a dropped connection. Every request has a
timeout sized for its body, transient failures (timeouts, connection errors, 5xx) are retried
with exponential backoff and jitter, and every third-party exception leaves this module as a
`StorageError` (or `AssetRejectedError`) carrying the server's status, code and message.
The TUS machinery lives in `tus`, the telling and translating of failures in `failures`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urljoin

import httpx
from supabase import Client, ClientOptions, create_client
from tenacity import RetryCallState

from ..config import Settings, default_buckets
from ..errors import ConfigurationError, ObjectNotFoundError, StorageError
from ..logs import scrub
from ..retry import retrying
from . import MB, BucketRules, StoredObject, check_object_path
from .failures import describe, is_transient, translate_error
from .tus import upload_resumable

log = logging.getLogger(__name__)

T = TypeVar("T")

# Supabase: standard upload is "ideal up to 6 MB"; resumable chunks must be exactly 6 MB.
RESUMABLE_THRESHOLD = 6 * MB
TUS_CHUNK_SIZE = 6 * MB
# Objects are per job and never change meaning, so caches may keep them a year. The server
# stores this as `max-age=31536000`; a re-run overwrites in place (same signed-URL path).
CACHE_SECONDS = "31536000"


class SupabaseStorage:
    """The `Storage` backend for production: private buckets, signed URLs only."""

    def __init__(
        self,
        url: str,
        service_key: str,
        *,
        signed_url_ttl: int = 7 * 24 * 3600,
        timeout: float = 30.0,
        min_upload_rate: float = 512 * 1024,
        attempts: int = 4,
        backoff: float = 1.0,
        buckets: Iterable[str] = (),
        rules: BucketRules | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.buckets = tuple(dict.fromkeys(buckets))  # checked at start-up by `check`
        self.rules = rules or BucketRules.platform(default_buckets())
        self._key = service_key
        self.signed_url_ttl = signed_url_ttl
        self.timeout = timeout
        self.min_upload_rate = min_upload_rate
        self.attempts = attempts
        self.backoff = backoff
        # Our own httpx client: storage3's default gives every request 20 s whatever its size.
        self._http = httpx.Client(
            timeout=self.timeout_for(0),
            follow_redirects=True,
            event_hooks={"request": [self._size_timeout]},
        )
        try:
            self._client: Client = create_client(
                self.url,
                service_key,
                ClientOptions(httpx_client=self._http, auto_refresh_token=False, persist_session=False),
            )
        except Exception as exc:  # supabase raises its own and plain exceptions alike
            self._http.close()
            raise ConfigurationError(f"invalid Supabase settings for {self.url!r}: {exc}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> SupabaseStorage:
        if not settings.supabase_url or settings.supabase_service_key is None:
            raise ConfigurationError("SUPABASE_URL and SUPABASE_SERVICE_KEY are required for Supabase storage")
        return cls(
            settings.supabase_url,
            settings.supabase_service_key.get_secret_value(),
            signed_url_ttl=settings.signed_url_ttl,
            timeout=settings.supabase_timeout,
            min_upload_rate=settings.supabase_min_upload_rate,
            attempts=settings.supabase_attempts,
            backoff=settings.supabase_backoff,
            buckets=settings.buckets.values(),
            rules=BucketRules.platform(settings.buckets),
        )

    def __repr__(self) -> str:  # never the key
        return f"SupabaseStorage(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def check(self) -> None:
        """Start-up fitness check: the key is accepted and every bucket the worker uses exists."""
        for bucket in self.buckets:
            try:
                info = self._call(
                    f"checking bucket {bucket}", lambda bucket=bucket: self._client.storage.get_bucket(bucket)
                )
            except StorageError as exc:
                raise ConfigurationError(f"Supabase storage is not usable: {exc.message}") from exc
            if info.public:
                log.warning("bucket %s is public; its objects are readable without a signed URL", bucket)

    # -- the Storage protocol -------------------------------------------------------------------

    def upload(self, bucket: str, path: str, data: bytes, content_type: str) -> StoredObject:
        check_object_path(f"{bucket}/{path}")
        self.rules.check(bucket, len(data), content_type)  # fail before a byte moves
        if len(data) > RESUMABLE_THRESHOLD:
            self._upload_resumable(bucket, path, data, content_type)
        else:
            self._upload_standard(bucket, path, data, content_type)
        try:
            url = self.signed_url(bucket, path)
        except StorageError:
            # The caller never learns of this object, so it could never clean it up.
            self._remove_quietly(bucket, path)
            raise
        return StoredObject.of(bucket, path, data, content_type, url)

    def remove(self, bucket: str, path: str) -> None:
        check_object_path(f"{bucket}/{path}")
        self._call(f"removing {bucket}/{path}", lambda: self._client.storage.from_(bucket).remove([path]))

    def download(self, bucket: str, path: str) -> bytes:
        check_object_path(f"{bucket}/{path}")
        try:
            return self._call(f"downloading {bucket}/{path}", lambda: self._client.storage.from_(bucket).download(path))
        except StorageError as exc:
            if exc.status == "404" or exc.storage_code in ("not_found", "NoSuchKey"):
                raise ObjectNotFoundError(exc.message, status="404", storage_code=exc.storage_code) from exc
            raise

    def signed_url(self, bucket: str, path: str, expires_in: int | None = None) -> str:
        """An absolute URL that reads the private object without credentials until it expires."""
        ttl = expires_in or self.signed_url_ttl
        signed = self._call(
            f"signing {bucket}/{path}",
            lambda: self._client.storage.from_(bucket).create_signed_url(path, ttl),
        )
        url = signed.get("signedURL") or signed.get("signedUrl")
        if not url:
            raise StorageError(f"signing {bucket}/{path} returned no URL", storage_code="no_signed_url")
        # storage3 already joins the server's relative answer onto its base; make sure of it.
        return url if url.startswith(("http://", "https://")) else urljoin(f"{self.url}/storage/v1/", url)

    # -- uploads --------------------------------------------------------------------------------

    def _upload_standard(self, bucket: str, path: str, data: bytes, content_type: str) -> None:
        options = {
            "content-type": content_type,
            "cache-control": CACHE_SECONDS,
            "upsert": "true",  # a string: storage3 passes it on as the x-upsert header
        }
        self._call(
            f"uploading {bucket}/{path}",
            lambda: self._client.storage.from_(bucket).upload(path, data, file_options=options),
        )

    def _upload_resumable(self, bucket: str, path: str, data: bytes, content_type: str) -> None:
        action = f"uploading {bucket}/{path} (resumable)"
        upload_resumable(
            endpoint=f"{self.url}/storage/v1/upload/resumable",
            headers={"Authorization": f"Bearer {self._key}", "apikey": self._key, "x-upsert": "true"},
            data=data,
            chunk_size=TUS_CHUNK_SIZE,
            metadata={
                "bucketName": bucket,
                "objectName": path,
                "contentType": content_type,
                "cacheControl": CACHE_SECONDS,
            },
            timeout_for=self.timeout_for,
            call=lambda step: self._call(action, step),
        )

    # -- retries, timeouts and error translation ------------------------------------------------

    def timeout_for(self, size: int) -> float:
        """Seconds one request may take: the base timeout plus its bytes at the slowest rate."""
        return self.timeout + size / self.min_upload_rate

    def _size_timeout(self, request: httpx.Request) -> None:
        # httpx hook: give each request a read/write timeout sized for its body.
        size = int(request.headers.get("content-length") or 0)
        request.extensions["timeout"] = httpx.Timeout(self.timeout_for(size), connect=self.timeout).as_dict()

    def _call(self, action: str, fn: Callable[[], T]) -> T:
        tries = 0

        def attempt() -> T:
            nonlocal tries
            tries += 1
            return fn()

        policy = retrying(
            is_transient=is_transient,
            attempts=self.attempts,
            backoff=self.backoff,
            before_sleep=self._log_retry(action),
        )
        try:
            return policy(attempt)
        except StorageError:
            raise
        except Exception as exc:  # every third-party error leaves this module as a StorageError
            raise translate_error(action, exc, tries, self._scrub) from exc

    def _log_retry(self, action: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "%s: attempt %d failed (%s), retrying in %.2fs",
                action,
                state.attempt_number,
                self._scrub(describe(exc)),
                delay,
            )

        return before_sleep

    def _scrub(self, text: str) -> str:
        return scrub(text, [self._key], "[service key]")

    def _remove_quietly(self, bucket: str, path: str) -> None:
        try:
            self.remove(bucket, path)
        except StorageError as exc:
            log.warning("could not remove %s/%s: %s", bucket, path, exc.message)
