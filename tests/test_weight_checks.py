"""Tests for ourvidz_worker.weight_checks: missing, corrupt and incomplete weight files are all named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from diffusers import WanPipeline

from conftest import make_settings
from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.models import load_model
from ourvidz_worker.weight_checks import ORIGINAL_T5, ORIGINAL_TOKENIZER, ORIGINAL_VAE, find_weights, verify_weights
from weight_layouts import copy_layout, write_original_layout


def test_missing_and_corrupt_files_are_all_listed(layouts: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_layout(layouts["original"], tmp_path / "broken")
    (folder / ORIGINAL_VAE).unlink()
    transformer = folder / "diffusion_pytorch_model.safetensors"
    transformer.write_bytes(transformer.read_bytes()[:-100])  # an interrupted download
    (folder / ORIGINAL_T5).write_bytes(b"")
    (folder / ORIGINAL_TOKENIZER / "tokenizer.json").unlink()

    with pytest.raises(ModelLoadError) as info:
        load_model(make_settings(model=str(folder)))
    error = info.value
    assert error.code == "model_load_error"
    problems = {Path(d["path"]).relative_to(folder).as_posix(): d["problem"] for d in error.details}
    assert problems.keys() == {
        "diffusion_pytorch_model.safetensors",
        ORIGINAL_VAE,
        ORIGINAL_T5,
        f"{ORIGINAL_TOKENIZER}/tokenizer.json",
    }
    assert problems[ORIGINAL_VAE] == "missing"
    assert problems[ORIGINAL_T5] == "empty"
    assert problems["diffusion_pytorch_model.safetensors"].startswith("corrupt: truncated")
    assert problems[f"{ORIGINAL_TOKENIZER}/tokenizer.json"] == "missing (nor is there a spiece.model)"
    for path in problems:
        assert str(folder / path) in error.message


def test_damaged_checkpoints_are_told_apart_from_missing_ones(layouts: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_layout(layouts["original"], tmp_path / "damaged")
    vae = folder / ORIGINAL_VAE
    vae.write_bytes(vae.read_bytes()[: vae.stat().st_size // 2])  # zip directory lost
    (folder / ORIGINAL_T5).write_bytes(b"<html>rate limited</html>")
    (folder / ORIGINAL_TOKENIZER / "tokenizer_config.json").write_text("{not json")
    _, problems = verify_weights(folder)
    issues = {p.path.name: p.issue for p in problems}
    assert issues[ORIGINAL_VAE].startswith("corrupt: truncated or damaged zip")
    assert issues[ORIGINAL_T5] == "corrupt: neither a zip nor a pickle: not a torch.save checkpoint"
    assert issues["tokenizer_config.json"].startswith("corrupt: not valid JSON")
    assert len(problems) == 3


def test_a_shard_missing_from_a_sharded_checkpoint_is_named(reference: WanPipeline, tmp_path: Path) -> None:
    folder = write_original_layout(reference, tmp_path / "sharded", shards=2)
    (folder / "diffusion_pytorch_model-00002-of-00002.safetensors").unlink()
    _, problems = verify_weights(folder)
    assert [str(p) for p in problems] == [f"{folder}/diffusion_pytorch_model-00002-of-00002.safetensors: missing"]


def test_incomplete_diffusers_folder_lists_its_missing_parts(layouts: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_layout(layouts["diffusers"], tmp_path / "diffusers")
    (folder / "text_encoder" / "model.safetensors").unlink()
    shutil.rmtree(folder / "scheduler")
    with pytest.raises(ModelLoadError) as info:
        load_model(make_settings(model=str(folder)))
    assert [d["path"] for d in info.value.details] == [
        str(folder / "scheduler" / "scheduler_config.json"),
        str(folder / "text_encoder" / "model.safetensors"),
    ]


def test_a_folder_of_neither_layout_lists_what_each_would_need(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError) as info:
        find_weights(tmp_path / "empty")
    listed = [Path(d["path"]).name for d in info.value.details]
    assert listed == [
        "model_index.json",
        "diffusion_pytorch_model.safetensors",
        ORIGINAL_VAE,
        ORIGINAL_T5,
        "tokenizer_config.json",
        "tokenizer.json",
    ]


def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="missing directory"):
        load_model(make_settings(model=str(tmp_path / "nowhere")))
