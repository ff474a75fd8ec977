"""The generator (pipeline.py): step-callback parts, fault translation, the switches it owns."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from conftest import make_settings
from ourvidz_worker.errors import DeadlineExceededError, DeviceFaultError, GenerationError, GpuOutOfMemoryError
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import (
    VideoGenerator,
    anchor_first_frame,
    generation_fault,
    report_steps,
    step_callback,
    stop_at_deadline,
)
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import PROFILES, GenerationRequest

REQUEST = GenerationRequest("a red fox in snow", "blurry", 128, 128, 5, 2, 5.0, 3.0, seed=3)


def test_the_callback_runs_its_parts_in_order_and_hands_the_latents_back():
    seen = []
    parts = [lambda p, step, kw: seen.append(("a", step)), lambda p, step, kw: seen.append(("b", step))]
    callback = step_callback(parts)
    kwargs = {"latents": torch.zeros(1)}
    assert callback(None, 3, 999, kwargs) is kwargs
    assert seen == [("a", 3), ("b", 3)]


def test_the_anchor_follows_the_schedulers_noise_level():
    target, noise = torch.full((1, 2, 1, 2, 2), 4.0), torch.full((1, 2, 1, 2, 2), -2.0)
    pipeline = SimpleNamespace(scheduler=SimpleNamespace(sigmas=torch.tensor([1.0, 0.75, 0.25, 0.0]), step_index=2))
    latents = torch.zeros(1, 2, 3, 2, 2)
    anchor_first_frame(target, noise, index=1)(pipeline, 1, {"latents": latents})
    assert torch.allclose(latents[:, :, 1], torch.full((1, 2, 2, 2), 0.75 * 4.0 + 0.25 * -2.0))
    assert latents[:, :, 0].abs().sum() == 0 and latents[:, :, 2].abs().sum() == 0  # other frames untouched


def test_steps_are_reported_and_the_deadline_stops_between_them():
    updates = []
    report_steps(Progress(updates.append, interval=0.0), total=4)(None, 0, {})
    assert updates[-1]["step"] == 1 and updates[-1]["total"] == 4
    now = [10.0]
    part = stop_at_deadline(deadline=11.0, total=4, clock=lambda: now[0])
    part(None, 0, {})  # before the deadline: nothing happens
    now[0] = 11.5
    with pytest.raises(DeadlineExceededError, match="after step 2 of 4"):
        part(None, 1, {})


@pytest.mark.parametrize(
    ("exc", "expected", "refresh"),
    [
        (torch.OutOfMemoryError("CUDA out of memory"), GpuOutOfMemoryError, False),
        (torch.AcceleratorError("CUDA error: an illegal memory access was encountered"), DeviceFaultError, True),
        (RuntimeError("cuDNN error: CUDNN_STATUS_INTERNAL_ERROR"), GenerationError, False),
    ],
)
def test_known_accelerator_failures_become_generation_errors(exc, expected, refresh):
    fault = generation_fault(exc, "denoise", REQUEST)
    assert type(fault) is expected and "denoise" in fault.message
    assert fault.refresh_worker is refresh


@pytest.mark.parametrize(
    "exc", [RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"), TypeError("bad"), KeyError("k")]
)
def test_other_exceptions_are_bugs_not_generation_errors(exc):
    assert generation_fault(exc, "denoise", REQUEST) is None


def test_a_bug_inside_generation_propagates_as_itself(tiny_model, monkeypatch):
    generator = VideoGenerator(tiny_model)

    def broken(*args, **kwargs):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(tiny_model.pipe.transformer, "forward", broken)
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        generator.generate(REQUEST, Progress(None))


def test_the_switches_follow_the_request_and_live_on_the_pipe():
    generator = VideoGenerator(load_model(make_settings()))  # its own pipe: the switches change it
    pipe = generator.pipe
    generator.generate(REQUEST, Progress(None))
    assert pipe.scheduler.config.flow_shift == 3.0 and generator.active_step_cache is None
    fast = GenerationRequest(**{**vars(REQUEST), "flow_shift": 7.0, "profile": PROFILES["fast"]})
    generator.generate(fast, Progress(None))
    assert pipe.scheduler.config.flow_shift == 7.0 and generator.active_step_cache is not None
    generator.generate(REQUEST, Progress(None))
    assert pipe.scheduler.config.flow_shift == 3.0 and generator.active_step_cache is None


def test_prompt_embeddings_are_kept_for_the_most_recent_prompts(tiny_model):
    generator = VideoGenerator(tiny_model, prompt_cache_size=2)
    first = generator.embed("one")
    generator.embed("two")
    assert generator.embed("one") is first  # still cached
    generator.embed("three")  # evicts "two", the least recently used
    assert generator.embed("one") is first
    assert generator.embed("two") is not generator.embed("three")
    assert len(generator._embeddings) == 2


def test_capabilities_describe_the_loaded_model(tiny_model):
    capabilities = VideoGenerator(tiny_model).capabilities()
    assert capabilities.variant == "tiny" and not capabilities.image_conditioning
    assert capabilities.max_pixels == 1280 * 720 and capabilities.adapters == frozenset()
