"""Through the RunPod SDK's own local API server: `python handler.py --rp_serve_api`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import make_job

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    port = free_port()
    output_dir = tmp_path_factory.mktemp("api-storage")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNPOD_", "SUPABASE_", "OURVIDZ_"))}
    env.update(OURVIDZ_MODEL="tiny", OURVIDZ_DEVICE="cpu", OURVIDZ_OUTPUT_DIR=str(output_dir))
    log_path = tmp_path_factory.mktemp("api-log") / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "handler.py", "--rp_serve_api", "--rp_api_host", "127.0.0.1",
             "--rp_api_port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # start-up on a busy machine, not a speed target
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"API server exited early:\n{log_path.read_text()[-3000:]}")
        try:
            requests.get(f"{base}/docs", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"API server did not start:\n{log_path.read_text()[-3000:]}")
    yield base, output_dir
    server.terminate()
    server.wait(timeout=30)


def test_runsync_completes_a_video_job(api):
    base, output_dir = api
    job = make_job("video")
    reply = requests.post(f"{base}/runsync", json={"input": job}, timeout=300).json()
    assert reply["status"] == "COMPLETED", reply
    output = reply["output"]
    assert output["status"] == "completed" and output["jobId"] == job["jobId"]
    video = next(a for a in output["assets"] if a["kind"] == "video")
    stored = output_dir / video["bucket"] / video["path"]
    assert stored.stat().st_size == video["bytes"] > 0


def test_runsync_fails_a_bad_job_with_its_message(api):
    base, _ = api
    job = make_job("video", numFrames=80)
    reply = requests.post(f"{base}/runsync", json={"input": job}, timeout=300).json()
    assert reply["status"] == "FAILED", reply
    assert "metadata.numFrames" in str(reply["error"]) and "4k+1" in str(reply["error"])
