"""Tests for ourvidz_worker.variants: the released Wan 2.1 models, their presets and shipped configs."""

from __future__ import annotations

import pytest
import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel
from diffusers.loaders.single_file_utils import (
    convert_wan_transformer_to_diffusers,
    convert_wan_vae_to_diffusers,
)
from transformers import UMT5Config, UMT5EncoderModel

from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.original_weights import t5_key_to_transformers
from ourvidz_worker.variants import VARIANTS, TransformerShape, variant_for
from ourvidz_worker.weights import check_shipped_configs
from weight_layouts import t5_key_to_original, transformer_key_to_original, vae_key_to_original


def test_variant_presets() -> None:
    small, large = VARIANTS["t2v-1.3b"], VARIANTS["t2v-14b"]
    assert small.sizes == {"480p": {"landscape": (832, 480), "portrait": (480, 832), "square": (624, 624)}}
    assert large.sizes["720p"] == {"landscape": (1280, 720), "portrait": (720, 1280)}
    assert (small.max_pixels, large.max_pixels) == (832 * 480, 1280 * 720)


def test_image_to_video_is_refused_by_name_and_unknown_shapes_match_no_variant() -> None:
    with pytest.raises(ModelLoadError, match="image-to-video"):
        variant_for(TransformerShape(dim=5120, in_channels=36, num_layers=40))
    odd = TransformerShape(dim=1536, in_channels=16, num_layers=20)  # a 1.3B width, not its depth
    assert variant_for(odd) is None


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
