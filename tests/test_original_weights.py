"""Tests for ourvidz_worker.original_weights: original Wan 2.1 files load exactly, key renames included."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKLWan, WanPipeline
from diffusers.loaders.single_file_utils import (
    convert_wan_transformer_to_diffusers,
    convert_wan_vae_to_diffusers,
)

from conftest import make_settings
from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.models import load_model
from ourvidz_worker.original_weights import load_original_transformer, t5_key_to_transformers
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import GenerationRequest
from ourvidz_worker.weight_checks import find_weights
from weight_layouts import (
    copy_layout,
    realigned,
    render,
    t5_key_to_original,
    transformer_key_to_original,
    vae_key_to_original,
    write_original_layout,
)


def test_inverse_mappings_are_exact_inverses_of_the_loaders(reference: WanPipeline) -> None:
    transformer = reference.transformer.state_dict()
    original = {transformer_key_to_original(k): v for k, v in transformer.items()}
    assert set(convert_wan_transformer_to_diffusers(dict(original))) == set(transformer)
    vae = reference.vae.state_dict()
    original = {vae_key_to_original(k): v for k, v in vae.items()}
    assert set(convert_wan_vae_to_diffusers(original)) == set(vae)
    t5 = set(reference.text_encoder.state_dict()) - {"encoder.embed_tokens.weight"}
    assert {t5_key_to_transformers(t5_key_to_original(k)) for k in t5} == t5


def test_original_layout_renders_the_same_frames_as_diffusers_layout(
    reference: WanPipeline, layouts: dict[str, Path]
) -> None:
    reference = copy.deepcopy(reference)  # realigned() and render() below change it; the session's stays as is
    from_diffusers = load_model(make_settings(model=str(layouts["diffusers"])))
    from_original = load_model(make_settings(model=str(layouts["original"])), config_dir=layouts["configs"])
    assert from_original.pipe.transformer.dtype == torch.float32  # CPU default dtype

    for loaded in (from_diffusers, from_original):
        for part in ("transformer", "vae", "text_encoder"):
            got, want = getattr(loaded.pipe, part).state_dict(), getattr(reference, part).state_dict()
            assert got.keys() == want.keys()
            assert all(torch.equal(got[k], want[k]) for k in want), part

    # Equal weights, equal frames: exactly, once every tensor sits in its own aligned allocation
    # (CPU matmuls round differently for views into a file buffer, ~1e-7 a layer).
    pipes = [realigned(p) for p in (reference, from_diffusers.pipe, from_original.pipe)]
    want, from_d, from_o = (render(p) for p in pipes)
    assert want.shape == (5, 64, 64, 3) and want.std() > 0.01
    np.testing.assert_array_equal(from_o, from_d)
    np.testing.assert_array_equal(from_o, want)

    request = GenerationRequest(
        prompt="a red fox in snow",
        negative_prompt="",
        width=64,
        height=48,
        num_frames=5,
        steps=2,
        guidance_scale=4.0,
        flow_shift=3.0,
        seed=11,
    )
    video = {
        m.model_id: VideoGenerator(m).generate(request, Progress(None)).frames for m in (from_diffusers, from_original)
    }
    a, b = video.values()
    assert a.dtype == np.uint8 and a.shape == (5, 48, 64, 3)
    assert np.array_equal(a, b)


def test_sharded_transformer_loads_like_the_single_file(reference: WanPipeline, tmp_path: Path) -> None:
    folder = write_original_layout(reference, tmp_path / "sharded", shards=3)
    files = find_weights(folder)
    assert [p.name for p in files.transformer] == [
        f"diffusion_pytorch_model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)
    ]
    config = tmp_path / "configs"
    reference.transformer.save_config(config)
    loaded = load_original_transformer(files.transformer, config, torch.float32)
    want = reference.transformer.state_dict()
    assert all(torch.equal(loaded.state_dict()[k], want[k]) for k in want)


def test_configs_that_do_not_fit_the_weights_are_refused(
    reference: WanPipeline, layouts: dict[str, Path], tmp_path: Path
) -> None:
    configs = copy_layout(layouts["configs"], tmp_path / "configs")
    shutil.rmtree(configs / "vae")
    with pytest.raises(ModelLoadError, match="is incomplete") as info:
        load_model(make_settings(model=str(layouts["original"])), config_dir=configs)
    assert {"path": str(configs / "vae" / "config.json"), "problem": "missing"} in info.value.details

    # A VAE config with one res block fewer: every tensor that differs is named, none is left random.
    AutoencoderKLWan(base_dim=4, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=1).save_config(configs / "vae")
    with pytest.raises(ModelLoadError, match=r"Wan2\.1_VAE\.pth does not fit the config") as info:
        load_model(make_settings(model=str(layouts["original"])), config_dir=configs)
    assert "unexpected" in info.value.message and "decoder.up_blocks.0.resnets.2" in info.value.message
