"""Finding, verifying and loading weights (weights.py, models.py).

The original Wan 2.1 files are made here from tiny random Diffusers components: their state dicts
are renamed to the original key names by inverse mappings written below, saved in the original
formats (safetensors transformer, torch.save VAE and T5), and loaded back through the real loader.
Real sizes are only ever built on the meta device or described by hand-written safetensors headers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKLWan, WanPipeline, WanTransformer3DModel
from diffusers.loaders.single_file_utils import (
    convert_wan_transformer_to_diffusers,
    convert_wan_vae_to_diffusers,
)
from safetensors.torch import save_file
from transformers import UMT5Config, UMT5EncoderModel

from conftest import make_settings
from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.models import build_tiny_pipeline, flow_scheduler, load_model
from ourvidz_worker.original_weights import load_original_transformer, t5_key_to_transformers
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.progress import Progress
from ourvidz_worker.request import GenerationRequest
from ourvidz_worker.variants import CONFIG_ROOT, VARIANTS, TransformerShape, variant_for
from ourvidz_worker.weight_checks import ORIGINAL_T5, ORIGINAL_TOKENIZER, ORIGINAL_VAE, find_weights, verify_weights
from ourvidz_worker.weights import check_shipped_configs, config_dir_for, locate_weights, transformer_shape

# ---------------------------------------------------------------------------------------------
# Diffusers names -> original Wan 2.1 names (the inverse of what diffusers and FACTS §4 map)

TRANSFORMER_TO_ORIGINAL = [  # applied in order to each key
    ("condition_embedder.time_embedder.linear_1", "time_embedding.0"),
    ("condition_embedder.time_embedder.linear_2", "time_embedding.2"),
    ("condition_embedder.text_embedder.linear_1", "text_embedding.0"),
    ("condition_embedder.text_embedder.linear_2", "text_embedding.2"),
    ("condition_embedder.time_proj", "time_projection.1"),
    (".attn1.", ".self_attn."),
    (".attn2.", ".cross_attn."),
    (".to_q.", ".q."),
    (".to_k.", ".k."),
    (".to_v.", ".v."),
    (".to_out.0.", ".o."),
    (".ffn.net.0.proj.", ".ffn.0."),
    (".ffn.net.2.", ".ffn.2."),
    (".norm2.", ".norm3."),  # diffusers' norm2 is the cross-attention norm, Wan's norm3
    ("proj_out.", "head.head."),
]


def transformer_key_to_original(key: str) -> str:
    if key == "scale_shift_table":
        return "head.modulation"
    for old, new in TRANSFORMER_TO_ORIGINAL:
        key = key.replace(old, new)
    return re.sub(r"^blocks\.(\d+)\.scale_shift_table$", r"blocks.\1.modulation", key)


RESNET_TO_ORIGINAL = {
    "norm1.gamma": "residual.0.gamma",
    "conv1.weight": "residual.2.weight",
    "conv1.bias": "residual.2.bias",
    "norm2.gamma": "residual.3.gamma",
    "conv2.weight": "residual.6.weight",
    "conv2.bias": "residual.6.bias",
    "conv_shortcut.weight": "shortcut.weight",
    "conv_shortcut.bias": "shortcut.bias",
}


def vae_key_to_original(key: str) -> str:
    fixed = {
        "quant_conv.weight": "conv1.weight",
        "quant_conv.bias": "conv1.bias",
        "post_quant_conv.weight": "conv2.weight",
        "post_quant_conv.bias": "conv2.bias",
    }
    if key in fixed:
        return fixed[key]
    part, rest = key.split(".", 1)  # encoder | decoder
    if rest.startswith("conv_in."):
        return f"{part}.conv1.{rest[len('conv_in.') :]}"
    if rest.startswith("norm_out."):
        return f"{part}.head.0.{rest[len('norm_out.') :]}"
    if rest.startswith("conv_out."):
        return f"{part}.head.2.{rest[len('conv_out.') :]}"
    if m := re.match(r"mid_block\.resnets\.(\d)\.(.+)$", rest):
        return f"{part}.middle.{2 * int(m[1])}.{RESNET_TO_ORIGINAL[m[2]]}"
    if m := re.match(r"mid_block\.attentions\.0\.(.+)$", rest):
        return f"{part}.middle.1.{m[1]}"
    if m := re.match(r"down_blocks\.(\d+)\.(.+)$", rest):
        return f"{part}.downsamples.{m[1]}.{RESNET_TO_ORIGINAL.get(m[2], m[2])}"
    if m := re.match(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$", rest):
        return f"{part}.upsamples.{4 * int(m[1]) + int(m[2])}.{RESNET_TO_ORIGINAL[m[3]]}"
    if m := re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.(.+)$", rest):
        return f"{part}.upsamples.{4 * int(m[1]) + 3}.{m[2]}"
    raise AssertionError(f"no original name for VAE key {key}")


def t5_key_to_original(key: str) -> str | None:
    """FACTS §4 read backwards; None for the tied copy of the embedding."""
    if key == "encoder.embed_tokens.weight":
        return None
    if key == "shared.weight":
        return "token_embedding.weight"
    if key == "encoder.final_layer_norm.weight":
        return "norm.weight"
    m = re.match(r"encoder\.block\.(\d+)\.layer\.(\d)\.(.+)$", key)
    assert m, key
    i, layer, rest = m[1], m[2], m[3]
    names = {
        ("0", "layer_norm.weight"): "norm1.weight",
        ("0", "SelfAttention.relative_attention_bias.weight"): "pos_embedding.embedding.weight",
        ("1", "layer_norm.weight"): "norm2.weight",
        ("1", "DenseReluDense.wi_0.weight"): "ffn.gate.0.weight",
        ("1", "DenseReluDense.wi_1.weight"): "ffn.fc1.weight",
        ("1", "DenseReluDense.wo.weight"): "ffn.fc2.weight",
    }
    if (layer, rest) in names:
        return f"blocks.{i}.{names[layer, rest]}"
    attn = re.match(r"SelfAttention\.([qkvo])\.weight$", rest)
    assert layer == "0" and attn, key
    return f"blocks.{i}.attn.{attn[1]}.weight"


def to_original(state_dict: dict[str, torch.Tensor], rename) -> dict[str, torch.Tensor]:
    renamed = {rename(k): v.detach().clone().contiguous() for k, v in state_dict.items()}
    renamed.pop(None, None)
    return renamed


# ---------------------------------------------------------------------------------------------
# Tiny components and the two layouts written from them


def tiny_reference_pipeline() -> WanPipeline:
    """The tiny pipeline, with a VAE shaped like the real one (2 res blocks, dims x1 x2 x4 x4) so that
    the original VAE layout, which diffusers' converter hard-codes, applies."""
    tiny = build_tiny_pipeline()
    torch.manual_seed(1)
    vae = AutoencoderKLWan(base_dim=4, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2)
    return WanPipeline(
        tokenizer=tiny.tokenizer,
        text_encoder=tiny.text_encoder,
        vae=vae.eval(),
        transformer=tiny.transformer,
        scheduler=flow_scheduler(3.0),
    )


