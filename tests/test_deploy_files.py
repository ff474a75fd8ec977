"""Deployment files: Dockerfile, .dockerignore, requirements, RunPod Hub files, the weights builder.

Nothing here builds an image or downloads weights; the checks are the ones that catch a broken
deployment before a build: files the Dockerfile copies exist and are not ignored, pins are exact,
the package carries its model configs, the Hub's test jobs pass the job contract, and the
builder's verification accepts a complete layout and lists what an incomplete one lacks.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pydantic import AliasChoices

from builder import download
from ourvidz_worker.config import Settings
from ourvidz_worker.contract import parse_job_input
from ourvidz_worker.variants import VARIANTS
from ourvidz_worker.weight_checks import ORIGINAL_T5, ORIGINAL_TOKENIZER, ORIGINAL_VAE
from ourvidz_worker.weights import ALIASES, locate_weights

ROOT = Path(__file__).resolve().parent.parent


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        lines.append(current + raw)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in lines]


def copied_sources() -> list[str]:
    sources = []
    for instruction, args in dockerfile_instructions():
        if instruction in ("COPY", "ADD"):
            if "--from" in args:
                continue
            parts = [p for p in args.split() if not p.startswith("--")]
            sources += parts[:-1]
    return sources


def env_names() -> set[str]:
    """Every environment variable Settings reads."""
    names = set()
    for name, field in Settings.model_fields.items():
        if isinstance(field.validation_alias, AliasChoices):
            names |= {c for c in field.validation_alias.choices if isinstance(c, str)}
        else:
            names.add(f"OURVIDZ_{name.upper()}")
    return names


# ---------------------------------------------------------------------------------------------
# Dockerfile and .dockerignore


def test_every_file_the_dockerfile_copies_exists() -> None:
    sources = copied_sources()
    assert {"requirements.txt", "pyproject.toml", "README.md", "src", "builder", "handler.py"} <= set(sources)
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing


def dockerignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            parts = path.split("/")
            hit = any(fnmatch.fnmatch("/".join(parts[i:]), pattern[3:]) for i in range(len(parts)))
        else:
            hit = fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
        if hit:
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_build_needs_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = []
    for source in copied_sources():
        path = ROOT / source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        needed += [f.relative_to(ROOT).as_posix() for f in files if "__pycache__" not in f.parts]
    assert "src/ourvidz_worker/model_configs/t2v-14b/transformer/config.json" in needed
    assert [f for f in needed if dockerignored(f, patterns)] == []
    for unwanted in (".venv/bin/python", ".git/HEAD", "output/videos-final/x.mp4", "weights/Wan2.1_VAE.pth"):
        assert dockerignored(unwanted, patterns), unwanted


def test_requirements_are_exact_pins_and_the_dockerfile_installs_them() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    loose = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[\w,-]+\])?==[\w.+!-]+", line)]
    assert not loose
    pins = dict(line.split("==") for line in lines)
    runs = [args for instruction, args in dockerfile_instructions() if instruction == "RUN"]
    # The image installs the GPU extras, which pull in requirements.txt; both exactly pinned.
    assert any(re.search(r"pip install -r requirements-gpu\.txt\b", run) for run in runs)
    gpu = [line.strip() for line in (ROOT / "requirements-gpu.txt").read_text().splitlines()]
    gpu = [line for line in gpu if line and not line.startswith("#")]
    assert gpu[0] == "-r requirements.txt" and all(re.fullmatch(r"[\w.-]+==[\w.+!-]+", line) for line in gpu[1:])
    torch_arg = next(args for instruction, args in dockerfile_instructions() if args.startswith("TORCH_VERSION="))
    assert torch_arg == f"TORCH_VERSION={pins['torch']}"
    for name in ("diffusers", "transformers", "safetensors", "huggingface-hub", "runpod"):
        assert name in pins


def test_dockerfile_runs_offline_only_after_the_optional_weight_bake() -> None:
    instructions = dockerfile_instructions()
    bake = next(i for i, (ins, args) in enumerate(instructions) if ins == "RUN" and "builder/download.py" in args)
    offline = next(i for i, (ins, args) in enumerate(instructions) if ins == "ENV" and "HF_HUB_OFFLINE=1" in args)
    assert bake < offline
    env = instructions[offline][1]
    assert "TRANSFORMERS_OFFLINE=1" in env
    model = re.search(r"OURVIDZ_MODEL=(\S+)", env).group(1)
    assert model in ALIASES
    assert instructions[-1] == ("CMD", '["python", "-u", "handler.py"]')


def test_the_built_package_ships_its_model_configs(tmp_path: Path) -> None:
    """A non-editable install (as in the image) must carry model_configs/ as package data."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "dist", "."],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("config.json")}
    expected = {
        f"ourvidz_worker/model_configs/{v}/{part}/config.json"
        for v in VARIANTS
        for part in ("transformer", "vae", "text_encoder")
    }
    assert expected <= shipped, "add to pyproject.toml: [tool.setuptools.package-data] ourvidz_worker = [...]"


