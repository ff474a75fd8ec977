"""Telling transient storage failures from final ones, and translating them into StorageError.

Transient: timeouts, dropped connections, 5xx, 408/429 and a TUS offset conflict; worth another
attempt. Whatever the `supabase` client (storage3 over httpx) or tuspy (requests) raises leaves
as a `StorageError`, or an `AssetRejectedError` when the server refused the object itself,
carrying the server's status, code and message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

import httpx
import requests
from storage3.exceptions import StorageApiError
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from ..errors import AssetRejectedError, StorageError

# Worth another try: the server or the network may recover. 408/429 are transient by definition.
TRANSIENT_STATUS = {408, 429}
# A PATCH answered with these means "ask me the offset again" (TUS), not a broken request.
TUS_RESYNC_STATUS = {409, 423}
REJECTED_CODES = {"invalid_mime_type", "InvalidMimeType", "Payload too large", "EntityTooLarge"}
# How storage-api (and the gateway in front of it) refuse a key that is not this project's.
KEY_REJECTIONS = ("signature verification failed", "Invalid Compact JWS", "Invalid API key", "jwt malformed")


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


def translate_error(
    action: str, exc: BaseException, tries: int, scrub: Callable[[str], str], *, unreachable: float = 0.0
) -> StorageError:
    """The StorageError (or AssetRejectedError) that `action` failing with `exc` amounts to.

    `scrub` removes secrets from the message text; `unreachable` is how long storage had been
    failing with transient errors when the retries gave up (said in the message from 1 s on).
    """
    after = f" after {tries} attempts" if tries > 1 else ""
    if unreachable >= 1.0:
        after += f" over {unreachable:.0f} s of storage being unreachable"
    status, code, message = _server_error(exc)
    if message:
        message = " ".join(message.split())[:300]  # a proxy's HTML error page, say
    if message and any(marker in message for marker in KEY_REJECTIONS):
        return StorageError(
            scrub(f"{action} failed: the service-role key was rejected ({message}); set SUPABASE_SERVICE_KEY to"
                  " this project's service_role key"),
            status=status,
            storage_code="key_rejected",
        )  # fmt: skip
    if status is not None or code is not None:
        text = scrub(f"{action} failed{after}: {code} (status {status}): {message}")
        rejected = status in ("413", "415") or code in REJECTED_CODES
        error_type = AssetRejectedError if rejected else StorageError
        return error_type(text, status=status, storage_code=code)
    if isinstance(exc, (httpx.TimeoutException, requests.Timeout)):
        return StorageError(scrub(f"{action} timed out{after}: {describe(exc)}"), storage_code="timeout")
    if _is_connection_error(exc):
        return StorageError(
            scrub(f"{action} lost its connection{after}: {describe(exc)}"),
            storage_code="connection_error",
        )
    return StorageError(scrub(f"{action} failed{after}: {describe(exc)}"), storage_code="client_error")


def describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = " ".join((str(exc) or repr(exc)).split())
    return f"{type(exc).__name__}: {text[:200]}"  # a proxy's HTML error page is not worth a screenful


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