def write_configs(pipe: WanPipeline, folder: Path) -> Path:
    pipe.transformer.save_config(folder / "transformer")
    pipe.vae.save_config(folder / "vae")
    pipe.text_encoder.config.save_pretrained(folder / "text_encoder")
    return folder


def write_original_layout(pipe: WanPipeline, folder: Path, *, shards: int = 1) -> Path:
    folder.mkdir(parents=True)
    transformer = to_original(pipe.transformer.state_dict(), transformer_key_to_original)
    if shards == 1:
        save_file(transformer, folder / "diffusion_pytorch_model.safetensors")
    else:
        keys = sorted(transformer)
        weight_map = {}
        for i in range(shards):
            name = f"diffusion_pytorch_model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = keys[i::shards]
            save_file({k: transformer[k] for k in part}, folder / name)
            weight_map.update(dict.fromkeys(part, name))
        index = {"metadata": {}, "weight_map": weight_map}
        (folder / "diffusion_pytorch_model.safetensors.index.json").write_text(json.dumps(index))
    torch.save(to_original(pipe.vae.state_dict(), vae_key_to_original), folder / ORIGINAL_VAE)
    torch.save(to_original(pipe.text_encoder.state_dict(), t5_key_to_original), folder / ORIGINAL_T5)
    pipe.tokenizer.save_pretrained(folder / ORIGINAL_TOKENIZER)
    return folder


