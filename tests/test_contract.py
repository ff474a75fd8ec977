"""The job contract: the platform's payload passes unchanged; every bad field is named."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import make_job, stored_files
from ourvidz_worker.contract import parse_job_input
from ourvidz_worker.errors import InvalidInputError
from ourvidz_worker.schema import SCHEMA_DIR, build_schemas, render

PLATFORM_PAYLOAD = {
    "jobId": "0B6C2F0E-3A51-4C8E-9A57-7D2F1E4B9C01",
    "videoId": "5e2d7c1a-8f43-4b6a-b1d9-3c0e6f2a7b12",
    "imageId": None,
    "userId": "9a1f4e27-6c3b-4d85-a2e0-1b7f5d3c8e23",
    "jobType": "preview",
    "prompt": "  a cat on a windowsill  ",
    "characterId": None,
    "metadata": {"projectId": "abc", "credits": 3},
    "timestamp": "2026-11-25T12:00:00.123Z",
}


def test_platform_payload_is_accepted_unchanged():
    job = parse_job_input(PLATFORM_PAYLOAD)
    assert job.jobId == "0b6c2f0e-3a51-4c8e-9a57-7d2f1e4b9c01"  # canonical lower case for paths
    assert job.prompt == "a cat on a windowsill"
    assert job.metadata.seed is None
    assert job.ignored_fields == ["metadata.credits", "metadata.projectId"]


def test_null_metadata_means_defaults():
    job = parse_job_input({**PLATFORM_PAYLOAD, "metadata": None})
    assert job.metadata.width is None and job.ignored_fields == []


def test_options_a_job_type_cannot_use_are_reported_not_dropped():
    still = parse_job_input(make_job("preview", numFrames=5, fps=24))
    assert still.ignored_fields == ["metadata.fps", "metadata.numFrames"]
    enhance = parse_job_input(make_job("enhance"))  # make_job gives size, frames, steps and a seed
    assert enhance.ignored_fields == ["metadata.height", "metadata.numFrames", "metadata.seed", "metadata.steps",
                                      "metadata.width"]  # fmt: skip
    assert parse_job_input(make_job("video", numFrames=5, fps=24)).ignored_fields == []


def test_no_pattern_message_is_the_uuid_one_for_a_field_that_is_not_a_uuid():
    from ourvidz_worker.contract import JobInput

    def patterned(schema, path=""):
        if isinstance(schema, dict):
            if "pattern" in schema:
                yield path, schema["pattern"]
            for key, value in schema.items():
                yield from patterned(value, f"{path}/{key}")
        elif isinstance(schema, list):
            for value in schema:
                yield from patterned(value, path)

    from ourvidz_worker.contract import PATTERN_RULES

    patterns = {pattern for _, pattern in patterned(JobInput.model_json_schema())}
    assert patterns and patterns <= set(PATTERN_RULES)  # every pattern-checked field has words of its own


VALID = make_job("video")
INVALID_CASES = [
    # (what, change to the job, field named, words the message must contain)
    ("frames not 4k+1", {"metadata": {"numFrames": 80}}, "metadata.numFrames", "4k+1"),
    ("zero frames", {"metadata": {"numFrames": 0}}, "metadata.numFrames", "greater than or equal to 1"),
    ("too many frames", {"metadata": {"numFrames": 1001}}, "metadata.numFrames", "241"),
    ("frames as text", {"metadata": {"numFrames": "81"}}, "metadata.numFrames", "integer"),
    ("width not /16", {"metadata": {"width": 830, "height": 480}}, "metadata.width", "multiple of 16"),
    ("height not /16", {"metadata": {"width": 832, "height": 470}}, "metadata.height", "multiple of 16"),
    ("width alone", {"metadata": {"width": 832}}, "metadata", "together"),
    (
        "size and aspect",
        {"metadata": {"width": 832, "height": 480, "aspect": "square"}},
        "metadata",
        "aspect",
    ),
    ("too many pixels", {"metadata": {"width": 1280, "height": 1280}}, "metadata", "1280x720"),
    ("unknown aspect", {"metadata": {"aspect": "wide"}}, "metadata.aspect", "landscape"),
    ("absurd steps", {"metadata": {"steps": 100000}}, "metadata.steps", "100"),
    ("boolean steps", {"metadata": {"steps": True}}, "metadata.steps", "integer"),
    ("NaN guidance", {"metadata": {"guidanceScale": float("nan")}}, "metadata.guidanceScale", "finite"),
    ("negative seed", {"metadata": {"seed": -1}}, "metadata.seed", "greater than or equal to 0"),
    ("fps zero", {"metadata": {"fps": 0}}, "metadata.fps", "greater than or equal to 1"),
    ("metadata a list", {"metadata": [1, 2]}, "metadata", "object"),
    ("bad job uuid", {"jobId": "job-123"}, "jobId", "UUID"),
    ("lora name a path", {"metadata": {"loras": [{"name": "../../x"}]}}, "metadata.loras.0.name", "LoRA name"),
    ("lora name a url", {"metadata": {"loras": [{"name": "https://x.example/a"}]}}, "metadata.loras.0.name", "letters"),
    ("traversal user id", {"userId": "../../etc/passwd"}, "userId", "UUID"),
    ("slash in video id", {"videoId": "5e2d7c1a-8f43-4b6a-b1d9-3c0e6f2a7b12/../x"}, "videoId", "UUID"),
    ("uuid with braces", {"imageId": "{5e2d7c1a-8f43-4b6a-b1d9-3c0e6f2a7b12}"}, "imageId", "UUID"),
    ("unknown job type", {"jobType": "music"}, "jobType", "'enhance', 'preview', 'video' or 'image'"),
    ("missing prompt", {"prompt": None}, "prompt", "required"),
    ("prompt a number", {"prompt": 5}, "prompt", "string"),
    ("blank prompt", {"prompt": "   \n "}, "prompt", "text"),
    ("huge prompt", {"prompt": "x" * 4001}, "prompt", "4000"),
    ("control chars", {"prompt": "hello\x00world"}, "prompt", "control"),
    ("bad timestamp", {"timestamp": "yesterday"}, "timestamp", "datetime"),
]


def _apply(change: dict) -> dict:
    job = json.loads(json.dumps(VALID))
    for key, value in change.items():
        if key == "metadata" and isinstance(value, dict):
            job["metadata"] = {k: v for k, v in job["metadata"].items() if k not in ("width", "height")}
            job["metadata"].update(value)
        elif value is None:
            job.pop(key)
        else:
            job[key] = value
    return job


@pytest.mark.parametrize(("what", "change", "field", "words"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_input_names_the_field(what, change, field, words):
    with pytest.raises(InvalidInputError) as caught:
        parse_job_input(_apply(change))
    fields = [d["field"] for d in caught.value.details]
    assert field in fields, caught.value.details
    message = next(d["message"] for d in caught.value.details if d["field"] == field)
    assert words.lower() in message.lower(), message
    assert field in str(caught.value)


@pytest.mark.parametrize(("what", "change", "field", "words"), INVALID_CASES[:6] + INVALID_CASES[16:22])
def test_invalid_job_through_worker_fails_and_writes_nothing(worker, output_dir, what, change, field, words):
    result = worker.run(_apply(change))
    assert result["status"] == "failed" and result["errorCode"] == "invalid_input"
    assert field in result["error"]
    assert any(d["field"] == field for d in result["errorDetails"])
    assert stored_files(output_dir) == []


def test_non_object_input_is_rejected(worker):
    for raw in (None, "video please", [1], 42):
        result = worker.run(raw)
        assert result["status"] == "failed" and result["jobId"] is None
        assert "must be a JSON object" in result["error"]


def test_frames_above_the_models_limit_are_rejected(worker):
    result = worker.run(make_job("video", numFrames=85))
    assert result["status"] == "failed"
    assert result["errorDetails"] == [
        {"field": "metadata.numFrames", "message": "at most 81 frames for this model (got 85)"}
    ]


def test_checked_in_schema_is_current():
    for name, schema in build_schemas().items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"{name} missing: run python -m ourvidz_worker.schema"
        assert path.read_text() == render(schema), f"{name} is stale: run python -m ourvidz_worker.schema"


def test_schema_describes_the_platform_fields():
    schema = build_schemas()["job_input.schema.json"]
    assert set(schema["required"]) == {"jobId", "userId", "jobType", "prompt"}
    assert set(schema["properties"]) >= set(PLATFORM_PAYLOAD)
    output = build_schemas()["job_output.schema.json"]["$defs"]
    assert set(output["JobResult"]["properties"]) >= {
        "jobId",
        "status",
        "outputUrl",
        "errorMessage",
        "enhancedPrompt",
    }


TORCH_FREE_MODULES = ["contract", "schema", "planning", "request", "memory", "layout", "errors", "config"]


@pytest.mark.parametrize("module", TORCH_FREE_MODULES)
def test_the_contract_and_planning_import_no_torch(module: str) -> None:
    """The edge functions' schema, the job contract and planning load without the GPU stack."""
    heavy = ("torch", "diffusers", "transformers")
    code = f"import sys, ourvidz_worker.{module}; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"ourvidz_worker.{module} imports {out.stdout.strip()}"
