"""Original Wan 2.1 checkpoints -> Diffusers and transformers components, offline.

The transformer (safetensors) and the VAE (`Wan2.1_VAE.pth`) are converted with diffusers' own
key conversion and built with `from_single_file` against the Diffusers configs in `config_dir`;
the UMT5 text encoder (`models_t5_umt5-xxl-enc-bf16.pth`) maps onto transformers'
`UMT5EncoderModel` by renaming keys only. Every tensor the configured model has must be in the
file with its shape, and nothing else: any mismatch is a ModelLoadError naming the tensors.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel
from diffusers.loaders.single_file_utils import (
    convert_wan_transformer_to_diffusers,
    convert_wan_vae_to_diffusers,
)
from safetensors import SafetensorError, safe_open
from transformers import UMT5Config, UMT5EncoderModel

from .errors import ModelLoadError

# What reading a checkpoint or config may raise; each becomes a ModelLoadError with the reason.
LOAD_ERRORS = (OSError, ValueError, RuntimeError, KeyError, EOFError, pickle.UnpicklingError, SafetensorError)

# models_t5_umt5-xxl-enc-bf16.pth -> transformers' UMT5EncoderModel: renaming only.
T5_RENAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^token_embedding\.weight$", "shared.weight"),
        (r"^norm\.weight$", "encoder.final_layer_norm.weight"),
        (r"^blocks\.(\d+)\.norm1\.weight$", r"encoder.block.\1.layer.0.layer_norm.weight"),
        (r"^blocks\.(\d+)\.attn\.([qkvo])\.weight$", r"encoder.block.\1.layer.0.SelfAttention.\2.weight"),
        (
            r"^blocks\.(\d+)\.pos_embedding\.embedding\.weight$",
            r"encoder.block.\1.layer.0.SelfAttention.relative_attention_bias.weight",
        ),
        (r"^blocks\.(\d+)\.norm2\.weight$", r"encoder.block.\1.layer.1.layer_norm.weight"),
        (r"^blocks\.(\d+)\.ffn\.gate\.0\.weight$", r"encoder.block.\1.layer.1.DenseReluDense.wi_0.weight"),
        (r"^blocks\.(\d+)\.ffn\.fc1\.weight$", r"encoder.block.\1.layer.1.DenseReluDense.wi_1.weight"),
        (r"^blocks\.(\d+)\.ffn\.fc2\.weight$", r"encoder.block.\1.layer.1.DenseReluDense.wo.weight"),
    )
)


def t5_key_to_transformers(key: str) -> str | None:
    """The UMT5EncoderModel name of an original Wan T5 key; None for a key it has no place for."""
    for pattern, replacement in T5_RENAMES:
        if pattern.match(key):
            return pattern.sub(replacement, key)
    return None


def _torch_load(path: Path) -> dict[str, torch.Tensor]:
    """A torch.save state dict, memory-mapped where the format allows, without running pickled code."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"{path}: cannot be read as a PyTorch checkpoint ({exc})") from exc
    while isinstance(checkpoint, dict) and isinstance(checkpoint.get("state_dict"), dict):
        checkpoint = checkpoint["state_dict"]
    if not isinstance(checkpoint, dict) or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ModelLoadError(f"{path}: not a state dict of tensors")
    return checkpoint


def _check_fit(
    loaded: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor], source: Path, config_dir: Path
) -> None:
    """Every tensor the configured model has, with its shape, and nothing else; else ModelLoadError."""
    missing = sorted(set(expected) - set(loaded))
    unexpected = sorted(set(loaded) - set(expected))
    reshaped = [
        f"{k} {tuple(loaded[k].shape)} vs {tuple(expected[k].shape)}"
        for k in expected
        if k in loaded and loaded[k].shape != expected[k].shape
    ]
    if not (missing or unexpected or reshaped):
        return
    parts = [
        f"{len(names)} {what} ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"
        for what, names in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("with another shape (file vs config)", reshaped),
        )
        if names
    ]
    details = [
        {"path": str(source), "problem": f"{what}: {name}"}
        for what, names in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("shape", reshaped),
        )
        for name in names[:20]
    ]
    raise ModelLoadError(
        f"{source} does not fit the config in {config_dir}: tensors " + "; ".join(parts), details=details
    )


def _from_single_file(
    cls: type[WanTransformer3DModel] | type[AutoencoderKLWan],
    checkpoint: dict[str, torch.Tensor],
    convert: Callable[..., dict[str, torch.Tensor]],
    config_dir: Path,
    dtype: torch.dtype,
    source: Path,
):
    """Convert original keys, check them against the configured model, then `from_single_file`.

    from_single_file alone ignores missing tensors and leaves them random when accelerate is absent;
    the check makes any mismatch a start-up error naming the tensors.
    """
    try:
        config = cls.load_config(str(config_dir), local_files_only=True)
        with torch.device("meta"):
            expected = cls.from_config(config).state_dict()
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"{config_dir}: not a usable {cls.__name__} config ({exc})") from exc
    if set(checkpoint) != set(expected):
        checkpoint = convert(checkpoint=checkpoint, config=config)
    _check_fit(checkpoint, expected, source, config_dir)
    try:
        return cls.from_single_file(checkpoint, config=str(config_dir), dtype=dtype, local_files_only=True)
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"could not build {cls.__name__} from {source}: {exc}") from exc


def load_original_transformer(paths: tuple[Path, ...], config_dir: Path, dtype: torch.dtype) -> WanTransformer3DModel:
    """The safetensors file(s), cast tensor by tensor: a float32 checkpoint is never whole in RAM as float32."""
    checkpoint: dict[str, torch.Tensor] = {}
    for path in paths:
        try:
            with safe_open(str(path), framework="pt") as f:
                for key in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
                    checkpoint[key] = f.get_tensor(key).to(dtype)
        except LOAD_ERRORS as exc:
            raise ModelLoadError(f"{path}: cannot be read as safetensors ({exc})") from exc
    return _from_single_file(
        WanTransformer3DModel, checkpoint, convert_wan_transformer_to_diffusers, config_dir, dtype, paths[0]
    )


def load_original_vae(path: Path, config_dir: Path) -> AutoencoderKLWan:
    """Wan2.1_VAE.pth, kept in float32: decoding is a small share of the time and bf16 bands."""
    checkpoint = {k: v.float() for k, v in _torch_load(path).items()}
    return _from_single_file(
        AutoencoderKLWan, checkpoint, convert_wan_vae_to_diffusers, config_dir, torch.float32, path
    )


def load_original_t5(path: Path, config_dir: Path, dtype: torch.dtype) -> UMT5EncoderModel:
    checkpoint = _torch_load(path)
    renamed: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for key, tensor in checkpoint.items():
        new_key = t5_key_to_transformers(key)
        if new_key is None:
            unknown.append(key)
        else:
            renamed[new_key] = tensor
    try:
        config = UMT5Config.from_pretrained(str(config_dir), local_files_only=True)
        with torch.device("meta"):
            expected = UMT5EncoderModel(config).state_dict()
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"{config_dir}: not a usable UMT5 config ({exc})") from exc
    expected.pop("encoder.embed_tokens.weight", None)  # tied to shared.weight
    _check_fit({**renamed, **dict.fromkeys(unknown, torch.empty(0))}, expected, path, config_dir)
    try:
        model = UMT5EncoderModel.from_pretrained(None, config=config, state_dict=renamed, dtype=dtype)
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"could not build UMT5EncoderModel from {path}: {exc}") from exc
    return model.eval()