# ---------------------------------------------------------------------------------------------
# RunPod Hub


def test_hub_json_describes_a_serverless_gpu_worker_with_real_settings() -> None:
    hub = json.loads((ROOT / ".runpod" / "hub.json").read_text())
    assert hub["type"] == "serverless" and hub["category"] == "video"
    assert hub["title"] and hub["description"] and hub["iconUrl"].startswith("https://")
    config = hub["config"]
    assert config["runsOn"] == "GPU" and config["gpuCount"] == 1
    assert isinstance(config["containerDiskInGb"], int) and config["containerDiskInGb"] >= 20
    assert config["gpuIds"] and config["allowedCudaVersions"]
    keys = [entry["key"] for entry in config["env"]]
    assert len(keys) == len(set(keys))
    assert set(keys) <= env_names(), set(keys) - env_names()
    for entry in config["env"]:
        assert entry["input"]["name"] and entry["input"]["description"]
        assert entry["input"]["type"] in ("string", "number", "boolean")
    model = next(e["input"] for e in config["env"] if e["key"] == "OURVIDZ_MODEL")
    assert {o["value"] for o in model["options"]} == set(VARIANTS)
    for preset in config["presets"]:
        assert set(preset["defaults"]) <= set(keys)


def test_tests_json_jobs_pass_the_job_contract() -> None:
    tests = json.loads((ROOT / ".runpod" / "tests.json").read_text())
    hub = json.loads((ROOT / ".runpod" / "hub.json").read_text())
    assert tests["tests"]
    for case in tests["tests"]:
        assert case["name"]
        assert isinstance(case["timeout"], int) and case["timeout"] > 0
        job = parse_job_input(case["input"])
        assert job.ignored_fields == []
    config = tests["config"]
    assert config["gpuTypeId"] and config["gpuCount"] == 1
    assert {e["key"] for e in config["env"]} <= env_names()
    assert config["allowedCudaVersions"] == hub["config"]["allowedCudaVersions"]


def test_hub_needs_handler_dockerfile_and_readme_at_the_root() -> None:
    for name in ("handler.py", "Dockerfile", "README.md"):
        assert (ROOT / name).is_file(), name


# ---------------------------------------------------------------------------------------------
# builder/download.py


def write_safetensors_header(path: Path, shapes: dict[str, list[int]]) -> None:
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 2
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + offset)  # sparse: the header is what verification reads


