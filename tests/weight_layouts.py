"""Weights folders made for tests from tiny components, and the helpers that read them back.

The original Wan 2.1 files are made here from tiny random Diffusers components: their state dicts
are renamed to the original key names by inverse mappings written below, saved in the original
formats (safetensors transformer, torch.save VAE and T5), and loaded back through the real loader.
Real sizes are only ever built on the meta device or described by hand-written safetensors headers
(`write_fake_safetensors`). `conftest` builds the tiny reference pipeline and its layouts once a session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderKLWan, WanPipeline
from safetensors.torch import save_file

from ourvidz_worker.models import build_tiny_pipeline, flow_scheduler
from ourvidz_worker.weight_checks import ORIGINAL_T5, ORIGINAL_TOKENIZER, ORIGINAL_VAE

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
# Tiny components and the layouts written from them


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


# ---------------------------------------------------------------------------------------------
# Real sizes, described by safetensors headers alone


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
