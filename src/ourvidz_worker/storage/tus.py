"""TUS resumable upload (tuspy) with a timeout on every request and retries left to the caller.

tuspy builds the TUS headers, metadata and chunk arithmetic; its own retry (a fixed sleep, no
jitter, no timeout) stays off. `upload_resumable` runs each step through the caller's retry
policy and, after a failed chunk, resumes from the offset the server reports.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urljoin

import requests
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.request import TusRequest
from tusclient.uploader import Uploader

from ..errors import StorageError

log = logging.getLogger(__name__)


def upload_resumable(
    *,
    endpoint: str,
    headers: Mapping[str, str],
    data: bytes,
    chunk_size: int,
    metadata: Mapping[str, str],
    timeout_for: Callable[[int], float],
    call: Callable[[Callable[[], object]], object],
) -> None:
    """Create the upload at `endpoint`, then send `data` chunk by chunk until the server has it all.

    `call` runs one step under the caller's retry policy and raises StorageError when it gives up;
    each chunk gets the full retry budget. Once chunks have failed for good, the unfinished upload
    is terminated on the server (best effort) and the StorageError goes on.
    """
    with requests.Session() as session:
        uploader = TimedUploader(
            session=session,
            timeout_for=timeout_for,
            file_stream=io.BytesIO(data),
            client=TusClient(endpoint, headers=dict(headers)),
            chunk_size=chunk_size,
            metadata=dict(metadata),
        )
        call(lambda: uploader.set_url(uploader.create_url()))
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
                call(send_chunk)
        except StorageError:
            uploader.terminate()
            raise


class TimedRequest(TusRequest):
    """tuspy's PATCH, sent through a session with a timeout (tuspy itself sets none)."""

    def __init__(self, uploader: TimedUploader) -> None:
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


class TimedUploader(Uploader):
    """tuspy's uploader with timeouts on every request and errors left to the caller's retry loop."""

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
        self.request = TimedRequest(self)
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
