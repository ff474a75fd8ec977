"""Direct job callback: POST the result to the platform's `job-callback` function, signed.

The body is compact JSON and the signature covers exactly those bytes:
`X-Callback-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. Delivery is best effort with
retries; a failing callback is reported, never raised, because the job itself already completed
(or failed) and its result is also returned to RunPod.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import requests

from .retry import retrying

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Callback-Signature"
# What the platform's job-callback function reads; always sent, null when absent.
CALLBACK_FIELDS = ("jobId", "status", "outputUrl", "errorMessage", "enhancedPrompt")
ASSET_FIELDS = ("kind", "bucket", "path", "contentType")


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of exactly `body` under `secret` (constant time)."""
    if not secret or not header:
        return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().lower().encode("utf-8", "replace"))


def callback_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The job-callback fields of a worker result, plus where its assets are stored.

    `assets` carries bucket and path (not the signed URL alone) so the receiver can sign again
    when the URL expires; `errorCode` lets it branch without parsing messages.
    """
    payload = {field: result.get(field) for field in CALLBACK_FIELDS}
    assets = result.get("assets")
    if assets:
        payload["assets"] = [{field: asset.get(field) for field in ASSET_FIELDS} for asset in assets]
    if result.get("errorCode"):
        payload["errorCode"] = result["errorCode"]
    if result.get("leftoverObjects"):
        payload["leftoverObjects"] = result["leftoverObjects"]  # stored by a failed job; the receiver may delete
    return payload


class CallbackError(Exception):
    """One failed delivery attempt; `transient` says whether another attempt may succeed."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class CallbackSender:
    """Sends signed job callbacks to one URL."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff

    def __repr__(self) -> str:  # never the secret
        return f"CallbackSender(url={self._where()!r})"

    def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver `payload`; return {delivered, attempts, httpStatus, error}. Never raises."""
        report: dict[str, Any] = {"delivered": False, "attempts": 0, "httpStatus": None, "error": None}
        try:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            report["error"] = f"payload is not JSON: {exc}"
            log.error("callback to %s not sent: %s", self._where(), report["error"])
            return report
        headers = {"Content-Type": "application/json"}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)

        def attempt() -> None:
            report["attempts"] += 1
            self._post(body, headers, report)

        policy = retrying(
            is_transient=lambda exc: isinstance(exc, CallbackError) and exc.transient,
            attempts=self.attempts,
            backoff=self.backoff,
        )
        try:
            policy(attempt)
            report["delivered"] = True
        except CallbackError as exc:
            report["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a callback must never fail the job
            report["error"] = f"{type(exc).__name__}: {exc}"
        if not report["delivered"]:
            log.warning(
                "callback to %s failed after %d attempt(s): %s", self._where(), report["attempts"], report["error"]
            )
        return report

    def _post(self, body: bytes, headers: dict[str, str], report: dict[str, Any]) -> None:
        try:
            # No redirects: requests would turn the POST into a GET and drop the body.
            response = requests.post(self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise CallbackError(f"timed out after {self.timeout:g}s") from exc
        except requests.ConnectionError as exc:
            raise CallbackError(f"connection failed: {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise CallbackError(f"request failed: {type(exc).__name__}: {exc}", transient=False) from exc
        report["httpStatus"] = response.status_code
        if 200 <= response.status_code < 300:
            return
        transient = response.status_code >= 500 or response.status_code in (408, 429)
        detail = response.text[:200].strip()
        raise CallbackError(
            f"receiver answered HTTP {response.status_code}" + (f": {detail}" if detail else ""),
            status=response.status_code,
            transient=transient,
        )

    def _where(self) -> str:
        # Scheme, host and path only: a query string might carry a token.
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _reason(exc: requests.ConnectionError) -> str:
    # urllib3's reason names host and port but, unlike the exception's text, not the query string.
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None) or inner
    return f"{type(exc).__name__}: {reason}" if reason is not None else type(exc).__name__
