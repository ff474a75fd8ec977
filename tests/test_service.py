"""The job runner (service.py): its steps in order, each refusal before the work it guards."""

from __future__ import annotations

import pytest

from conftest import make_job, make_settings, stored_files
from ourvidz_worker.enhance import Enhancement
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.policy import PromptPolicy
from ourvidz_worker.service import Stopwatch, Worker
from ourvidz_worker.storage.local import LocalStorage


class CountingGenerator(VideoGenerator):
    """The real generator, counting the requests it is given."""

    def __init__(self, model):
        super().__init__(model)
        self.requests = []

    def generate(self, request, progress, **kwargs):
        self.requests.append(request)
        return super().generate(request, progress, **kwargs)


@pytest.fixture
def counted(tiny_model, output_dir):
    generator = CountingGenerator(tiny_model)
    return Worker(make_settings(output_dir=output_dir), generator, LocalStorage(output_dir)), generator


def test_steps_run_in_order_and_report_their_stages(counted):
    worker, generator = counted
    updates = []
    result = worker.run(make_job("video"), send_progress=updates.append)
    assert result["status"] == "completed", result
    stages = [u["stage"] for u in updates if "step" not in u]
    assert stages == ["encode_prompt", "denoise", "decode", "encode", "upload"]
    assert len(generator.requests) == 1
    assert list(result["timings"])[-1] == "total" and result["timings"]["total"] >= result["timings"]["denoise"]


def test_the_policy_runs_before_any_generation(counted, output_dir):
    worker, generator = counted
    result = worker.run(make_job("video") | {"prompt": "explicit sex with a 12 year old"})
    assert result["status"] == "failed" and result["errorCode"] == "policy_violation"
    assert generator.requests == [] and stored_files(output_dir) == []


def test_a_plan_refusal_comes_before_generation(counted, output_dir):
    worker, generator = counted
    result = worker.run(make_job("video", numFrames=245 - 4 * 10))  # 205 frames: above the model's 81
    assert result["status"] == "failed" and result["errorDetails"][0]["field"] == "metadata.numFrames"
    assert generator.requests == [] and stored_files(output_dir) == []


def test_an_enhance_job_only_enhances(counted, output_dir):
    worker, generator = counted
    result = worker.run(make_job("enhance"))
    assert result["status"] == "completed" and result["enhancedPrompt"] and result["outputUrl"] is None
    assert generator.requests == [] and stored_files(output_dir) == []


def test_collaborators_are_injected(tiny_model, output_dir):
    class Shouting:
        name = "shouting"

        def enhance(self, prompt, character_description=None):
            return Enhancement(prompt.upper(), "shouting")

    policy = PromptPolicy(semantic=False)
    worker = Worker(
        make_settings(output_dir=output_dir),
        VideoGenerator(tiny_model),
        LocalStorage(output_dir),
        enhancer=Shouting(),
        policy=policy,
    )
    assert worker.policy is policy
    result = worker.run(make_job("enhance"))
    assert result["enhancedPrompt"] == make_job("enhance")["prompt"].upper() and result["enhancer"] == "shouting"


def test_an_unexpected_exception_is_an_internal_error_and_the_next_job_runs(counted, tiny_model, monkeypatch):
    worker, _ = counted

    def bug(*args, **kwargs):
        raise TypeError("unsupported operand type(s)")

    with monkeypatch.context() as patch:
        patch.setattr(tiny_model.pipe.vae, "decode", bug)
        result = worker.run(make_job("video"))
    assert result["status"] == "failed" and result["errorCode"] == "internal_error"
    assert "TypeError" in result["errorMessage"]
    assert worker.run(make_job("video"))["status"] == "completed"


def test_the_stopwatch_adds_up_stages():
    clock = Stopwatch()
    clock.add({"denoise": 1.0})
    clock.add({"denoise": 0.5, "decode": 0.25})
    with clock.stage("encode"):
        pass
    report = clock.report()
    assert report["denoise"] == 1.5 and report["decode"] == 0.25 and "encode" in report and "total" in report