@pytest.fixture(scope="module")
def reference() -> WanPipeline:
    return tiny_reference_pipeline()


@pytest.fixture(scope="module")
def layouts(reference: WanPipeline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("layouts")
    reference.save_pretrained(root / "diffusers")
    return {
        "diffusers": root / "diffusers",
        "original": write_original_layout(reference, root / "original"),
        "configs": write_configs(reference, root / "configs"),
    }


def copy_layout(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def realigned(pipe: WanPipeline) -> WanPipeline:
    """Every parameter and buffer copied into a fresh allocation, as in a model built in memory."""
    for model in (pipe.transformer, pipe.vae, pipe.text_encoder):
        for param in model.parameters():
            param.data = param.data.clone()
        for module in model.modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = buffer.clone()
    return pipe


def render(pipe: WanPipeline) -> np.ndarray:
    return pipe(
        prompt="a lighthouse at dusk",
        negative_prompt="blurry",
        height=64,
        width=64,
        num_frames=5,
        num_inference_steps=2,
        guidance_scale=5.0,
        generator=torch.Generator("cpu").manual_seed(3),
        output_type="np",
    ).frames[0]


# ---------------------------------------------------------------------------------------------
# (1) original files load through the real loader and render exactly what the Diffusers ones do


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


def test_original_layout_needs_configs_for_sizes_it_does_not_ship(layouts: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="OURVIDZ_MODEL_CONFIG_DIR") as info:
        load_model(make_settings(model=str(layouts["original"])))
    assert "hidden dim 24, 2 layers" in info.value.message


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


# ---------------------------------------------------------------------------------------------
# (2) missing or corrupt files fail start-up with the exact list


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


# ---------------------------------------------------------------------------------------------
# Names resolved under the network volume, RunPod's model cache included


def hub_cache_snapshot(volume: Path, repo: str, source: Path, revision: str = "3f2a9c") -> Path:
    """The Hugging Face cache layout RunPod's model cache uses: snapshot files are links into blobs/."""
    org, name = repo.split("/")
    repo_dir = volume / "huggingface-cache" / "hub" / f"models--{org}--{name}"
    snapshot = repo_dir / "snapshots" / revision
    for i, file in enumerate(sorted(p for p in source.rglob("*") if p.is_file())):
        blob = repo_dir / "blobs" / f"blob{i}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, blob)
        link = snapshot / file.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(revision)
    return snapshot


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
# (3) 1.3B or 14B, from shapes alone


def write_fake_safetensors(path: Path, shapes: dict[str, list[int]]) -> None:
    """A header exactly as safetensors writes it; the data is a sparse hole, never written."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 2 * int(np.prod(shape))  # BF16
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + offset)


def fake_transformer_shapes(dim: int, layers: int, in_channels: int = 16, prefix: str = "") -> dict[str, list[int]]:
    shapes = {f"{prefix}patch_embedding.weight": [dim, in_channels, 1, 2, 2], f"{prefix}head.modulation": [1, 2, dim]}
    shapes |= {f"{prefix}blocks.{i}.modulation": [1, 6, dim] for i in range(layers)}
    return shapes


def fake_original_layout(folder: Path, shapes: dict[str, list[int]], shards: int = 1) -> Path:
    folder.mkdir(parents=True)
    if shards == 1:
        write_fake_safetensors(folder / "diffusion_pytorch_model.safetensors", shapes)
    else:
        names = list(shapes)
        weight_map = {}
        for i in range(shards):
            file = f"diffusion_pytorch_model-{i + 1:05d}-of-{shards:05d}.safetensors"
            write_fake_safetensors(folder / file, {k: shapes[k] for k in names[i::shards]})
            weight_map |= dict.fromkeys(names[i::shards], file)
        (folder / "diffusion_pytorch_model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    torch.save({"decoder.middle.0.residual.0.gamma": torch.zeros(1)}, folder / ORIGINAL_VAE)
    torch.save({"token_embedding.weight": torch.zeros(1)}, folder / ORIGINAL_T5)
    tokenizer = folder / ORIGINAL_TOKENIZER
    tokenizer.mkdir(parents=True)
    (tokenizer / "tokenizer_config.json").write_text("{}")
    (tokenizer / "spiece.model").write_bytes(b"\x0a\x01")
    return folder


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


def test_image_to_video_and_unknown_shapes_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="image-to-video"):
        variant_for(TransformerShape(dim=5120, in_channels=36, num_layers=40))
    odd = TransformerShape(dim=1536, in_channels=16, num_layers=20)  # a 1.3B width, not its depth
    assert variant_for(odd) is None
    with pytest.raises(ModelLoadError, match=r"matches no released Wan 2\.1"):
        config_dir_for(odd)


def test_explicit_configs_must_describe_the_weights(layouts: dict[str, Path]) -> None:
    with pytest.raises(ModelLoadError, match="but the weights have hidden dim 1536"):
        config_dir_for(TransformerShape(dim=1536, in_channels=16, num_layers=30), layouts["configs"])


def test_variant_presets() -> None:
    small, large = VARIANTS["t2v-1.3b"], VARIANTS["t2v-14b"]
    assert small.sizes == {"480p": {"landscape": (832, 480), "portrait": (480, 832), "square": (624, 624)}}
    assert large.sizes["720p"] == {"landscape": (1280, 720), "portrait": (720, 1280)}
    assert (small.max_pixels, large.max_pixels) == (832 * 480, 1280 * 720)


EXPECTED_SIZES = {  # FACTS §4: parameters in billions, transformer width and depth
    "t2v-1.3b": (1.42, 1536, 30, 12, 8960),
    "t2v-14b": (14.29, 5120, 40, 40, 13824),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_shipped_configs_build_the_released_models_and_accept_original_keys(name: str) -> None:
    """Built on the meta device at full size: the configs give FACTS' shapes, and the original key
    names of every tensor map onto the models the configs describe."""
    config_dir = VARIANTS[name].config_dir
    params, dim, layers, heads, ffn = EXPECTED_SIZES[name]
    with torch.device("meta"):
        transformer = WanTransformer3DModel.from_config(WanTransformer3DModel.load_config(config_dir / "transformer"))
        vae = AutoencoderKLWan.from_config(AutoencoderKLWan.load_config(config_dir / "vae"))
        t5 = UMT5EncoderModel(UMT5Config.from_pretrained(config_dir / "text_encoder"))
    assert round(sum(p.numel() for p in transformer.parameters()) / 1e9, 2) == params
    assert transformer.patch_embedding.weight.shape == (dim, 16, 1, 2, 2)
    assert len(transformer.blocks) == layers and transformer.config.num_attention_heads == heads
    assert transformer.config.ffn_dim == ffn and transformer.config.text_dim == 4096
    assert round(sum(p.numel() for p in t5.parameters()) / 1e9, 2) == 5.68
    assert round(sum(p.numel() for p in vae.parameters()) / 1e6) == 127

    sd = transformer.state_dict()
    assert set(convert_wan_transformer_to_diffusers({transformer_key_to_original(k): v for k, v in sd.items()})) == set(
        sd
    )
    sd = vae.state_dict()
    assert set(convert_wan_vae_to_diffusers({vae_key_to_original(k): v for k, v in sd.items()})) == set(sd)
    keys = set(t5.state_dict()) - {"encoder.embed_tokens.weight"}
    assert {t5_key_to_transformers(t5_key_to_original(k)) for k in keys} == keys


def test_variants_share_vae_and_text_encoder_configs() -> None:
    for part in ("vae", "text_encoder"):
        texts = {(VARIANTS[n].config_dir / part / "config.json").read_text() for n in VARIANTS}
        assert len(texts) == 1, part


def test_the_installed_package_has_its_configs() -> None:
    check_shipped_configs()


def test_weights_module_does_not_import_torch() -> None:
    """The image builder verifies downloads with it; torch would add seconds to every run."""
    import subprocess
    import sys

    code = "import sys, ourvidz_worker.weights; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
