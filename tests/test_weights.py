"""Tests for ourvidz_worker.weights: finding weights by name, telling 1.3B from 14B, picking configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_settings
from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.models import load_model
from ourvidz_worker.variants import CONFIG_ROOT, VARIANTS, TransformerShape, variant_for
from ourvidz_worker.weight_checks import ORIGINAL_VAE, find_weights
from ourvidz_worker.weights import config_dir_for, locate_weights, transformer_shape
from weight_layouts import copy_layout, fake_original_layout, fake_transformer_shapes, hub_cache_snapshot

# ---------------------------------------------------------------------------------------------
# Names resolved under the network volume, RunPod's model cache included


def test_a_repo_id_resolves_into_runpods_model_cache(layouts: dict[str, Path], tmp_path: Path) -> None:
    snapshot = hub_cache_snapshot(tmp_path / "volume", "Wan-AI/Wan2.1-T2V-1.3B", layouts["original"])
    for model in ("Wan-AI/Wan2.1-T2V-1.3B", "Wan2.1-T2V-1.3B", "t2v-1.3b"):
        files = locate_weights(model, tmp_path / "volume", tmp_path / "image")
        assert files.root == snapshot and files.layout == "original"
        assert files.name == "Wan-AI/Wan2.1-T2V-1.3B"


def test_a_name_resolves_to_a_plain_folder_on_the_volume_or_in_the_image(
    layouts: dict[str, Path], tmp_path: Path
) -> None:
    copy_layout(layouts["diffusers"], tmp_path / "image" / "Wan-AI" / "Wan2.1-T2V-1.3B-Diffusers")
    files = locate_weights("t2v-1.3b", tmp_path / "volume", tmp_path / "image")
    assert files.layout == "diffusers" and files.name == "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"

    copy_layout(layouts["original"], tmp_path / "volume" / "models" / "my-wan")
    files = locate_weights("my-wan", tmp_path / "volume", tmp_path / "image")
    assert files.root == tmp_path / "volume" / "models" / "my-wan"


def test_an_unfinished_cache_download_is_reported_with_where_it_looked(
    layouts: dict[str, Path], tmp_path: Path
) -> None:
    snapshot = hub_cache_snapshot(tmp_path / "volume", "Wan-AI/Wan2.1-T2V-1.3B", layouts["original"])
    (snapshot / ORIGINAL_VAE).resolve().unlink()  # the link stays, its blob never arrived
    with pytest.raises(ModelLoadError, match="found only incomplete weights") as info:
        locate_weights("Wan-AI/Wan2.1-T2V-1.3B", tmp_path / "volume", tmp_path / "image")
    assert {"path": str(snapshot / ORIGINAL_VAE), "problem": "missing"} in info.value.details
    assert f"{tmp_path}/volume/models/Wan-AI/Wan2.1-T2V-1.3B" in info.value.message


def test_a_name_found_nowhere_lists_every_place_looked(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no weights found") as info:
        load_model(make_settings(model="Wan-AI/Wan2.1-T2V-14B"), volume_root=tmp_path)
    looked = [d["path"] for d in info.value.details]
    assert looked == [
        f"{tmp_path}/huggingface-cache/hub/models--Wan-AI--Wan2.1-T2V-14B/snapshots/*",
        f"{tmp_path}/models/Wan-AI/Wan2.1-T2V-14B",
        f"{tmp_path}/Wan-AI/Wan2.1-T2V-14B",
        f"{tmp_path}/models/Wan2.1-T2V-14B",
        f"{tmp_path}/Wan2.1-T2V-14B",
        "/models/huggingface-cache/hub/models--Wan-AI--Wan2.1-T2V-14B/snapshots/*",
        "/models/models/Wan-AI/Wan2.1-T2V-14B",
        "/models/Wan-AI/Wan2.1-T2V-14B",
        "/models/models/Wan2.1-T2V-14B",
        "/models/Wan2.1-T2V-14B",
    ]


# ---------------------------------------------------------------------------------------------
# 1.3B or 14B, from shapes alone


def test_shapes_pick_the_1_3b_configs(tmp_path: Path) -> None:
    files = find_weights(fake_original_layout(tmp_path / "w", fake_transformer_shapes(1536, 30)))
    shape = transformer_shape(files)
    assert shape == TransformerShape(dim=1536, in_channels=16, num_layers=30)
    assert config_dir_for(shape) == (CONFIG_ROOT / "t2v-1.3b", VARIANTS["t2v-1.3b"])


def test_shapes_pick_the_14b_configs_across_shards_and_prefixed_keys(tmp_path: Path) -> None:
    shapes = fake_transformer_shapes(5120, 40, prefix="model.diffusion_model.")
    files = find_weights(fake_original_layout(tmp_path / "w", shapes, shards=6))
    assert len(files.transformer) == 6
    shape = transformer_shape(files)
    assert shape == TransformerShape(dim=5120, in_channels=16, num_layers=40)
    assert config_dir_for(shape) == (CONFIG_ROOT / "t2v-14b", VARIANTS["t2v-14b"])


def test_diffusers_folders_are_sized_from_their_config(layouts: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_layout(layouts["diffusers"], tmp_path / "d")
    config = json.loads((CONFIG_ROOT / "t2v-14b" / "transformer" / "config.json").read_text())
    (folder / "transformer" / "config.json").write_text(json.dumps(config))
    assert variant_for(transformer_shape(find_weights(folder))) is VARIANTS["t2v-14b"]


# ---------------------------------------------------------------------------------------------
# Configs for original-layout weights: shipped for released sizes, explicit for others


def test_unknown_shapes_are_refused_by_name() -> None:
    odd = TransformerShape(dim=1536, in_channels=16, num_layers=20)  # a 1.3B width, not its depth
    with pytest.raises(ModelLoadError, match=r"matches no released Wan 2\.1"):
        config_dir_for(odd)


def test_explicit_configs_must_describe_the_weights(layouts: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="but the weights have hidden dim 1536"):
        config_dir_for(TransformerShape(dim=1536, in_channels=16, num_layers=30), layouts["configs"])


def test_original_layout_needs_configs_for_sizes_it_does_not_ship(layouts: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="OURVIDZ_MODEL_CONFIG_DIR") as info:
        load_model(make_settings(model=str(layouts["original"])))
    assert "hidden dim 24, 2 layers" in info.value.message


# ---------------------------------------------------------------------------------------------
# The image builder imports it


def test_weights_module_does_not_import_torch() -> None:
    """The image builder verifies downloads with it; torch would add seconds to every run."""
    import subprocess
    import sys

    code = "import sys, ourvidz_worker.weights; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
