"""Start-up levers (accel.py) on the tiny model: what they change, what they leave exact, compilation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import make_job, make_settings
from ourvidz_worker import accel
from ourvidz_worker.accel import (
    compile_cache_key,
    load_compile_cache,
    pick_attention_backend,
    prepare,
    save_compile_cache,
)
from ourvidz_worker.errors import ConfigurationError
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import TURBO_ADAPTER, GenerationRequest
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage
from ourvidz_worker.warmup import warm_up, warmup_requests
from test_profiles import write_lora

REQUEST = GenerationRequest("a red fox in snow", "blurry", 128, 128, 9, 3, 5.0, 3.0, seed=11)


def prepared(**settings) -> tuple[VideoGenerator, accel.Acceleration]:
    settings = make_settings(**settings)
    model = load_model(settings)
    done = prepare(model, settings)
    return VideoGenerator(model, placement=done.report()), done


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(float) - b.astype(float)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def test_defaults_change_nothing_on_cpu():
    generator, done = prepared()
    reference = VideoGenerator(load_model(make_settings())).generate(REQUEST, Progress(None)).frames
    assert (done.plan.name, done.attention_backend, done.compiled) == ("cpu", "native", False)
    assert np.array_equal(generator.generate(REQUEST, Progress(None)).frames, reference)


def test_bf16_vae_and_tiling_stay_close_to_the_float32_result():
    reference = prepared()[0].generate(REQUEST, Progress(None)).frames
    generator, done = prepared(vae_dtype="bfloat16", vae_tiling=True)
    assert (done.plan.vae_dtype, done.plan.vae_tiling, done.plan.name) == ("bfloat16", True, "cpu+settings")
    frames = generator.generate(REQUEST, Progress(None)).frames
    assert frames.shape == reference.shape and psnr(frames, reference) > 30


def test_a_streamed_text_encoder_encodes_exactly_the_same():
    # Group offloading moves UMT5's blocks to the "GPU" (here the CPU as well) while encoding.
    reference = prepared()[0].embed("a lighthouse at dusk")
    generator, done = prepared(text_encoder_device="offload")
    assert done.plan.text_encoder == "offload"
    assert torch.equal(generator.embed("a lighthouse at dusk"), reference)


def test_fp8_is_refused_where_it_cannot_run():
    with pytest.raises(ConfigurationError, match=r"fp8 needs a GPU with compute capability 8\.9"):
        prepared(transformer_precision="fp8")


@pytest.mark.parametrize(
    ("capability", "compiled", "expected"),
    [((9, 0), True, "_native_cudnn"), ((9, 0), False, "native"), ((8, 9), True, "native"), ((8, 0), True, "native")],
)
def test_attention_backend_follows_the_measurements(monkeypatch, capability, compiled, expected):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(accel.importlib.util, "find_spec", lambda name: None)  # no flash-attn
    assert pick_attention_backend("auto", torch.device("cuda"), compiled=compiled) == expected
    assert pick_attention_backend("auto", torch.device("cpu"), compiled=compiled) == "native"
    assert pick_attention_backend("flash", torch.device("cpu")) == "flash"


def test_warm_up_covers_the_shapes_default_jobs_get(tiny_model):
    generator = VideoGenerator(tiny_model)
    shapes = {(r.width, r.height, r.num_frames) for r in warmup_requests(generator, make_settings())}
    # The tiny model offers 480p and 720p presets; on a CPU their defaults are scaled: 3 sizes x (video, still).
    assert shapes == {(w, h, f) for w, h in ((256, 144), (144, 256), (192, 192)) for f in (17, 1)}


def test_compiled_jobs_of_every_profile_run_and_a_warmed_shape_never_recompiles(tmp_path: Path, monkeypatch):
    import torch._dynamo

    settings = make_settings(output_dir=tmp_path / "out", compile=True, compile_cache_dir=tmp_path / "cache")
    model = load_model(settings)
    done = prepare(model, settings)
    assert done.compiled and done.compile_cache == "miss"
    generator = VideoGenerator(model, placement=done.report())
    lora = tmp_path / "turbo.safetensors"
    write_lora(lora, model.pipe.transformer, community_format=False)
    generator.load_adapter(TURBO_ADAPTER, lora)
    report = warm_up(generator, settings)
    assert report["shapes"] == 12  # 6 shapes, with and without the turbo LoRA
    key = compile_cache_key(model, done.plan, done.attention_backend)
    assert save_compile_cache(settings.compile_cache_path, key)
    assert load_compile_cache(settings.compile_cache_path, key) == "hit"

    worker = Worker(settings, generator, LocalStorage(settings.output_dir))
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)  # any new compilation fails the job
    for quality in ("reference", "fast", "turbo", "reference"):
        job = make_job("video", quality=quality)
        job["metadata"] = {"quality": quality, "steps": 2, "seed": 1}  # a default (warmed) shape
        result = worker.run(job)
        assert result["status"] == "completed", result
        assert result["memoryPlan"]["compiled"] is True and (result["width"], result["numFrames"]) == (256, 17)
