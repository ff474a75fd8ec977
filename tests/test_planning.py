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
        capabilities = dataclasses.replace(VideoGenerator(tiny_model).capabilities(), **changes)
        settings = make_settings(output_dir=tmp_path)
        return lambda job, prompt: plan_job(job, prompt, capabilities, settings, seed=123)

    return build


def plan(planner, **metadata):
    job = make_job("video", **metadata)
    for key in ("width", "height"):
        if key not in metadata:
            job["metadata"].pop(key)
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
