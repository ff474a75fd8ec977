"""Benchmark the worker's generation path against plain diffusers, in one run; prints JSON.

    python bench/benchmark.py --model tiny                      # CPU smoke run (CI runs this)
    python bench/benchmark.py --model 1.3b                      # random weights, real 1.3B shapes
    python bench/benchmark.py --model /runpod-volume/models/... # real weights
    OURVIDZ_GPU_MEMORY_GB=24 python bench/benchmark.py --model 1.3b   # a 24 GB card's plan and budget

On CUDA the worker's path is its production defaults: the memory plan the card gets, compiled
blocks and warm-up of the benchmark's shape (OURVIDZ_* settings apply, e.g. OURVIDZ_COMPILE=0).

The baseline is `WanPipeline.__call__` exactly as diffusers ships it (eager, default attention,
float32 VAE) on the same weights, run before any speed-up touches the modules. Then the worker's
path runs each quality profile with the same prompt and seed and reports per-stage times,
per-step mean, peak GPU memory, and its deviation from `reference` (PSNR of decoded frames,
relative error of latents). No number here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ourvidz_worker.accel import prepare  # noqa: E402
from ourvidz_worker.config import Settings  # noqa: E402
from ourvidz_worker.media import encode_mp4  # noqa: E402
from ourvidz_worker.models import LoadedModel, build_tiny_tokenizer, flow_scheduler, load_model  # noqa: E402
from ourvidz_worker.pipeline import VideoGenerator  # noqa: E402
from ourvidz_worker.progress import Progress  # noqa: E402
from ourvidz_worker.request import PROFILES, TURBO_ADAPTER, GenerationRequest  # noqa: E402
from ourvidz_worker.variants import CONFIG_ROOT, VARIANTS  # noqa: E402

PROMPT = "A red fox trotting through fresh snow at dawn, breath visible in the cold air, cinematic"
NEGATIVE = "blurry, low quality, distorted, static, watermark, text"

# Random weights of the real Wan 2.1 T2V shapes, from the configs the worker ships: speed is
# real, frames are noise.
RANDOM_VARIANTS = {"1.3b": "t2v-1.3b", "14b": "t2v-14b"}


def random_real_shapes(size: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    from diffusers import AutoencoderKLWan, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    configs = CONFIG_ROOT / RANDOM_VARIANTS[size]
    tokenizer = build_tiny_tokenizer()  # ids only index the embedding; any tokenizer times the same
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # initialise in the target precision: no float32 copy of UMT5-XXL
    try:
        with torch.device(device):  # random initialisation is quickest where the model will run
            transformer = WanTransformer3DModel.from_config(WanTransformer3DModel.load_config(configs / "transformer"))
            text_encoder = UMT5EncoderModel(UMT5Config.from_pretrained(configs / "text_encoder"))
        vae = AutoencoderKLWan.from_config(AutoencoderKLWan.load_config(configs / "vae")).float()
    finally:
        torch.set_default_dtype(default_dtype)
    transformer, text_encoder = transformer.to("cpu"), text_encoder.to("cpu")  # loaded models start on the CPU
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder.to(dtype).eval(),
        vae=vae.eval(),
        transformer=with_fp32_modules(transformer.to(dtype)).eval(),
        scheduler=flow_scheduler(3.0),
    )
    pipe.set_progress_bar_config(disable=True)
    variant = VARIANTS[RANDOM_VARIANTS[size]]
    return LoadedModel(
        pipe=pipe, model_id=f"random-{size}", device=device, max_frames=81, variant=variant.name, sizes=variant.sizes
    )


def with_fp32_modules(model: torch.nn.Module) -> torch.nn.Module:
    """Keep in float32 what diffusers keeps there when it loads weights with a dtype (norms, rope...)."""
    keep = set(getattr(model, "_keep_in_fp32_modules", None) or [])
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if keep.intersection(name.split(".")):
            tensor.data = tensor.data.float()
    return model


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_gb(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / 1e9, 2) if device.type == "cuda" else None


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else round(10 * math.log10(255.0**2 / mse), 2)


def run_baseline(model: LoadedModel, args) -> dict:
    """Plain diffusers: the pipeline's own __call__, eager, defaults, float32 VAE."""
    reset_peak(model.device)
    sync(model.device)
    started = time.perf_counter()
    frames = model.pipe(
        prompt=PROMPT, negative_prompt=NEGATIVE, width=args.width, height=args.height,
        num_frames=args.frames, num_inference_steps=args.steps, guidance_scale=5.0,
        generator=torch.Generator("cpu").manual_seed(args.seed), output_type="np",
    ).frames[0]  # fmt: skip
    sync(model.device)
    seconds = time.perf_counter() - started
    frames = (frames * 255).round().clip(0, 255).astype(np.uint8)
    encode_started = time.perf_counter()
    encode_mp4(frames, 16)
    return {
        "endToEndSeconds": round(seconds, 3),
        "mp4EncodeSeconds": round(time.perf_counter() - encode_started, 3),
        "peakGpuMemoryGB": peak_memory_gb(model.device),
    }


