"""Finding and verifying Wan 2.1 weights, before any of them is read.

`OURVIDZ_MODEL` (other than `tiny`, which `models` builds in code) is either a directory or a
model name. A name is a Hugging Face repo id (`Wan-AI/Wan2.1-T2V-1.3B`), a bare repo name
(`Wan2.1-T2V-1.3B`) or a short alias (`t2v-1.3b`, `t2v-14b`); it is looked up under the network
volume (RunPod's model cache `huggingface-cache/hub/models--ORG--NAME/snapshots/<rev>/`, then
`models/ORG/NAME`, `ORG/NAME`, `models/NAME`, `NAME`) and then under `/models` in the image.

Two layouts are recognised, by their files:

- Diffusers (`Wan-AI/Wan2.1-T2V-*-Diffusers`): `model_index.json` and one folder per component.
- Original Wan 2.1 (`Wan-AI/Wan2.1-T2V-*`): `diffusion_pytorch_model.safetensors` (14B: shards
  `diffusion_pytorch_model-0000i-of-0000n.safetensors` named by an index json), `Wan2.1_VAE.pth`,
  `models_t5_umt5-xxl-enc-bf16.pth` and the `google/umt5-xxl/` tokenizer folder.

Verification opens every required file and checks what can be checked without loading it: JSON
parses, a safetensors header parses and the file is as long as the header says, a torch checkpoint's
zip directory is intact. Every problem is reported at once. Which model the weights are (1.3B or
14B) is read from tensor shapes in the safetensors headers. This module imports no torch, so the
image builder can verify a download in a second.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import ModelLoadError

Layout = Literal["diffusers", "original"]

DEFAULT_VOLUME_ROOT = Path("/runpod-volume")  # where RunPod mounts a network volume
IMAGE_MODEL_ROOT = Path("/models")  # where the Dockerfile bakes weights in, if asked to
CONFIG_ROOT = Path(__file__).parent / "model_configs"  # shipped Diffusers configs, one folder a variant
CONFIG_COMPONENTS = ("transformer", "vae", "text_encoder")

# Original Wan 2.1 file names.
TRANSFORMER_STEM = "diffusion_pytorch_model"
ORIGINAL_VAE = "Wan2.1_VAE.pth"
ORIGINAL_T5 = "models_t5_umt5-xxl-enc-bf16.pth"
ORIGINAL_TOKENIZER = "google/umt5-xxl"

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
class Problem:
    """One required file that is missing or unusable."""

    path: Path
    issue: str

    def __str__(self) -> str:
        return f"{self.path}: {self.issue}"


@dataclass(frozen=True)
class ModelFiles:
    """A verified weights directory: every path here exists and passed its checks."""

    root: Path
    layout: Layout
    name: str  # repo id when known, else the folder name; reported with each result
    transformer: tuple[Path, ...]  # transformer weight files, shards in order
    vae: Path  # original: the .pth; diffusers: the vae/ folder
    text_encoder: Path  # original: the .pth; diffusers: the text_encoder/ folder
    tokenizer: Path  # folder


@dataclass(frozen=True)
class TransformerShape:
    dim: int
    in_channels: int
    num_layers: int

    def __str__(self) -> str:
        return f"hidden dim {self.dim}, {self.num_layers} layers, {self.in_channels} input channels"


# ---------------------------------------------------------------------------------------------
# Checks of single files


def read_safetensors_header(path: Path) -> dict[str, dict]:
    """The tensor table of a safetensors file (name -> dtype, shape, data_offsets), validated.

    Raises ValueError when the header is malformed or the file is shorter than the header says.
    """
    with path.open("rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise ValueError(f"{len(prefix)} bytes, too short for a safetensors header")
        (header_len,) = struct.unpack("<Q", prefix)
        if not 2 <= header_len <= 100_000_000:
            raise ValueError(f"header length {header_len} is not plausible")
        raw = f.read(header_len)
    if len(raw) < header_len:
        raise ValueError(f"header cut short ({len(raw)} of {header_len} bytes)")
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    data_end = 0
    for name, info in tensors.items():
        if not (isinstance(info, dict) and isinstance(info.get("shape"), list) and "dtype" in info):
            raise ValueError(f"tensor {name!r} has no dtype/shape")
        offsets = info.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and 0 <= offsets[0] <= offsets[1]):
            raise ValueError(f"tensor {name!r} has bad data_offsets {offsets!r}")
        data_end = max(data_end, offsets[1])
    expected = 8 + header_len + data_end
    size = path.stat().st_size
    if size < expected:
        raise ValueError(f"truncated: {size:,} bytes, the header needs {expected:,}")
    return tensors


def _check_torch_checkpoint(path: Path) -> None:
    """A torch.save file: a zip with data.pkl (intact directory), or a legacy pickle."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"truncated or damaged zip archive ({exc})") from None
        if not any(name.endswith("data.pkl") for name in names):
            raise ValueError("zip archive without data.pkl: not a torch.save checkpoint")
    elif not magic.startswith(b"\x80"):  # legacy torch.save: a pickle (protocol >= 2)
        raise ValueError("neither a zip nor a pickle: not a torch.save checkpoint")


