"""Where a model runs and in which precision: the one translation of `auto`/`cuda`/`cpu` settings."""

from __future__ import annotations

import torch

from .errors import ConfigurationError


def resolve_device(requested: str, setting: str = "OURVIDZ_DEVICE") -> torch.device:
    """`auto` is CUDA when PyTorch sees a GPU, else the CPU; `cuda` without one is a ConfigurationError."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigurationError(f"{setting}=cuda but no CUDA device is visible to PyTorch")
    return torch.device(requested)


def resolve_dtype(requested: str, device: torch.device) -> torch.dtype:
    """`auto` is bfloat16 on CUDA and float32 on the CPU."""
    if requested == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, requested)
