"""CallbackSender against a real local HTTP receiver; signatures; the callback payload."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ourvidz_worker.callback import (
    SIGNATURE_HEADER,
    CallbackSender,
    callback_payload,
    sign,
    verify_signature,
)

SECRET = "callback-secret-for-tests"
PAYLOAD = {"jobId": "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "status": "completed", "outputUrl": "https://x/y?token=t"}


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (the last one repeats); records bodies."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0  # seconds to wait before answering the first request
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        index = min(len(self.bodies) - 1, len(self.statuses) - 1)
        return self.statuses[index]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.bodies.append(body)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            if state.delay and len(state.bodies) == 1:
                time.sleep(state.delay)
            status = state.answer()
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up waiting

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/functions/v1/job-callback"
    yield state
    server.shutdown()
    server.server_close()


def sender(url: str, **options: object) -> CallbackSender:
    # A generous timeout where the receiver answers at once: a busy machine must not turn it into a retry.
    return CallbackSender(url, SECRET, **{"timeout": 30.0, "attempts": 3, "backoff": 0.01, **options})  # type: ignore[arg-type]


# -- signatures ---------------------------------------------------------------------------------


def test_signature_verifies_with_the_secret_and_rejects_forgeries():
    body = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    header = sign(SECRET, body)
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_signature(SECRET, body, header)
    assert verify_signature(SECRET, body, header.upper().replace("SHA256=", "sha256="))  # hex case
    forged = body.replace(b"completed", b"failed___")
    assert not verify_signature(SECRET, forged, header)
    assert not verify_signature("another-secret", body, header)
    assert not verify_signature(SECRET, body, header[len("sha256=") :])  # prefix required
    assert not verify_signature(SECRET, body, None)
    assert not verify_signature("", body, sign("", body))  # no secret, no trust
    assert not verify_signature(SECRET, body, "sha256=ünïcode")


# -- delivery -----------------------------------------------------------------------------------


def test_delivers_compact_json_signed_over_the_exact_bytes(receiver: Receiver):
    report = sender(receiver.url).send(PAYLOAD)

    assert report == {"delivered": True, "attempts": 1, "httpStatus": 200, "error": None}
    body, headers = receiver.bodies[0], receiver.headers[0]
    assert json.loads(body) == PAYLOAD
    assert b" " not in body  # compact: what is signed is what a receiver re-serialises least
    assert headers["content-type"] == "application/json"
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER.lower()])


def test_without_a_secret_the_callback_is_sent_unsigned(receiver: Receiver):
    report = CallbackSender(receiver.url, None, timeout=30.0).send(PAYLOAD)
    assert report["delivered"]
    assert SIGNATURE_HEADER.lower() not in receiver.headers[0]


def test_server_errors_are_retried_until_delivered(receiver: Receiver):
    receiver.statuses = [503, 500, 200]
    report = sender(receiver.url).send(PAYLOAD)

    assert report == {"delivered": True, "attempts": 3, "httpStatus": 200, "error": None}
    assert len(set(receiver.bodies)) == 1  # the same signed bytes each time
    assert all(verify_signature(SECRET, receiver.bodies[0], h[SIGNATURE_HEADER.lower()]) for h in receiver.headers)


def test_a_failing_receiver_is_retried_then_reported_without_raising(receiver: Receiver):
    receiver.statuses = [500]
    report = sender(receiver.url, attempts=4).send(PAYLOAD)

    assert report["delivered"] is False
    assert report["attempts"] == 4 and len(receiver.bodies) == 4
    assert report["httpStatus"] == 500
    assert "HTTP 500" in report["error"]


def test_a_client_error_is_not_retried(receiver: Receiver):
    receiver.statuses = [401]
    report = sender(receiver.url).send(PAYLOAD)
    assert (report["delivered"], report["attempts"], report["httpStatus"]) == (False, 1, 401)
    assert len(receiver.bodies) == 1


def test_a_slow_receiver_times_out_and_is_retried(receiver: Receiver):
    receiver.delay = 3.0
    report = sender(receiver.url, timeout=0.3).send(PAYLOAD)
    assert report["delivered"] is True
    assert report["attempts"] == 2 and len(receiver.bodies) == 2


def test_an_unreachable_receiver_is_reported_without_raising():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = sender(f"http://127.0.0.1:{port}/cb?token=hidden").send(PAYLOAD)

    assert report["delivered"] is False and report["attempts"] == 3
    assert report["httpStatus"] is None
    assert "connection failed" in report["error"] and "token=hidden" not in report["error"]


def test_an_unserialisable_payload_is_reported_without_raising(receiver: Receiver):
    report = sender(receiver.url).send({"jobId": "x", "when": object()})
    assert report["delivered"] is False and "not JSON" in report["error"]
    assert receiver.bodies == []


def test_the_secret_never_appears_in_repr():
    assert SECRET not in repr(sender("http://127.0.0.1:1/cb"))


# -- payload ------------------------------------------------------------------------------------


def test_payload_of_a_completed_job_carries_the_callback_fields_and_asset_locations():
    result = {
        "jobId": "j1",
        "status": "completed",
        "outputUrl": "https://s/v.mp4?token=t",
        "errorMessage": None,
        "enhancedPrompt": None,
        "jobType": "video",
        "seed": 7,
        "assets": [
            {"kind": "thumbnail", "bucket": "video-thumbnails", "path": "u/videos/v/thumbnail.jpg",
             "contentType": "image/jpeg", "bytes": 10, "sha256": "ab", "url": "https://s/t.jpg?token=t"},
            {"kind": "video", "bucket": "videos-final", "path": "u/videos/v/video.mp4",
             "contentType": "video/mp4", "bytes": 20, "sha256": "cd", "url": "https://s/v.mp4?token=t"},
        ],
    }  # fmt: skip
    assert callback_payload(result) == {
        "jobId": "j1",
        "status": "completed",
        "outputUrl": "https://s/v.mp4?token=t",
        "errorMessage": None,
        "enhancedPrompt": None,
        "assets": [
            {"kind": "thumbnail", "bucket": "video-thumbnails", "path": "u/videos/v/thumbnail.jpg",
             "contentType": "image/jpeg"},
            {"kind": "video", "bucket": "videos-final", "path": "u/videos/v/video.mp4", "contentType": "video/mp4"},
        ],
    }  # fmt: skip


def test_payload_of_a_failed_job_carries_the_error_code():
    result = {
        "error": "storage_error: upload failed",
        "jobId": "j2",
        "status": "failed",
        "errorMessage": "upload failed",
        "errorCode": "storage_error",
        "errorDetails": [],
    }
    assert callback_payload(result) == {
        "jobId": "j2",
        "status": "failed",
        "outputUrl": None,
        "errorMessage": "upload failed",
        "enhancedPrompt": None,
        "errorCode": "storage_error",
    }


# -- through the worker -------------------------------------------------------------------------
def _worker_with_callback(tiny_model, output_dir, url):
    from conftest import make_settings
    from ourvidz_worker.pipeline import VideoGenerator
    from ourvidz_worker.service import Worker
    from ourvidz_worker.storage.local import LocalStorage

    settings = make_settings(output_dir=output_dir)
    return Worker(settings, VideoGenerator(tiny_model), LocalStorage(output_dir), sender(url))


def test_worker_calls_back_signed_for_completed_and_failed_jobs(receiver: Receiver, tiny_model, output_dir):
    from conftest import make_job

    worker = _worker_with_callback(tiny_model, output_dir, receiver.url)
    done = worker.run(make_job("video"))
    failed = worker.run(make_job("video", numFrames=80))

    assert done["callback"] == {"delivered": True, "attempts": 1, "httpStatus": 200, "error": None}
    assert failed["status"] == "failed" and failed["callback"]["delivered"] is True
    sent = [json.loads(body) for body in receiver.bodies]
    assert [p["status"] for p in sent] == ["completed", "failed"]
    assert sent[0]["jobId"] == done["jobId"] and sent[0]["outputUrl"] == done["outputUrl"]
    assert {a["bucket"] for a in sent[0]["assets"]} == {"videos-final", "video-thumbnails"}
    assert sent[1]["errorCode"] == "invalid_input" and "metadata.numFrames" in sent[1]["errorMessage"]
    for body, headers in zip(receiver.bodies, receiver.headers, strict=True):
        assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER.lower()])


def test_a_dead_receiver_does_not_fail_a_completed_job(receiver: Receiver, tiny_model, output_dir):
    from conftest import make_job

    receiver.statuses = [503]
    result = _worker_with_callback(tiny_model, output_dir, receiver.url).run(make_job("preview"))
    assert result["status"] == "completed" and result["assets"]
    assert result["callback"]["delivered"] is False and result["callback"]["attempts"] == 3
