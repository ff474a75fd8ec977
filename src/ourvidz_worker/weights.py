"""Finding Wan 2.1 weights by name, and which model they are.

`OURVIDZ_MODEL` (other than `tiny`, which `models` builds in code) is either a directory or a
model name. A name is a Hugging Face repo id (`Wan-AI/Wan2.1-T2V-1.3B`), a bare repo name
(`Wan2.1-T2V-1.3B`) or a short alias (`t2v-1.3b`, `t2v-14b`); it is looked up under the network
volume (RunPod's model cache `huggingface-cache/hub/models--ORG--NAME/snapshots/<rev>/`, then
`models/ORG/NAME`, `ORG/NAME`, `models/NAME`, `NAME`) and then under `/models` in the image.
Every candidate is verified by `weight_checks`. Which model the weights are (1.3B or 14B) is read
from tensor shapes in the safetensors headers, and picks the Diffusers configs that original-layout
weights load with. This module imports no torch, so the image builder can verify a download in a
second.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import ModelLoadError
from .variants import CONFIG_COMPONENTS, VARIANTS, TransformerShape, Variant, variant_for
from .weight_checks import (
    ModelFiles,
    Problem,
    file_problems,
    find_weights,
    problems_error,
    read_json,
    read_safetensors_header,
    verify_weights,
)

DEFAULT_VOLUME_ROOT = Path("/runpod-volume")  # where RunPod mounts a network volume
IMAGE_MODEL_ROOT = Path("/models")  # where the Dockerfile bakes weights in, if asked to

# ---------------------------------------------------------------------------------------------
# Names -> directories

ALIASES: dict[str, tuple[str, ...]] = {v.name: (v.repo_id, v.diffusers_repo_id) for v in VARIANTS.values()}
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def _snapshots(repo_dir: Path) -> Iterator[Path]:
    """Snapshots of a Hub cache repo folder: the one refs/main names first, then newest first."""
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        yield snapshots / ref.read_text(encoding="utf-8").strip()
    if snapshots.is_dir():
        yield from sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)


def candidate_dirs(model: str, roots: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Directories a model name may live in, in the order tried, and the places shown as looked in."""
    repo_ids = ALIASES.get(model.lower(), (model,))
    bare_names = {v.repo_id.split("/")[1].lower(): v.repo_id for v in VARIANTS.values()} | {
        v.diffusers_repo_id.split("/")[1].lower(): v.diffusers_repo_id for v in VARIANTS.values()
    }
    if len(repo_ids) == 1 and "/" not in model and model.lower() in bare_names:
        repo_ids = (bare_names[model.lower()], model)
    dirs: list[Path] = []
    looked: list[str] = []
    for repo in repo_ids:
        org, _, name = repo.rpartition("/")
        for root in roots:
            hub = root / "huggingface-cache" / "hub"
            cached = [hub / f"models--{org}--{name}"] if org else sorted(hub.glob(f"models--*--{name}"))
            for repo_dir in cached:
                dirs += list(_snapshots(repo_dir))
            looked.append(str(hub / f"models--{org or '*'}--{name}" / "snapshots" / "*"))
            plain = [root / "models" / org / name, root / org / name] if org else []
            plain += [root / "models" / name, root / name]
            dirs += plain
            looked += [str(p) for p in plain]
    unique = list(dict.fromkeys(dirs))
    return unique, list(dict.fromkeys(looked))


def locate_weights(
    model: str, volume_root: Path = DEFAULT_VOLUME_ROOT, image_root: Path = IMAGE_MODEL_ROOT
) -> ModelFiles:
    """Turn `OURVIDZ_MODEL` into verified files, or raise ModelLoadError saying what and where."""
    path = Path(model).expanduser()
    if path.is_absolute() or path.is_dir() or model.startswith("."):
        return find_weights(path)
    if not _NAME.match(model):
        raise ModelLoadError(
            f"OURVIDZ_MODEL={model!r} is neither a directory nor a model name like Wan-AI/Wan2.1-T2V-1.3B"
        )
    dirs, looked = candidate_dirs(model, [volume_root, image_root])
    broken: list[Problem] = []
    for candidate in dirs:
        if not candidate.is_dir():
            continue
        files, problems = verify_weights(candidate)
        if files is not None and not problems:
            return files
        broken += problems
    if broken:
        raise problems_error(f"OURVIDZ_MODEL={model}: found only incomplete weights", broken, looked)
    raise problems_error(f"OURVIDZ_MODEL={model}: no weights found", [], looked)


# ---------------------------------------------------------------------------------------------
# Which model: 1.3B or 14B


def shape_of_config(path: Path) -> TransformerShape:
    """The shape a Diffusers `WanTransformer3DModel` config.json describes."""
    try:
        config = read_json(path)
        return TransformerShape(
            dim=int(config["num_attention_heads"]) * int(config["attention_head_dim"]),
            in_channels=int(config["in_channels"]),
            num_layers=int(config["num_layers"]),
        )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: not a usable WanTransformer3DModel config ({exc})") from exc


def transformer_shape(files: ModelFiles) -> TransformerShape:
    """Read from safetensors headers (original) or transformer/config.json (diffusers); no tensor is loaded."""
    if files.layout == "diffusers":
        return shape_of_config(files.root / "transformer" / "config.json")
    tensors: dict[str, dict] = {}
    for path in files.transformer:
        tensors.update(read_safetensors_header(path))
    prefix = "model.diffusion_model." if "model.diffusion_model.patch_embedding.weight" in tensors else ""
    patch = tensors.get(f"{prefix}patch_embedding.weight")
    if patch is None or len(patch["shape"]) != 5:
        raise ModelLoadError(
            f"{files.transformer[0]}: no 5-D patch_embedding.weight; not a Wan 2.1 transformer checkpoint"
        )
    layers = {int(m.group(1)) for key in tensors if (m := re.match(rf"^{re.escape(prefix)}blocks\.(\d+)\.", key))}
    return TransformerShape(dim=patch["shape"][0], in_channels=patch["shape"][1], num_layers=len(layers))


def check_shipped_configs() -> None:
    """Raise ModelLoadError when an installed package lacks a shipped config (package data left out)."""
    problems = file_problems(
        v.config_dir / part / "config.json" for v in VARIANTS.values() for part in CONFIG_COMPONENTS
    )
    if problems:
        raise problems_error("the ourvidz_worker package was installed without its model configs", problems)


def config_dir_for(shape: TransformerShape, override: Path | None = None) -> tuple[Path, Variant | None]:
    """Diffusers configs for original-layout weights: `override` if given, else the shipped ones."""
    variant = variant_for(shape)
    if override is not None:
        problems = file_problems(override / part / "config.json" for part in CONFIG_COMPONENTS)
        if problems:
            raise problems_error(f"OURVIDZ_MODEL_CONFIG_DIR={override} is incomplete", problems)
        configured = shape_of_config(override / "transformer" / "config.json")
        if configured != shape:
            raise ModelLoadError(
                f"OURVIDZ_MODEL_CONFIG_DIR={override} describes a transformer with {configured}, but the"
                f" weights have {shape}"
            )
        return override, variant
    if variant is None:
        known = "; ".join(f"{v.name}: hidden dim {v.hidden_dim}, {v.num_layers} layers" for v in VARIANTS.values())
        raise ModelLoadError(
            f"transformer with {shape} matches no released Wan 2.1 text-to-video model ({known}); for"
            " other sizes set OURVIDZ_MODEL_CONFIG_DIR to a folder holding transformer/, vae/ and"
            " text_encoder/ config.json in Diffusers format"
        )
    return variant.config_dir, variant
