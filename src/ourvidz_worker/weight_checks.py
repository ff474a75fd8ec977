"""Verifying a Wan 2.1 weights folder, before any of it is read.

Two layouts are recognised, by their files:

- Diffusers (`Wan-AI/Wan2.1-T2V-*-Diffusers`): `model_index.json` and one folder per component.
- Original Wan 2.1 (`Wan-AI/Wan2.1-T2V-*`): `diffusion_pytorch_model.safetensors` (14B: shards
  `diffusion_pytorch_model-0000i-of-0000n.safetensors` named by an index json), `Wan2.1_VAE.pth`,
  `models_t5_umt5-xxl-enc-bf16.pth` and the `google/umt5-xxl/` tokenizer folder.

Verification opens every required file and checks what can be checked without loading it: JSON
parses, a safetensors header parses and the file is as long as the header says, a torch checkpoint's
zip directory is intact. Every problem is reported at once. This module imports no torch, so the
image builder can verify a download in a second.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import ModelLoadError
from .variants import VARIANTS

Layout = Literal["diffusers", "original"]

# Original Wan 2.1 file names.
TRANSFORMER_STEM = "diffusion_pytorch_model"
ORIGINAL_VAE = "Wan2.1_VAE.pth"
ORIGINAL_T5 = "models_t5_umt5-xxl-enc-bf16.pth"
ORIGINAL_TOKENIZER = "google/umt5-xxl"


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


def read_json(path: Path) -> object:
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
            read_json(path)
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


def file_problems(paths: Iterable[Path]) -> list[Problem]:
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
    index_data = read_json(index)
    weight_map = index_data.get("weight_map") if isinstance(index_data, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        return [], [Problem(index, "corrupt: no weight_map")]
    shards = [folder / name for name in sorted(set(weight_map.values()))]
    return shards, file_problems(shards)


def _tokenizer_problems(folder: Path) -> list[Problem]:
    problems = file_problems([folder / "tokenizer_config.json"])
    vocab = [folder / "tokenizer.json", folder / "spiece.model"]
    present = [p for p in vocab if p.is_file()]
    if not present:
        problems.append(Problem(folder / "tokenizer.json", "missing (nor is there a spiece.model)"))
    problems += file_problems(present)
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
    problems += file_problems([root / ORIGINAL_VAE, root / ORIGINAL_T5])
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
    problems = file_problems([root / "model_index.json", root / "scheduler" / "scheduler_config.json"])
    problems += file_problems(root / part / "config.json" for part in ("transformer", "vae", "text_encoder"))
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
        raise problems_error(f"weights at {root} are unusable", problems)
    return files


def problems_error(summary: str, problems: Sequence[Problem], looked: Sequence[str] = ()) -> ModelLoadError:
    """One ModelLoadError listing every problem (and the places looked in), in text and details."""
    lines = [summary + ":"] + [f"  - {p}" for p in problems]
    if looked:
        lines.append("looked in: " + ", ".join(looked))
    details = [{"path": str(p.path), "problem": p.issue} for p in problems]
    details += [{"path": place, "problem": "looked here"} for place in looked]
    return ModelLoadError("\n".join(lines), details=details)


# ---------------------------------------------------------------------------------------------
# The name a folder is reported under

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