def write_torch_zip(path: Path) -> None:
    """The container format torch.save writes: a zip holding archive/data.pkl."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/version", b"3\n")


def fake_original_1_3b(folder: Path) -> Path:
    """Every file of Wan-AI/Wan2.1-T2V-1.3B that the worker needs, with the 1.3B shapes."""
    folder.mkdir(parents=True, exist_ok=True)
    shapes = {"patch_embedding.weight": [1536, 16, 1, 2, 2]}
    shapes |= {f"blocks.{i}.modulation": [1, 6, 1536] for i in range(30)}
    write_safetensors_header(folder / "diffusion_pytorch_model.safetensors", shapes)
    write_torch_zip(folder / ORIGINAL_VAE)
    write_torch_zip(folder / ORIGINAL_T5)
    tokenizer = folder / ORIGINAL_TOKENIZER
    tokenizer.mkdir(parents=True)
    (tokenizer / "tokenizer_config.json").write_text('{"tokenizer_class": "T5Tokenizer"}')
    (tokenizer / "tokenizer.json").write_text('{"model": {}}')
    (tokenizer / "spiece.model").write_bytes(b"\x0a\x01")
    (tokenizer / "special_tokens_map.json").write_text("{}")
    return folder


def run_builder(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "builder" / "download.py"), *args], capture_output=True, text=True, cwd=ROOT
    )


def test_verify_only_accepts_a_complete_layout(tmp_path: Path) -> None:
    folder = fake_original_1_3b(tmp_path / "Wan2.1-T2V-1.3B")
    done = run_builder("--verify-only", "--dest", str(folder), "--model", "t2v-1.3b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {folder}: original layout, t2v-1.3b (hidden dim 1536, 30 layers")


def test_verify_only_rejects_an_incomplete_layout_with_the_list(tmp_path: Path) -> None:
    folder = fake_original_1_3b(tmp_path / "w")
    (folder / ORIGINAL_T5).unlink()
    (folder / ORIGINAL_VAE).write_bytes(b"")
    done = run_builder("--verify-only", "--dest", str(folder))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"FAILED: {folder} is not usable Wan 2.1 weights; 2 problem(s):",
        f"  - {folder / ORIGINAL_VAE}: empty",
        f"  - {folder / ORIGINAL_T5}: missing",
    ]


def test_verify_only_refuses_the_wrong_model_and_bad_arguments(tmp_path: Path, capsys) -> None:
    folder = fake_original_1_3b(tmp_path / "w")
    assert download.main(["--verify-only", "--dest", str(folder), "--model", "t2v-14b"]) == 1
    assert "asked for t2v-14b, but" in capsys.readouterr().err
    assert download.main(["--verify-only"]) == 2  # no --dest
    assert download.main(["--model", "t2v-9b"]) == 2


def test_download_fetches_only_needed_files_then_verifies(tmp_path: Path, capsys) -> None:
    calls = []

    def fake_hub(repo_id: str, dest: Path, patterns: list[str], revision: str | None) -> None:
        calls.append((repo_id, patterns, revision))
        fake_original_1_3b(dest)

    status = download.main(
        ["--model", "t2v-1.3b", "--into", str(tmp_path / "volume" / "models"), "--revision", "abc"], download=fake_hub
    )
    assert status == 0, capsys.readouterr().err
    assert calls == [("Wan-AI/Wan2.1-T2V-1.3B", download.ALLOW_PATTERNS["original"], "abc")]
    # Where the builder puts it is where the worker's name lookup looks.
    files = locate_weights("t2v-1.3b", tmp_path / "volume", tmp_path / "image")
    assert files.root == tmp_path / "volume" / "models" / "Wan-AI" / "Wan2.1-T2V-1.3B"


def test_a_failed_download_exits_3_and_says_to_rerun(tmp_path: Path, capsys) -> None:
    def broken_hub(*_: object) -> None:
        raise OSError("connection reset")

    assert download.main(["--model", "t2v-14b", "--dest", str(tmp_path / "w")], download=broken_hub) == 3
    err = capsys.readouterr().err
    assert "Wan-AI/Wan2.1-T2V-14B stopped: OSError: connection reset" in err and "again to resume" in err


@pytest.mark.parametrize("fmt", ["original", "diffusers"])
def test_allow_patterns_cover_every_file_verification_requires(fmt: str, tmp_path: Path) -> None:
    if fmt == "original":
        folder = fake_original_1_3b(tmp_path / "w")
    else:
        folder = tmp_path / "w"
        for name in (
            "model_index.json",
            "scheduler/scheduler_config.json",
            "transformer/config.json",
            "transformer/diffusion_pytorch_model.safetensors.index.json",
            "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
            "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors",
            "text_encoder/config.json",
            "text_encoder/model.safetensors",
            "tokenizer/tokenizer_config.json",
            "tokenizer/tokenizer.json",
        ):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).touch()
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    patterns = download.ALLOW_PATTERNS[fmt]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
