"""Loading the Wan 2.1 pipeline once per process (onto the CPU; `accel.prepare` places it), and the
built-in tiny model.

`OURVIDZ_MODEL` is `tiny` (the real diffusers Wan pipeline with tiny random-weight configs built in
code: fixed seed, no download, for local runs and tests) or weights that `weights` finds and
verifies: a Diffusers-format folder, loaded with `from_pretrained`, or the original Wan 2.1 files,
loaded by `original_weights` against the Diffusers configs shipped in `model_configs/` (picked
by the transformer's shapes) so that nothing is fetched. Every failure is a ModelLoadError; on
RunPod `tiny` and missing weights fail start-up, there is no fallback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKLWan,
    UniPCMultistepScheduler,
    WanPipeline,
    WanTransformer3DModel,
    WanVACEPipeline,
    WanVACETransformer3DModel,
)
from diffusers.utils import logging as diffusers_logging
from huggingface_hub.utils import disable_progress_bars as disable_hub_progress_bars
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE
from transformers import AutoTokenizer, PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel
from transformers.utils import logging as transformers_logging

from .config import TINY_MODELS, TINY_VACE_MODEL, Settings
from .devices import resolve_device, resolve_dtype
from .errors import ConfigurationError, ModelLoadError
from .original_weights import LOAD_ERRORS, load_original_t5, load_original_transformer, load_original_vae
from .variants import SIZES_480P, SIZES_720P, variant_for
from .weight_checks import ModelFiles
from .weights import config_dir_for, locate_weights, transformer_shape

log = logging.getLogger(__name__)

TINY_SEED = 0
# Tiny runs any size; it offers both presets so tests can exercise them.
TINY_SIZES: Mapping[str, Mapping[str, tuple[int, int]]] = {"480p": SIZES_480P, "720p": SIZES_720P}
CUSTOM_SIZES: Mapping[str, Mapping[str, tuple[int, int]]] = {"480p": SIZES_480P}


WanPipelines = WanPipeline | WanVACEPipeline


@dataclass(frozen=True)
class LoadedModel:
    """A pipeline on its device and what it is made for; every loader states every field."""

    pipe: WanPipelines
    model_id: str
    device: torch.device
    max_frames: int
    variant: str  # "tiny" | "t2v-1.3b" | "t2v-14b" | "custom" (other shapes, loaded with explicit configs)
    sizes: Mapping[str, Mapping[str, tuple[int, int]]]  # preset sizes by resolution, then aspect: (w, h)

    @property
    def max_pixels(self) -> int:
        """The largest width x height the model is meant for: its biggest preset."""
        return max(w * h for preset in self.sizes.values() for w, h in preset.values())

    def supports(self, width: int, height: int) -> bool:
        return width * height <= self.max_pixels

    @property
    def image_conditioning(self) -> bool:
        """First frame and reference images need a VACE model."""
        return isinstance(self.pipe, WanVACEPipeline)


def silence_progress_bars() -> None:
    """No tqdm bars on stderr while weights load: the logs say what is loading."""
    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    disable_hub_progress_bars()


def flow_scheduler(flow_shift: float) -> UniPCMultistepScheduler:
    """The scheduler diffusers recommends for Wan 2.1 (flow matching, UniPC)."""
    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=flow_shift)


# ---------------------------------------------------------------------------------------------
# The tiny model


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer: every UTF-8 byte is a token, so any prompt encodes, offline."""
    special = ["<pad>", "</s>", "<unk>"]
    vocab = {token: i for i, token in enumerate(special + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", vocab["</s>"])])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def build_tiny_pipeline(flow_shift: float = 3.0, *, vace: bool = False) -> WanPipelines:
    """Real WanPipeline, tiny random weights from a fixed seed: identical in every process.

    `vace=True` builds the image-conditioned variant (WanVACEPipeline: first frame, reference images).
    """
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(TINY_SEED)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            feed_forward_proj="gated-gelu",
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
        )
    )
    torch.manual_seed(TINY_SEED)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    torch.manual_seed(TINY_SEED)
    shape = {
        "patch_size": (1, 2, 2),
        "num_attention_heads": 2,
        "attention_head_dim": 12,
        "in_channels": 16,
        "out_channels": 16,
        "text_dim": 32,
        "freq_dim": 256,
        "ffn_dim": 32,
        "num_layers": 2,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "rope_max_seq_len": 1024,
    }
    if vace:
        # VACE hints: 16 video-latent + 16 reactive-latent + 64 mask channels, into both blocks.
        transformer = WanVACETransformer3DModel(**shape, vace_layers=[0, 1], vace_in_channels=96)
    else:
        transformer = WanTransformer3DModel(**shape)
    return (WanVACEPipeline if vace else WanPipeline)(
        tokenizer=tokenizer,
        text_encoder=text_encoder.eval(),
        vae=vae.eval(),
        transformer=transformer.eval(),
        scheduler=flow_scheduler(flow_shift),
    )


