"""Supabase Storage: private buckets, upserted objects, signed URLs.

Up to 6 MB an object goes through the `supabase` client's standard upload (multipart POST with
`x-upsert: true`); above that through TUS resumable upload (tuspy) in the 6 MB chunks Supabase
requires, resuming from the server's offset after a dropped connection. Every request has a
timeout sized for its body, transient failures (timeouts, connection errors, 5xx) are retried
with exponential backoff and jitter, and every third-party exception leaves this module as a
`StorageError` (or `AssetRejectedError`) carrying the server's status, code and message.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urljoin

import httpx
import requests
from storage3.exceptions import StorageApiError
from supabase import Client, ClientOptions, create_client
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.request import TusRequest
from tusclient.uploader import Uploader

from ..config import Settings
from ..errors import AssetRejectedError, ConfigurationError, StorageError
from . import MB, ObjectNotFoundError, StoredObject, check_asset, check_object_path, sha256_hex

log = logging.getLogger(__name__)

T = TypeVar("T")

# Supabase: standard upload is "ideal up to 6 MB"; resumable chunks must be exactly 6 MB.
RESUMABLE_THRESHOLD = 6 * MB
TUS_CHUNK_SIZE = 6 * MB
# Objects are per job and never change meaning, so caches may keep them a year. The server
# stores this as `max-age=31536000`; a re-run overwrites in place (same signed-URL path).
CACHE_SECONDS = "31536000"
# Worth another try: the server or the network may recover. 408/429 are transient by definition.
TRANSIENT_STATUS = {408, 429}
# A PATCH answered with these means "ask me the offset again" (TUS), not a broken request.
TUS_RESYNC_STATUS = {409, 423}
REJECTED_CODES = {"invalid_mime_type", "InvalidMimeType", "Payload too large", "EntityTooLarge"}


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
    ) -> None:
        self.url = url.rstrip("/")
        self.buckets = tuple(dict.fromkeys(buckets))  # checked at start-up by `check`
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
            buckets=(
                settings.bucket_videos,
                settings.bucket_thumbnails,
                settings.bucket_previews,
                settings.bucket_images,
            ),
        )

    def __repr__(self) -> str:  # never the key
        return f"SupabaseStorage(url={self.url!r})"

    def close(self) -> None:
        self._http.close()

    def check(self) -> None:
        """Start-up fitness check: the key is accepted and every bucket the worker writes exists."""
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
        check_asset(bucket, data, content_type)  # fail before a byte moves
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
        return StoredObject(
            bucket=bucket,
            path=path,
            content_type=content_type,
            size=len(data),
            sha256=sha256_hex(data),
            url=url,
        )

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
        headers = {"Authorization": f"Bearer {self._key}", "apikey": self._key, "x-upsert": "true"}
        with requests.Session() as session:
            uploader = _TimedUploader(
                session=session,
                timeout_for=self.timeout_for,
                file_stream=io.BytesIO(data),
                client=TusClient(f"{self.url}/storage/v1/upload/resumable", headers=headers),
                chunk_size=TUS_CHUNK_SIZE,
                metadata={
                    "bucketName": bucket,
                    "objectName": path,
                    "contentType": content_type,
                    "cacheControl": CACHE_SECONDS,
                },
            )
            self._call(action, lambda: uploader.set_url(uploader.create_url()))
            in_doubt = False  # after a failed chunk only the server knows how much it kept

            def send_chunk() -> None:
                nonlocal in_doubt
                if in_doubt:
                    uploader.offset = uploader.get_offset()
                in_doubt = True
                if uploader.offset < len(data):
                    uploader.upload_chunk()
                in_doubt = False

            try:
                while uploader.offset < len(data):
                    self._call(action, send_chunk)  # each chunk gets the full retry budget
            except StorageError:
                uploader.terminate()
                raise

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

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=self.backoff, max=max(self.backoff, 1.0) * 30, jitter=self.backoff),
            before_sleep=self._log_retry(action),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except StorageError:
            raise
        except Exception as exc:  # every third-party error leaves this module as a StorageError
            raise self._translate(action, exc, tries) from exc

    def _log_retry(self, action: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "%s: attempt %d failed (%s), retrying in %.2fs",
                action,
                state.attempt_number,
                self._scrub(_describe(exc)),
                delay,
            )

        return before_sleep

    def _translate(self, action: str, exc: BaseException, tries: int) -> StorageError:
        after = f" after {tries} attempts" if tries > 1 else ""
        status, code, message = _server_error(exc)
        if status is not None or code is not None:
            text = self._scrub(f"{action} failed{after}: {code} (status {status}): {message}")
            rejected = status in ("413", "415") or code in REJECTED_CODES
            error_type = AssetRejectedError if rejected else StorageError
            return error_type(text, status=status, storage_code=code)
        if isinstance(exc, (httpx.TimeoutException, requests.Timeout)):
            return StorageError(self._scrub(f"{action} timed out{after}: {_describe(exc)}"), storage_code="timeout")
        if _is_connection_error(exc):
            return StorageError(
                self._scrub(f"{action} lost its connection{after}: {_describe(exc)}"),
                storage_code="connection_error",
            )
        return StorageError(self._scrub(f"{action} failed{after}: {_describe(exc)}"), storage_code="client_error")

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[service key]") if self._key else text

    def _remove_quietly(self, bucket: str, path: str) -> None:
        try:
            self.remove(bucket, path)
        except StorageError as exc:
            log.warning("could not remove %s/%s: %s", bucket, path, exc.message)


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: timeouts, dropped connections, 5xx, 408/429, a TUS offset conflict.

    Any other 4xx is the server's verdict on the request itself; repeating it cannot help.
    """
    if isinstance(exc, TusUploadFailed) and exc.status_code in TUS_RESYNC_STATUS:
        return True  # the next attempt asks the server for its offset first
    if _is_connection_error(exc) or isinstance(exc, (httpx.TimeoutException, requests.Timeout)):
        return True
    statuses = []
    if isinstance(exc, StorageApiError):
        statuses.append(exc.status)  # the body's statusCode, a string; the HTTP status is 400
        if isinstance(exc.__cause__, httpx.HTTPStatusError):
            statuses.append(exc.__cause__.response.status_code)
    elif isinstance(exc, TusCommunicationError):
        statuses.append(exc.status_code)
    return any(_transient_status(s) for s in statuses)


