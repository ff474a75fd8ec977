"""Creator LoRAs by name from the LoRA folder: loaded once, switched per job, unknown names refused."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from conftest import make_job, make_settings, stored_files
from media_probe import decode_frames
from ourvidz_worker.models import load_model
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage
from test_profiles import write_lora


@pytest.fixture
def lora_worker(tmp_path, output_dir):
    folder = tmp_path / "loras"
    folder.mkdir()
    settings = make_settings(output_dir=output_dir, lora_dir=folder)
    worker = Worker(settings, VideoGenerator(load_model(settings)), LocalStorage(output_dir))
    transformer = worker.generator.model.pipe.transformer
    write_lora(folder / "film-grain.safetensors", transformer, community_format=False)
    write_lora(folder / "neon_style.safetensors", transformer, community_format=True)
    return worker


def frames_of(result) -> np.ndarray:
    assert result["status"] == "completed", result
    video = next(a for a in result["assets"] if a["kind"] == "video")
    return decode_frames(Path(unquote(urlparse(video["url"]).path)))


def test_loras_change_the_output_and_switch_off_again(lora_worker):
    plain = frames_of(lora_worker.run(make_job("video")))
    with_lora = lora_worker.run(make_job("video", loras=[{"name": "film-grain", "scale": 0.8}]))
    assert with_lora["loras"] == [{"name": "film-grain", "scale": 0.8}]
    both = frames_of(lora_worker.run(make_job("video", loras=[{"name": "film-grain"}, {"name": "neon_style"}])))
    plain_again = frames_of(lora_worker.run(make_job("video")))

    assert not np.array_equal(frames_of(with_lora), plain)
    assert not np.array_equal(both, frames_of(with_lora))
    assert np.array_equal(plain_again, plain)  # switched off without reloading the base model


def test_each_lora_is_loaded_once(lora_worker, monkeypatch):
    loads = []
    pipe = lora_worker.generator.model.pipe
    original = pipe.load_lora_weights
    monkeypatch.setattr(pipe, "load_lora_weights", lambda *a, **k: (loads.append(k["adapter_name"]), original(*a, **k)))
    for _ in range(3):
        assert lora_worker.run(make_job("preview", loras=[{"name": "film-grain"}]))["status"] == "completed"
    assert loads == ["user_film-grain"]


def test_unknown_lora_fails_before_any_work(lora_worker, output_dir):
    result = lora_worker.run(make_job("video", loras=[{"name": "film-grain"}, {"name": "missing-one"}]))
    assert result["status"] == "failed" and result["errorCode"] == "invalid_input"
    assert result["errorDetails"] == [
        {"field": "metadata.loras.1.name", "message": "unknown LoRA 'missing-one'; available: film-grain, neon_style"}
    ]
    assert stored_files(output_dir) == []


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "https://x.example/l.safetensors", "a.b", ""])
def test_lora_names_are_names_not_paths(lora_worker, name):
    result = lora_worker.run(make_job("video", loras=[{"name": name}]))
    assert result["status"] == "failed"
    assert result["errorDetails"][0]["field"] == "metadata.loras.0.name"


def test_duplicate_lora_names_are_refused(lora_worker):
    result = lora_worker.run(make_job("video", loras=[{"name": "film-grain"}, {"name": "film-grain"}]))
    assert result["status"] == "failed" and "once" in result["errorMessage"]