def run_profile(generator: VideoGenerator, name: str, args, *, still: bool = False) -> tuple[dict, object]:
    profile = PROFILES[name]
    steps = args.steps if name == "reference" else min(profile.steps, args.steps)
    request = GenerationRequest(
        prompt=PROMPT, negative_prompt=NEGATIVE, width=args.width, height=args.height,
        num_frames=1 if still else args.frames, steps=steps, guidance_scale=profile.guidance_scale,
        flow_shift=profile.flow_shift or 3.0, seed=args.seed, profile=profile,
    )  # fmt: skip
    device = generator.model.device
    generator.clear_prompt_cache()  # time the text encoder too; the cache is measured separately
    reset_peak(device)
    sync(device)
    started = time.perf_counter()
    generated = generator.generate(request, Progress(None), keep_latents=True)
    sync(device)
    end_to_end = time.perf_counter() - started
    row = {
        "profile": name,
        "steps": steps,
        "guidance": request.guidance_scale,
        "frames": request.num_frames,
        "endToEndSeconds": round(end_to_end, 3),
        "stages": {k: round(v, 3) for k, v in generated.timings.items()},
        "perStepMeanSeconds": round(generated.timings["denoise"] / steps, 4),
        "peakGpuMemoryGB": peak_memory_gb(device),
    }
    if not still:
        encode_started = time.perf_counter()
        encode_mp4(generated.frames, 16)
        row["stages"]["mp4Encode"] = round(time.perf_counter() - encode_started, 3)
    return row, generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny", help="tiny | 1.3b | 14b | path to weights")
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--frames", type=int)
    parser.add_argument("--steps", type=int, help="reference/baseline steps (default 50; tiny: 4)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--profiles", default="reference,fast,turbo")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--turbo-lora", type=Path, help="step-distillation LoRA for the turbo profile")
    args = parser.parse_args(argv)

    tiny = args.model == "tiny"
    args.width = args.width or (256 if tiny else 832)
    args.height = args.height or (144 if tiny else 480)
    args.frames = args.frames or (17 if tiny else 81)
    args.steps = args.steps or (4 if tiny else 50)

    settings = Settings(model=args.model if args.model not in RANDOM_VARIANTS else "tiny")
    started = time.perf_counter()
    if args.model in RANDOM_VARIANTS:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = random_real_shapes(args.model, device, torch.bfloat16 if device.type == "cuda" else torch.float32)
    else:
        model = load_model(settings)
    load_seconds = time.perf_counter() - started
    device = model.device
    startup = {"load": round(load_seconds, 2)}

    report: dict = {
        "model": model.model_id,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "shape": {"width": args.width, "height": args.height, "frames": args.frames},
        "loadSeconds": round(load_seconds, 2),
    }
    if not args.no_baseline:
        report["baseline"] = {"name": "plain diffusers WanPipeline (eager, defaults)", "steps": args.steps}
        model.pipe.to(device)  # everything resident, as plain diffusers runs it
        try:
            report["baseline"] |= run_baseline(model, args)
        except torch.OutOfMemoryError as exc:
            report["baseline"]["error"] = f"out of memory: {str(exc).splitlines()[0]}"
        model.pipe.to("cpu")
        reset_peak(device)

    started = time.perf_counter()
    acceleration = prepare(model, settings)
    startup["prepare"] = round(time.perf_counter() - started, 2)
    report["memoryPlan"] = acceleration.report()
    generator = VideoGenerator(
        model,
        prompt_cache_size=settings.prompt_cache_size,
        text_encoder_device=torch.device("cpu") if acceleration.plan.text_encoder == "cpu" else None,
        placement=acceleration.report(),
    )
    lora = args.turbo_lora or settings.turbo_lora
    if lora is not None:
        generator.load_adapter(TURBO_ADAPTER, lora, settings.turbo_lora_scale)
    started = time.perf_counter()
    for frames in (args.frames, 1):  # the benchmark's video and still shapes: compilation and kernel selection
        warm = GenerationRequest(PROMPT, NEGATIVE, args.width, args.height, frames, 1, 5.0, 3.0, args.seed)
        generator.generate(warm, Progress(None))
    sync(device)
    startup["warmup"] = round(time.perf_counter() - started, 2)
    startup["total"] = round(sum(startup.values()), 2)
    report["startup"] = startup

    rows, reference = [], None
    for name in [p.strip() for p in args.profiles.split(",") if p.strip()]:
        if PROFILES[name].adapter and not generator.has_adapter(PROFILES[name].adapter):
            rows.append({"profile": name, "skipped": "no step-distillation LoRA (--turbo-lora)"})
            continue
        row, generated = run_profile(generator, name, args)
        if name == "reference":
            reference = generated
        elif reference is not None:
            row["vsReference"] = {
                "psnrDb": psnr(generated.frames, reference.frames),
                "latentRelativeError": round(
                    float((generated.latents - reference.latents).norm() / reference.latents.norm()), 5
                ),
            }
        if "baseline" in report and name == "reference":
            row["speedupVsBaseline"] = round(report["baseline"]["endToEndSeconds"] / row["endToEndSeconds"], 2)
        rows.append(row)
    report["profiles"] = rows
    still, _ = run_profile(generator, "reference", args, still=True)
    report["previewStill"] = still

    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
