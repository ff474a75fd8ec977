"""Progress: stage changes always, denoising steps throttled, final step always reported."""

from __future__ import annotations

from conftest import make_job
from ourvidz_worker.progress import Progress


def test_job_reports_stages_in_order_and_increasing_steps(worker):
    updates: list[dict] = []
    result = worker.run(make_job("video", steps=4), send_progress=updates.append)
    assert result["status"] == "completed", result

    stages = [u["stage"] for u in updates if "step" not in u]
    assert stages == ["encode_prompt", "denoise", "decode", "encode", "upload"]
    steps = [u for u in updates if "step" in u]
    assert [u["step"] for u in steps] == [1, 2, 3, 4]
    assert all(u["total"] == 4 and u["stage"] == "denoise" for u in steps)


def test_steps_are_throttled_but_the_last_is_sent():
    now = [0.0]
    sent: list[dict] = []
    progress = Progress(sent.append, interval=1.0, clock=lambda: now[0])
    progress.stage("denoise")
    for step in range(1, 11):
        now[0] += 0.3
        progress.step(step, 10)
    steps = [u["step"] for u in sent if "step" in u]
    assert steps == [4, 8, 10]
    assert steps == sorted(steps)


def test_a_failing_sender_never_fails_the_job(worker):
    def broken(update):
        raise ConnectionError("progress endpoint down")

    result = worker.run(make_job("preview"), send_progress=broken)
    assert result["status"] == "completed"
