"""Start-up levers on the tiny model: what they change and what they leave exact."""

from __future__ import annotations

import math

import numpy as np
import torch

from conftest import make_settings
from ourvidz_worker.accel import apply_speedups, pick_attention_backend
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import GenerationRequest

REQUEST = GenerationRequest("a red fox in snow", "blurry", 128, 128, 9, 3, 5.0, 3.0, seed=11)


def frames_with(**settings) -> tuple[np.ndarray, dict]:
    settings = make_settings(**settings)
    model = load_model(settings)
    applied = apply_speedups(model.pipe, settings, model.device)
    return VideoGenerator(model).generate(REQUEST, Progress(None)).frames, applied


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(float) - b.astype(float)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def test_defaults_change_nothing_on_cpu():
    frames, applied = frames_with()
    reference = VideoGenerator(load_model(make_settings())).generate(REQUEST, Progress(None)).frames
    assert applied == {"attentionBackend": "native", "compiled": False}
    assert np.array_equal(frames, reference)


def test_bf16_vae_and_tiling_stay_close_to_the_float32_result():
    reference, _ = frames_with()
    bf16, applied = frames_with(vae_dtype="bfloat16", vae_tiling=True)
    assert applied["vaeDtype"] == "bfloat16" and applied["vaeTiling"] is True
    assert bf16.shape == reference.shape and psnr(bf16, reference) > 30


def test_attention_backend_is_native_without_cuda_unless_asked():
    assert pick_attention_backend("auto", torch.device("cpu")) == "native"
    assert pick_attention_backend("flash", torch.device("cpu")) == "flash"
