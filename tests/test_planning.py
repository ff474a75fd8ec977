"""Planning a job against the loaded model: presets, size limits and flow shift per resolution."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import make_job, make_settings
from ourvidz_worker.contract import parse_job_input
from ourvidz_worker.errors import InvalidInputError
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.planning import plan_job
from ourvidz_worker.variants import SIZES_480P


@pytest.fixture
def planner_for(tiny_model, tmp_path):
    """Planning is a pure function of the job and the model's capabilities: no generator needed."""

    def build(**changes):
        # A GPU model's capabilities unless a test says otherwise: the production defaults.
        capabilities = dataclasses.replace(VideoGenerator(tiny_model).capabilities(), **{"on_cpu": False, **changes})
        settings = make_settings(output_dir=tmp_path)
        return lambda job, prompt: plan_job(job, prompt, capabilities, settings, seed=123)

    return build


def plan(planner, **metadata):
    job = make_job("video")
    job["metadata"] = {"seed": 7, **metadata}  # only what the test gives: the rest is left to the defaults
    return planner(parse_job_input(job), "a prompt")


def test_presets_follow_the_model(planner_for):
    big = planner_for()  # the tiny model offers 480p and 720p, like 14B
    assert (plan(big).request.width, plan(big).request.height) == (832, 480)
    request = plan(big, resolution="720p", aspect="portrait").request
    assert (request.width, request.height, request.flow_shift) == (720, 1280, 5.0)
    assert plan(big, aspect="square").request.width == 624


def test_a_480p_model_refuses_720p(planner_for):
    small = planner_for(sizes={"480p": SIZES_480P}, max_pixels=832 * 480, variant="t2v-1.3b")
    with pytest.raises(InvalidInputError) as caught:
        plan(small, resolution="720p")
    assert caught.value.details[0]["field"] == "metadata.resolution" and "480p" in caught.value.details[0]["message"]
    with pytest.raises(InvalidInputError) as caught:
        plan(small, width=1280, height=720)
    assert caught.value.details[0]["field"] == "metadata.width" and "399360" in caught.value.details[0]["message"]
    assert plan(small, width=832, height=480).request.flow_shift == 3.0


def test_size_and_preset_together_are_refused():
    job = make_job("video", resolution="720p")
    with pytest.raises(InvalidInputError, match="not both"):
        parse_job_input(job)


def test_a_cpu_run_scales_the_defaults_it_was_not_given_and_says_so(planner_for):
    cpu = planner_for(on_cpu=True)
    planned = plan(cpu)
    assert (planned.request.width, planned.request.height, planned.clips[0].frames) == (256, 144, 17)
    assert planned.scaled_defaults.fields == ["width", "height", "numFrames"]
    assert "256x144" in planned.scaled_defaults.note and "832x480" in planned.scaled_defaults.note
    portrait = plan(cpu, aspect="portrait")
    assert (portrait.request.width, portrait.request.height) == (144, 256)
    assert "480x832" in portrait.scaled_defaults.note


def test_what_a_cpu_job_sets_is_never_scaled(planner_for):
    cpu = planner_for(on_cpu=True)
    chosen = plan(cpu, width=832, height=480, numFrames=81)
    assert (chosen.request.width, chosen.request.height, chosen.clips[0].frames) == (832, 480, 81)
    assert chosen.scaled_defaults is None
    assert plan(cpu, numFrames=33).scaled_defaults.fields == ["width", "height"]


def test_gpu_runs_keep_the_production_defaults(planner_for):
    planned = plan(planner_for())
    assert (planned.request.width, planned.request.height, planned.clips[0].frames) == (832, 480, 81)
    assert planned.request.steps == 50 and planned.scaled_defaults is None


def test_cpu_scaling_can_be_switched_off(tiny_model, tmp_path):
    capabilities = VideoGenerator(tiny_model).capabilities()
    job = parse_job_input(make_job("video") | {"metadata": {}})
    planned = plan_job(job, "p", capabilities, make_settings(cpu_job_defaults=False), seed=1)
    assert (planned.request.width, planned.clips[0].frames) == (832, 81) and planned.scaled_defaults is None


def test_conditioning_images_are_checked_even_when_the_model_cannot_use_them(planner_for):
    job = make_job("video")
    job["metadata"]["characterImagePath"] = f"{job['userId']}/characters/c.png"
    planned = planner_for(image_conditioning=False)(parse_job_input(job), "p")
    (image,) = planned.images
    assert image.field == "metadata.characterImagePath" and not image.used
    assert planned.conditioning["characterNote"] == "text-only model: the reference image is not used"
