"""Tests for ourvidz_worker.models: load_model, what LoadedModel reports, the tiny model and dtypes."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import WanPipeline

from conftest import make_settings
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import GenerationRequest
from ourvidz_worker.weight_checks import ORIGINAL_T5
from weight_layouts import t5_key_to_original, to_original, write_original_layout


def test_loaded_model_reports_custom_variant_and_480p_limits(layouts: dict[str, Path]) -> None:
    loaded = load_model(make_settings(model=str(layouts["original"])), config_dir=layouts["configs"])
    assert loaded.variant == "custom"
    assert loaded.model_id == "original"
    assert loaded.sizes == {"480p": {"landscape": (832, 480), "portrait": (480, 832), "square": (624, 624)}}
    assert loaded.supports(832, 480) and not loaded.supports(1280, 720)


def test_tiny_model_keeps_working_and_offers_both_presets() -> None:
    loaded = load_model(make_settings())
    assert loaded.variant == "tiny" and loaded.model_id == "tiny"
    assert set(loaded.sizes) == {"480p", "720p"} and loaded.supports(1280, 720)


def test_bfloat16_loads_cast_transformer_and_text_encoder_but_keep_the_vae_float32(
    reference: WanPipeline, tmp_path: Path, layouts: dict[str, Path]
) -> None:
    folder = write_original_layout(reference, tmp_path / "bf16")
    t5 = to_original(reference.text_encoder.state_dict(), t5_key_to_original)
    torch.save({k: v.to(torch.bfloat16) for k, v in t5.items()}, folder / ORIGINAL_T5)  # as Wan ships it
    loaded = load_model(make_settings(model=str(folder), dtype="bfloat16"), config_dir=layouts["configs"])
    pipe = loaded.pipe
    assert (pipe.transformer.dtype, pipe.text_encoder.dtype, pipe.vae.dtype) == (
        torch.bfloat16,
        torch.bfloat16,
        torch.float32,
    )
    want = reference.text_encoder.shared.weight.to(torch.bfloat16)
    assert torch.equal(pipe.text_encoder.shared.weight, want)
    assert torch.equal(pipe.text_encoder.encoder.embed_tokens.weight, want)  # still tied
    frames = (
        VideoGenerator(loaded)
        .generate(GenerationRequest("a kite", "", 32, 32, 5, 1, 1.0, 3.0, seed=1), Progress(None))
        .frames
    )
    assert frames.shape == (5, 32, 32, 3)
