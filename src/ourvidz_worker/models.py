"""Finding and loading the Wan 2.1 pipeline, and the built-in tiny model.

`OURVIDZ_MODEL` is either a Diffusers-format directory or `tiny`: the real diffusers Wan
pipeline with tiny random-weight configs built in code (fixed seed, no download), for local runs
and tests. On RunPod `tiny` and missing weights fail start-up; there is no fallback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKLWan,
    UniPCMultistepScheduler,
    WanPipeline,
    WanTransformer3DModel,
)
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE
from transformers import PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel

from .config import TINY_MODEL, Settings
from .errors import ConfigurationError, ModelLoadError

log = logging.getLogger(__name__)

DIFFUSERS_LAYOUT = ("model_index.json", "transformer", "vae", "text_encoder", "tokenizer", "scheduler")
TINY_SEED = 0


@dataclass(frozen=True)
class LoadedModel:
    pipe: WanPipeline
    model_id: str
    device: torch.device
    max_frames: int


def resolve_device(settings: Settings) -> torch.device:
    if settings.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if settings.device == "cuda" and not torch.cuda.is_available():
        raise ConfigurationError("OURVIDZ_DEVICE=cuda but no CUDA device is visible to PyTorch")
    return torch.device(settings.device)


def resolve_dtype(settings: Settings, device: torch.device) -> torch.dtype:
    if settings.dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, settings.dtype)


def flow_scheduler(flow_shift: float) -> UniPCMultistepScheduler:
    """The scheduler diffusers recommends for Wan 2.1 (flow matching, UniPC)."""
    return UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=flow_shift
    )


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer: every UTF-8 byte is a token, so any prompt encodes, offline."""
    special = ["<pad>", "</s>", "<unk>"]
    vocab = {token: i for i, token in enumerate(special + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def build_tiny_pipeline(flow_shift: float = 3.0) -> WanPipeline:
    """Real WanPipeline, tiny random weights from a fixed seed: identical in every process."""
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
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=1024,
    )
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder.eval(),
        vae=vae.eval(),
        transformer=transformer.eval(),
        scheduler=flow_scheduler(flow_shift),
    )


def check_diffusers_dir(path: Path) -> None:
    """Raise ModelLoadError listing every missing part, before any weight is read."""
    if not path.is_dir():
        raise ModelLoadError(
            f"OURVIDZ_MODEL={path}: no such directory; expected a Diffusers-format Wan 2.1 folder"
            f" holding {', '.join(DIFFUSERS_LAYOUT)}"
        )
    missing = [name for name in DIFFUSERS_LAYOUT if not (path / name).exists()]
    if missing:
        raise ModelLoadError(
            f"OURVIDZ_MODEL={path} is not a Diffusers-format Wan 2.1 folder: missing {', '.join(missing)}"
        )


def load_model(settings: Settings) -> LoadedModel:
    """Build the pipeline once per process; every failure is a ModelLoadError with the reason."""
    if settings.model == TINY_MODEL:
        if settings.in_production:
            raise ConfigurationError(
                "OURVIDZ_MODEL=tiny is a random-weight model for local runs and tests; on RunPod"
                " set OURVIDZ_MODEL to a Wan 2.1 weights directory"
            )
        device = resolve_device(settings)
        pipe = build_tiny_pipeline(settings.default_flow_shift).to(device)
        model_id = TINY_MODEL
    else:
        path = Path(settings.model).expanduser()
        check_diffusers_dir(path)
        device = resolve_device(settings)
        dtype = resolve_dtype(settings, device)
        try:
            # The VAE stays float32: its decode is a small share of the time and bf16 bands.
            vae = AutoencoderKLWan.from_pretrained(
                path, subfolder="vae", torch_dtype=torch.float32, local_files_only=True
            )
            pipe = WanPipeline.from_pretrained(path, vae=vae, torch_dtype=dtype, local_files_only=True).to(
                device
            )
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise ModelLoadError(f"could not load Wan 2.1 from {path}: {exc}") from exc
        model_id = path.name
    pipe.set_progress_bar_config(disable=True)
    log.info("model ready", extra={"model": model_id, "device": str(device)})
    return LoadedModel(pipe=pipe, model_id=model_id, device=device, max_frames=settings.max_frames)
