"""Fetch Wan 2.1 text-to-video weights onto the network volume (or into the image) and verify them.

    python builder/download.py --model t2v-1.3b --format original
        -> /runpod-volume/models/Wan-AI/Wan2.1-T2V-1.3B, where OURVIDZ_MODEL=t2v-1.3b finds it
    python builder/download.py --model t2v-14b --format diffusers --into /models   (image build)
    python builder/download.py --verify-only --dest /runpod-volume/models/Wan-AI/Wan2.1-T2V-1.3B

Weights never download at job time: the worker runs with HF_HUB_OFFLINE=1 and loads what this
command left, after checking it with the same code (`ourvidz_worker.weights`). Downloads resume:
huggingface_hub keeps partial files under DEST/.cache/huggingface; run the command again after an
interruption. Only the files the worker needs are fetched (about 17 GB for 1.3B original, 69 GB
for 14B original; the Diffusers repos store the text encoder in float32 and are larger).
Set HF_TOKEN for a private mirror; --fast turns on hf-xet's high-performance mode.
Run one download per destination at a time: two writers can corrupt each other's files.

Exit status: 0 verified; 1 verification failed (each problem printed); 2 bad arguments;
3 download failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ourvidz_worker.errors import ModelLoadError
from ourvidz_worker.variants import VARIANTS, variant_for
from ourvidz_worker.weight_checks import ORIGINAL_T5, ORIGINAL_TOKENIZER, ORIGINAL_VAE, TRANSFORMER_STEM, verify_weights
from ourvidz_worker.weights import DEFAULT_VOLUME_ROOT, transformer_shape

ALLOW_PATTERNS: dict[str, list[str]] = {
    "original": [
        f"{TRANSFORMER_STEM}*.safetensors",
        f"{TRANSFORMER_STEM}.safetensors.index.json",
        ORIGINAL_VAE,
        ORIGINAL_T5,
        f"{ORIGINAL_TOKENIZER}/*",
        "config.json",
        "LICENSE.txt",
    ],
    "diffusers": [
        "model_index.json",
        "transformer/*",
        "vae/*",
        "text_encoder/*",
        "tokenizer/*",
        "scheduler/*",
        "LICENSE.txt",
    ],
}
EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_DOWNLOAD = 0, 1, 2, 3

Downloader = Callable[[str, Path, list[str], str | None], None]


def repo_for(model: str, fmt: str) -> str:
    variant = VARIANTS[model]
    return variant.repo_id if fmt == "original" else variant.diffusers_repo_id


def hub_download(repo_id: str, dest: Path, patterns: list[str], revision: str | None) -> None:
    """huggingface_hub's resumable snapshot download of the matching files into `dest`."""
    os.environ["HF_HUB_OFFLINE"] = "0"  # this command exists to download, even inside the worker image
    from huggingface_hub import snapshot_download  # imported here: reads its settings from the env

    snapshot_download(repo_id=repo_id, local_dir=dest, allow_patterns=patterns, revision=revision, max_workers=8)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(VARIANTS), help="which Wan 2.1 text-to-video model")
    parser.add_argument(
        "--format",
        choices=sorted(ALLOW_PATTERNS),
        help="original Wan files (default for downloads: smaller, bf16 text encoder) or the -Diffusers repo;"
        " with --verify-only, detected when not given",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dest", type=Path, help="exact folder for the files")
    where.add_argument(
        "--into",
        type=Path,
        default=DEFAULT_VOLUME_ROOT / "models",
        help="parent folder; the files go to INTO/ORG/NAME (default: %(default)s)",
    )
    parser.add_argument("--revision", help="branch, tag or commit to fetch (pin one for reproducible images)")
    parser.add_argument("--fast", action="store_true", help="hf-xet high-performance mode (more CPU and memory)")
    parser.add_argument("--verify-only", action="store_true", help="download nothing; check --dest")
    args = parser.parse_args(argv)
    if args.verify_only and args.dest is None:
        parser.error("--verify-only needs --dest")
    if not args.verify_only and args.model is None:
        parser.error("--model is required to download")
    if not args.verify_only and args.format is None:
        args.format = "original"
    return args


def verify(dest: Path, fmt: str | None, model: str | None) -> int:
    files, problems = verify_weights(dest, fmt)
    if problems or files is None:
        print(f"FAILED: {dest} is not usable Wan 2.1 weights; {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_INVALID
    try:
        shape = transformer_shape(files)
        variant = variant_for(shape)
    except ModelLoadError as exc:
        print(f"FAILED: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    found = variant.name if variant else "custom size (needs OURVIDZ_MODEL_CONFIG_DIR)"
    if model is not None and (variant is None or variant.name != model):
        print(f"FAILED: asked for {model}, but {dest} holds {found} ({shape})", file=sys.stderr)
        return EXIT_INVALID
    print(f"OK: {dest}: {files.layout} layout, {found} ({shape}), {len(files.transformer)} transformer file(s)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, download: Downloader = hub_download) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.fast:
        os.environ["HF_XET_HIGH_PERFORMANCE"] = "1"
    if not args.verify_only:
        repo_id = repo_for(args.model, args.format)
        dest = args.dest or args.into / repo_id
        print(f"downloading {repo_id} ({args.format}) into {dest}")
        dest.mkdir(parents=True, exist_ok=True)
        try:
            download(repo_id, dest, ALLOW_PATTERNS[args.format], args.revision)
        except Exception as exc:  # noqa: BLE001 (any failure of the hub client ends the command the same way)
            print(f"FAILED: download of {repo_id} stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
            print("run the same command again to resume", file=sys.stderr)
            return EXIT_DOWNLOAD
        args.dest = dest
    return verify(args.dest, args.format, args.model)


if __name__ == "__main__":
    sys.exit(main())