# ---------------------------------------------------------------------------------------------
# Assembling the pipeline from weights


def load_original_pipeline(files: ModelFiles, config_dir: Path, dtype: torch.dtype, flow_shift: float) -> WanPipeline:
    """Original Wan 2.1 files + Diffusers configs from `config_dir` -> WanPipeline, offline."""
    transformer = load_original_transformer(files.transformer, config_dir / "transformer", dtype)
    vae = load_original_vae(files.vae, config_dir / "vae")
    text_encoder = load_original_t5(files.text_encoder, config_dir / "text_encoder", dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(files.tokenizer), local_files_only=True)
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"{files.tokenizer}: not a usable tokenizer folder ({exc})") from exc
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae.eval(),
        transformer=transformer.eval(),
        scheduler=flow_scheduler(flow_shift),
    )


def load_diffusers_pipeline(root: Path, dtype: torch.dtype) -> WanPipelines:
    try:
        # A VACE folder (image conditioning) names its own pipeline class; anything else is text-to-video.
        index = json.loads((root / "model_index.json").read_text())
        pipeline_class = WanVACEPipeline if index.get("_class_name") == "WanVACEPipeline" else WanPipeline
        # The VAE stays float32: its decode is a small share of the time and bf16 bands.
        vae = AutoencoderKLWan.from_pretrained(root, subfolder="vae", dtype=torch.float32, local_files_only=True)
        return pipeline_class.from_pretrained(root, vae=vae, dtype=dtype, local_files_only=True)
    except LOAD_ERRORS as exc:
        raise ModelLoadError(f"could not load Wan 2.1 from {root}: {exc}") from exc


# ---------------------------------------------------------------------------------------------


def check_model_choice(settings: Settings) -> None:
    """The one model setting refused without looking at any file: the tiny model on RunPod."""
    if settings.model in TINY_MODELS and settings.in_production:
        raise ConfigurationError(
            "OURVIDZ_MODEL=tiny is a random-weight model for local runs and tests; on RunPod"
            " set OURVIDZ_MODEL to Wan 2.1 weights (a folder, or a name such as t2v-1.3b)"
        )


def load_model(settings: Settings, *, volume_root: Path | None = None, config_dir: Path | None = None) -> LoadedModel:
    """Build the pipeline once per process; every failure is a ModelLoadError with the reason.

    `volume_root` (default /runpod-volume) is where model names are looked up; `config_dir`
    holds Diffusers configs for original-layout weights of a size this package does not ship.
    """
    check_model_choice(settings)
    if settings.model in TINY_MODELS:
        device = resolve_device(settings.device)
        pipe = build_tiny_pipeline(settings.default_flow_shift, vace=settings.model == TINY_VACE_MODEL)
        pipe.set_progress_bar_config(disable=True)
        return LoadedModel(
            pipe=pipe.to(device),  # a few MB: placed at once, so tests can use it as loaded
            model_id=settings.model,
            device=device,
            max_frames=settings.max_frames,
            variant="tiny",
            sizes=offered_sizes(TINY_SIZES, settings),
        )

    volume_root = volume_root or settings.volume_root
    config_dir = config_dir or settings.model_config_dir
    files = locate_weights(settings.model, Path(volume_root))
    shape = transformer_shape(files)
    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    log.info(
        "loading weights",
        extra={"model": files.name, "layout": files.layout, "path": str(files.root), "shape": str(shape)},
    )
    if files.layout == "diffusers":
        variant = variant_for(shape)
        pipe = load_diffusers_pipeline(files.root, dtype)
    else:
        configs, variant = config_dir_for(shape, Path(config_dir) if config_dir else None)
        pipe = load_original_pipeline(files, configs, dtype, settings.default_flow_shift)
    pipe.set_progress_bar_config(disable=True)
    loaded = LoadedModel(
        pipe=pipe,  # on the CPU: accel.prepare places it on `device` as the memory plan says
        model_id=files.name,
        device=device,
        max_frames=settings.max_frames,
        variant=variant.name if variant else "custom",
        sizes=offered_sizes(variant.sizes if variant else CUSTOM_SIZES, settings),
    )
    log.info("model loaded", extra={"model": loaded.model_id, "variant": loaded.variant, "device": str(device)})
    return loaded


def offered_sizes(
    sizes: Mapping[str, Mapping[str, tuple[int, int]]], settings: Settings
) -> Mapping[str, Mapping[str, tuple[int, int]]]:
    """The model's presets, up to OURVIDZ_MAX_RESOLUTION."""
    if settings.max_resolution == "480p":
        return {resolution: presets for resolution, presets in sizes.items() if resolution == "480p"}
    return sizes