def _transient_status(status: object) -> bool:
    try:
        code = int(str(status))
    except ValueError:
        return False
    return code >= 500 or code in TRANSIENT_STATUS


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (
            httpx.NetworkError,
            httpx.RemoteProtocolError,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ),
    ) and not isinstance(exc, requests.Timeout)


def _server_error(exc: BaseException) -> tuple[str | None, str | None, str | None]:
    """(status, code, message) as the server stated them, when it answered at all."""
    if isinstance(exc, StorageApiError):
        code = str(exc.code)
        # Bucket calls lose the body's `error` name (code "400"); take it from the response.
        if isinstance(exc.__cause__, httpx.HTTPStatusError):
            with contextlib.suppress(ValueError):
                body = exc.__cause__.response.json()
                if isinstance(body, dict) and isinstance(body.get("error"), str):
                    code = body["error"]
        return str(exc.status), code, exc.message
    if isinstance(exc, TusCommunicationError) and exc.status_code is not None:
        status, code, message = str(exc.status_code), None, str(exc) or None
        body = exc.response_content or b""
        try:
            parsed = json.loads(body)
        except (ValueError, TypeError):
            parsed = None
        if isinstance(parsed, dict):
            status = str(parsed.get("statusCode") or status)
            code = parsed.get("error") or parsed.get("code")
            message = parsed.get("message") or message
        elif body:
            message = body[:300].decode("utf-8", "replace")
        return status, code or "tus_error", message
    return None, None, None


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


class _TimedRequest(TusRequest):
    """tuspy's PATCH, sent through a session with a timeout (tuspy itself sets none)."""

    def __init__(self, uploader: _TimedUploader) -> None:
        super().__init__(uploader)
        self._session = uploader.session
        # requests applies one timeout to connect+send and another to the answer; size both.
        seconds = uploader.timeout_for(self._content_length)
        self._timeout = (seconds, seconds)

    def perform(self) -> None:
        chunk = self.file.read(self._content_length)
        self.add_checksum(chunk)
        response = self._session.patch(self._url, data=chunk, headers=self._request_headers, timeout=self._timeout)
        self.status_code = response.status_code
        self.response_content = response.content
        self.response_headers = {k.lower(): v for k, v in response.headers.items()}


class _TimedUploader(Uploader):
    """tuspy's uploader with timeouts on every request and errors left to our retry loop.

    tuspy builds the TUS headers, metadata and chunk arithmetic; its own retry (a fixed sleep,
    no jitter, no timeout) stays off: `SupabaseStorage._call` retries and resyncs the offset.
    """

    def __init__(self, *, session: requests.Session, timeout_for: Callable[[int], float], **kwargs) -> None:
        self.session = session
        self.timeout_for = timeout_for
        super().__init__(**kwargs)

    def create_url(self) -> str:
        response = self.session.post(
            self.client.url, headers=self.get_url_creation_headers(), timeout=self.timeout_for(0)
        )
        location = response.headers.get("location")
        if response.status_code != 201 or not location:
            raise TusCommunicationError(
                f"creating the upload answered HTTP {response.status_code}",
                response.status_code,
                response.content,
            )
        return urljoin(self.client.url, location)

    def get_offset(self) -> int:
        response = self.session.head(self.url, headers=self.get_headers(), timeout=self.timeout_for(0))
        offset = response.headers.get("upload-offset")
        if response.status_code != 200 or offset is None:
            raise TusCommunicationError(
                f"asking the upload offset answered HTTP {response.status_code}",
                response.status_code,
                response.content,
            )
        return int(offset)

    def _do_request(self) -> None:
        self.request = _TimedRequest(self)
        self.request.perform()
        status = self.request.status_code
        if not 200 <= status < 300:
            raise TusUploadFailed(
                f"chunk at offset {self.offset} answered HTTP {status}", status, self.request.response_content
            )

    def terminate(self) -> None:
        """Best effort: drop the unfinished upload on the server (TUS termination)."""
        if not self.url:
            return
        try:
            self.session.delete(self.url, headers=self.get_headers(), timeout=self.timeout_for(0))
        except requests.RequestException as exc:
            log.warning("could not terminate unfinished upload: %s", type(exc).__name__)
