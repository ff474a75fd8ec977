"""The released Wan 2.1 text-to-video models this worker knows, and telling them apart.

Each `Variant` has its Hugging Face repos (original and Diffusers layout), the transformer shapes
that identify it (1.3B or 14B), the preset sizes it is meant for and a folder of Diffusers configs
shipped in `model_configs/`. This module imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError

CONFIG_ROOT = Path(__file__).parent / "model_configs"  # shipped Diffusers configs, one folder a variant
CONFIG_COMPONENTS = ("transformer", "vae", "text_encoder")

SIZES_480P: Mapping[str, tuple[int, int]] = {
    "landscape": (832, 480),
    "portrait": (480, 832),
    "square": (624, 624),
}
SIZES_720P: Mapping[str, tuple[int, int]] = {"landscape": (1280, 720), "portrait": (720, 1280)}
# diffusers' advice for Wan 2.1's UniPC flow shift, by resolution (FACTS §4).
RECOMMENDED_FLOW_SHIFT: Mapping[str, float] = {"480p": 3.0, "720p": 5.0}


@dataclass(frozen=True)
class Variant:
    """A released Wan 2.1 text-to-video model, told apart from the others by its shapes."""

    name: str  # also the folder of its configs under model_configs/
    repo_id: str  # original layout on the Hugging Face Hub
    diffusers_repo_id: str
    hidden_dim: int  # out channels of the patch embedding
    num_layers: int
    sizes: Mapping[str, Mapping[str, tuple[int, int]]]  # resolution -> aspect -> (width, height)

    @property
    def config_dir(self) -> Path:
        return CONFIG_ROOT / self.name

    @property
    def max_pixels(self) -> int:
        return max(w * h for preset in self.sizes.values() for w, h in preset.values())


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            name="t2v-1.3b",
            repo_id="Wan-AI/Wan2.1-T2V-1.3B",
            diffusers_repo_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
            hidden_dim=1536,
            num_layers=30,
            sizes={"480p": SIZES_480P},
        ),
        Variant(
            name="t2v-14b",
            repo_id="Wan-AI/Wan2.1-T2V-14B",
            diffusers_repo_id="Wan-AI/Wan2.1-T2V-14B-Diffusers",
            hidden_dim=5120,
            num_layers=40,
            sizes={"480p": SIZES_480P, "720p": SIZES_720P},
        ),
    )
}


@dataclass(frozen=True)
class TransformerShape:
    dim: int
    in_channels: int
    num_layers: int

    def __str__(self) -> str:
        return f"hidden dim {self.dim}, {self.num_layers} layers, {self.in_channels} input channels"


def variant_for(shape: TransformerShape) -> Variant | None:
    """The released model with these shapes; None for other sizes (they need explicit configs)."""
    if shape.in_channels != 16:
        raise ModelLoadError(
            f"transformer with {shape}: {shape.in_channels} input channels means image-to-video"
            " weights (text-to-video has 16); this worker runs Wan 2.1 text-to-video"
        )
    for variant in VARIANTS.values():
        if (variant.hidden_dim, variant.num_layers) == (shape.dim, shape.num_layers):
            return variant
    return None