def _check_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON ({exc})") from None


def check_file(path: Path) -> Problem | None:
    """Exists, is readable and non-empty, and passes the check its suffix calls for."""
    if not path.is_file():  # a dangling symlink (an unfinished cache download) is missing too
        return Problem(path, "missing")
    try:
        if path.stat().st_size == 0:
            return Problem(path, "empty")
        if path.suffix == ".safetensors":
            read_safetensors_header(path)
        elif path.suffix in (".pth", ".pt", ".ckpt"):
            _check_torch_checkpoint(path)
        elif path.suffix == ".json":
            _check_json(path)
        else:
            with path.open("rb") as f:
                f.read(1)
    except PermissionError:
        return Problem(path, "not readable (permission denied)")
    except OSError as exc:
        return Problem(path, f"not readable ({exc.strerror or exc})")
    except ValueError as exc:
        return Problem(path, f"corrupt: {exc}")
    return None


def _problems(paths: Iterable[Path]) -> list[Problem]:
    return [p for p in map(check_file, paths) if p is not None]


def _weight_files(folder: Path, stem: str) -> tuple[list[Path], list[Problem]]:
    """`stem.safetensors`, or `stem.safetensors.index.json` plus every shard the index names."""
    single = folder / f"{stem}.safetensors"
    index = folder / f"{stem}.safetensors.index.json"
    if single.is_file() or not index.is_file():
        problem = check_file(single)
        if problem is not None and problem.issue == "missing":
            problem = Problem(single, f"missing (nor is there a sharded {index.name})")
        return [single], [problem] if problem else []
    problem = check_file(index)
    if problem is not None:
        return [], [problem]
    index_data = _check_json(index)
    weight_map = index_data.get("weight_map") if isinstance(index_data, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        return [], [Problem(index, "corrupt: no weight_map")]
    shards = [folder / name for name in sorted(set(weight_map.values()))]
    return shards, _problems(shards)


def _tokenizer_problems(folder: Path) -> list[Problem]:
    problems = _problems([folder / "tokenizer_config.json"])
    vocab = [folder / "tokenizer.json", folder / "spiece.model"]
    present = [p for p in vocab if p.is_file()]
    if not present:
        problems.append(Problem(folder / "tokenizer.json", "missing (nor is there a spiece.model)"))
    problems += _problems(present)
    return problems


# ---------------------------------------------------------------------------------------------
# Layouts


def detect_layout(root: Path) -> Layout | None:
    if (root / "model_index.json").exists():
        return "diffusers"
    markers = [root / ORIGINAL_VAE, root / ORIGINAL_T5, root / ORIGINAL_TOKENIZER]
    if any(p.exists() for p in markers) or any(root.glob(f"{TRANSFORMER_STEM}*.safetensors*")):
        return "original"
    return None


def _original_files(root: Path) -> tuple[ModelFiles, list[Problem]]:
    transformer, problems = _weight_files(root, TRANSFORMER_STEM)
    problems += _problems([root / ORIGINAL_VAE, root / ORIGINAL_T5])
    problems += _tokenizer_problems(root / ORIGINAL_TOKENIZER)
    files = ModelFiles(
        root=root,
        layout="original",
        name=model_name_of(root),
        transformer=tuple(transformer),
        vae=root / ORIGINAL_VAE,
        text_encoder=root / ORIGINAL_T5,
        tokenizer=root / ORIGINAL_TOKENIZER,
    )
    return files, problems


def _diffusers_files(root: Path) -> tuple[ModelFiles, list[Problem]]:
    problems = _problems([root / "model_index.json", root / "scheduler" / "scheduler_config.json"])
    problems += _problems(root / part / "config.json" for part in ("transformer", "vae", "text_encoder"))
    transformer, found = _weight_files(root / "transformer", TRANSFORMER_STEM)
    problems += found
    problems += _weight_files(root / "vae", TRANSFORMER_STEM)[1]
    problems += _weight_files(root / "text_encoder", "model")[1]
    problems += _tokenizer_problems(root / "tokenizer")
    files = ModelFiles(
        root=root,
        layout="diffusers",
        name=model_name_of(root),
        transformer=tuple(transformer),
        vae=root / "vae",
        text_encoder=root / "text_encoder",
        tokenizer=root / "tokenizer",
    )
    return files, problems


def verify_weights(root: Path, layout: Layout | None = None) -> tuple[ModelFiles | None, list[Problem]]:
    """Check every file a layout needs (detected when not given); return the files and problems.

    `files` is None only when the layout could not be told; then the problems list what each
    layout would need.
    """
    if not root.is_dir():
        return None, [Problem(root, "missing directory")]
    layout = layout or detect_layout(root)
    if layout == "original":
        return _original_files(root)
    if layout == "diffusers":
        return _diffusers_files(root)
    problems = [Problem(root / "model_index.json", "missing (needed by the Diffusers layout)")]
    problems += [
        Problem(p.path, f"{p.issue} (needed by the original Wan 2.1 layout)") for p in _original_files(root)[1]
    ]
    return None, problems


def find_weights(root: Path) -> ModelFiles:
    """Verify one directory; ModelLoadError lists every problem."""
    files, problems = verify_weights(root)
    if problems or files is None:
        raise _load_error(f"weights at {root} are unusable", problems)
    return files


def _load_error(summary: str, problems: Sequence[Problem], looked: Sequence[str] = ()) -> ModelLoadError:
    lines = [summary + ":"] + [f"  - {p}" for p in problems]
    if looked:
        lines.append("looked in: " + ", ".join(looked))
    details = [{"path": str(p.path), "problem": p.issue} for p in problems]
    details += [{"path": place, "problem": "looked here"} for place in looked]
    return ModelLoadError("\n".join(lines), details=details)


# ---------------------------------------------------------------------------------------------
# Names -> directories

ALIASES: dict[str, tuple[str, ...]] = {v.name: (v.repo_id, v.diffusers_repo_id) for v in VARIANTS.values()}
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
_CACHE_DIR = re.compile(r"^models--(?P<org>[^/]+?)--(?P<name>[^/]+)$")


def model_name_of(root: Path) -> str:
    """`ORG/NAME` for a Hub cache snapshot or an `ORG/NAME` folder of a known repo, else the folder name."""
    for parent in (root, *root.parents):
        match = _CACHE_DIR.match(parent.name)
        if match:
            return f"{match['org']}/{match['name']}"
    known = {v.repo_id for v in VARIANTS.values()} | {v.diffusers_repo_id for v in VARIANTS.values()}
    candidate = f"{root.parent.name}/{root.name}"
    return candidate if candidate in known else root.name


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
        raise _load_error(f"OURVIDZ_MODEL={model}: found only incomplete weights", broken, looked)
    raise _load_error(f"OURVIDZ_MODEL={model}: no weights found", [], looked)


# ---------------------------------------------------------------------------------------------
# Which model: 1.3B or 14B


def shape_of_config(path: Path) -> TransformerShape:
    """The shape a Diffusers `WanTransformer3DModel` config.json describes."""
    try:
        config = _check_json(path)
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


def check_shipped_configs() -> None:
    """Raise ModelLoadError when an installed package lacks a shipped config (package data left out)."""
    problems = _problems(v.config_dir / part / "config.json" for v in VARIANTS.values() for part in CONFIG_COMPONENTS)
    if problems:
        raise _load_error("the ourvidz_worker package was installed without its model configs", problems)


def config_dir_for(shape: TransformerShape, override: Path | None = None) -> tuple[Path, Variant | None]:
    """Diffusers configs for original-layout weights: `override` if given, else the shipped ones."""
    variant = variant_for(shape)
    if override is not None:
        problems = _problems(override / part / "config.json" for part in CONFIG_COMPONENTS)
        if problems:
            raise _load_error(f"OURVIDZ_MODEL_CONFIG_DIR={override} is incomplete", problems)
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
