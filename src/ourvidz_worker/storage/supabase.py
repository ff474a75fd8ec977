"""Supabase Storage: private buckets, upserted objects, signed URLs.

`connect()` (at start-up, in every mode) reads the key's role claim and each bucket's
`file_size_limit` and `allowed_mime_types` from the server, and refuses to start when a bucket
cannot take what the worker writes there; jobs are then checked against those rules before their
first byte moves. Up to 6 MB an object goes through the `supabase` client's standard upload
(multipart POST with `x-upsert: true`); above that through TUS resumable upload (tuspy) in 6 MB
chunks, resuming from the server's offset after a dropped connection or a server restart. Every
request has a timeout sized for its body; transient failures (timeouts, connection errors, 5xx)
are retried with exponential backoff and jitter — a few times for small objects, and until the
job's deadline for its main asset, so a finished video is not thrown away because storage
blinked. Every third-party exception leaves this module as a `StorageError` (or
`AssetRejectedError`) carrying the server's status, code and message.
The TUS machinery lives in `tus`, the telling and translating of failures in `failures`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urljoin

import httpx
from supabase import Client, ClientOptions, create_client
from tenacity import RetryCallState

from ..config import Settings, default_buckets
from ..errors import ConfigurationError, ObjectNotFoundError, StorageError
from ..layout import WRITTEN_TYPES
from ..logs import scrub
from ..retry import retrying
from . import MB, BucketRule, BucketRules, StoredObject, check_object_path
from .failures import describe, is_transient, translate_error
from .tus import upload_resumable

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVICE_ROLE = "service_role"
# Supabase: standard upload is "ideal up to 6 MB"; its documentation asks for 6 MB resumable chunks.
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
        buckets: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.buckets = dict(buckets or default_buckets())  # role -> bucket name, checked by `connect`
        self.rules = BucketRules({})  # the server's, once `connect` has read them
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
            buckets=settings.buckets,
        )

    def __repr__(self) -> str:  # never the key
        return f"SupabaseStorage(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def connect(self) -> None:
        """Start-up: the key is a service-role key the server accepts, and every bucket the worker
        uses exists and takes what the worker writes there. Reads the buckets' rules for the jobs;
        raises ConfigurationError naming every problem found."""
        refusal = key_refusal(self._key)
        if refusal:
            raise ConfigurationError(f"Supabase storage is not usable: {refusal}")
        rules: dict[str, BucketRule] = {}
        for name in dict.fromkeys(self.buckets.values()):
            try:
                info = self._call(f"checking bucket {name}", lambda name=name: self._client.storage.get_bucket(name))
            except StorageError as exc:
                raise ConfigurationError(f"Supabase storage is not usable: {exc.message}") from exc
            if info.public:
                log.warning("bucket %s is public; its objects are readable without a signed URL", name)
            rules[name] = BucketRule(info.file_size_limit or None, tuple(info.allowed_mime_types or ()))
        server_rules = BucketRules(rules)
        problems = server_rules.problems(self.buckets, WRITTEN_TYPES)
        if problems:
            raise ConfigurationError("Supabase storage cannot take the worker's files: " + "; ".join(problems))
        self.rules = server_rules
        seen = {name: {"maxBytes": rule.max_bytes, "mimeTypes": list(rule.mime_types)} for name, rule in rules.items()}
        log.info("storage buckets checked", extra={"buckets": seen})

    check = connect  # the production fitness check reads them again

    # -- the Storage protocol -------------------------------------------------------------------

    def upload(
        self, bucket: str, path: str, data: bytes, content_type: str, *, deadline: float | None = None
    ) -> StoredObject:
        check_object_path(f"{bucket}/{path}")
        self.rules.check(bucket, len(data), content_type)  # fail before a byte moves
        if len(data) > RESUMABLE_THRESHOLD:
            self._upload_resumable(bucket, path, data, content_type, deadline)
        else:
            self._upload_standard(bucket, path, data, content_type, deadline)
        try:
            url = self.signed_url(bucket, path, deadline=deadline)
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

    def signed_url(
        self, bucket: str, path: str, expires_in: int | None = None, *, deadline: float | None = None
    ) -> str:
        """An absolute URL that reads the private object without credentials until it expires."""
        ttl = expires_in or self.signed_url_ttl
        signed = self._call(
            f"signing {bucket}/{path}",
            lambda: self._client.storage.from_(bucket).create_signed_url(path, ttl),
            deadline=deadline,
        )
        url = signed.get("signedURL") or signed.get("signedUrl")
        if not url:
            raise StorageError(f"signing {bucket}/{path} returned no URL", storage_code="no_signed_url")
        # storage3 already joins the server's relative answer onto its base; make sure of it.
        return url if url.startswith(("http://", "https://")) else urljoin(f"{self.url}/storage/v1/", url)

    # -- uploads --------------------------------------------------------------------------------

    def _upload_standard(self, bucket: str, path: str, data: bytes, content_type: str, deadline: float | None) -> None:
        options = {
            "content-type": content_type,
            "cache-control": CACHE_SECONDS,
            "upsert": "true",  # a string: storage3 passes it on as the x-upsert header
        }
        self._call(
            f"uploading {bucket}/{path}",
            lambda: self._client.storage.from_(bucket).upload(path, data, file_options=options),
            deadline=deadline,
        )

    def _upload_resumable(self, bucket: str, path: str, data: bytes, content_type: str, deadline: float | None) -> None:
        action = f"uploading {bucket}/{path} (resumable)"
        outage = Outage()  # shared by every step: how long storage has been failing this upload
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
            call=lambda step: self._call(action, step, deadline=deadline, outage=outage),
        )

    # -- retries, timeouts and error translation ------------------------------------------------

    def timeout_for(self, size: int) -> float:
        """Seconds one request may take: the base timeout plus its bytes at the slowest rate."""
        return self.timeout + size / self.min_upload_rate

    def _size_timeout(self, request: httpx.Request) -> None:
        # httpx hook: give each request a read/write timeout sized for its body.
        size = int(request.headers.get("content-length") or 0)
        request.extensions["timeout"] = httpx.Timeout(self.timeout_for(size), connect=self.timeout).as_dict()

    def _call(
        self, action: str, fn: Callable[[], T], *, deadline: float | None = None, outage: Outage | None = None
    ) -> T:
        """`fn` under the retry policy: `attempts` tries, or until `deadline` (time.monotonic()) when given."""
        outage = outage or Outage()
        tries = 0

        def attempt() -> T:
            nonlocal tries
            tries += 1
            try:
                result = fn()
            except Exception as exc:
                if is_transient(exc):
                    outage.failed()
                raise
            outage.recovered()
            return result

        budget = None if deadline is None else max(0.0, deadline - time.monotonic())
        policy = retrying(
            is_transient=is_transient,
            attempts=self.attempts if budget is None else None,
            backoff=self.backoff,
            budget=budget,
            before_sleep=self._log_retry(action),
        )
        try:
            return policy(attempt)
        except StorageError:
            raise
        except Exception as exc:  # every third-party error leaves this module as a StorageError
            raise translate_error(action, exc, tries, self._scrub, unreachable=outage.seconds()) from exc

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


class Outage:
    """How long storage has been failing: since the first transient failure, until one success."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None

    def failed(self) -> None:
        if self._since is None:
            self._since = self._clock()

    def recovered(self) -> None:
        self._since = None

    def seconds(self) -> float:
        return 0.0 if self._since is None else self._clock() - self._since


def key_refusal(key: str) -> str | None:
    """Why `key` is not a service-role key, read from the key itself (its JWT payload, not verified),
    or None when it is one or cannot be told without asking the server."""
    if key.startswith("sb_publishable_"):
        return "SUPABASE_SERVICE_KEY is a publishable key; the worker needs the secret (service_role) key"
    if key.startswith("sb_secret_"):
        return None  # Supabase's newer secret keys carry no claims; the gateway grants them the service role
    parts = key.split(".")
    if len(parts) != 3:
        return None  # not a JWT: the server's answer will say what it is
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    role = payload.get("role") if isinstance(payload, dict) else None
    if role != SERVICE_ROLE:
        return (
            f"SUPABASE_SERVICE_KEY is not the service-role key (its role is {role!r}): row-level security would hide"
            " the private buckets; use the project's service_role key"
        )
    return None
