"""Property-based hostile inputs: every one is refused field by field, before any work.

Two strategies, 5,000 examples each under `HYPOTHESIS_PROFILE=hostile` (what .ci/run runs; 1,000
each in the everyday run, see conftest): a valid platform job with one field broken in a hostile
way (wrong types, huge strings, unicode tricks, traversal in ids, NaN/inf, nested junk), and
arbitrary JSON as the whole input. The worker's generator and storage record any use, so the
tests prove that no GPU work starts and no file is written.
"""

from __future__ import annotations

import logging
import math
import re
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_job, make_settings
from ourvidz_worker.contract import UUID_PATTERN
from ourvidz_worker.service import Worker


class NoWork:
    """Stands in for the generator and storage: any use is recorded and fails the job loudly."""

    model = SimpleNamespace(max_frames=81, model_id="none")

    def __init__(self):
        self.calls = []

    def _record(self, name):
        self.calls.append(name)
        raise AssertionError(f"{name} called for an invalid job")

    def generate(self, *args, **kwargs):
        self._record("generate")

    def upload(self, *args, **kwargs):
        self._record("upload")

    def remove(self, *args, **kwargs):
        self._record("remove")


@pytest.fixture(scope="module")
def guarded():
    generator, storage = NoWork(), NoWork()
    worker = Worker(make_settings(), generator, storage)
    logging.getLogger("ourvidz_worker").setLevel(logging.ERROR)  # 10,000 refusals need no log lines
    yield worker, generator, storage
    logging.getLogger("ourvidz_worker").setLevel(logging.NOTSET)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
not_a_string = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.lists(json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
)  # fmt: skip
uuid_text = "5e2d7c1a-8f43-4b6a-b1d9-3c0e6f2a7b12"
hostile_ids = st.one_of(
    st.text(max_size=80).filter(lambda s: not re.match(UUID_PATTERN, s)),
    st.sampled_from(
        [
            "../" + uuid_text,
            uuid_text + "/..",
            uuid_text + "\n",
            uuid_text.replace("-", "\u2010"),  # unicode hyphen
            uuid_text[:8] + "\u200b" + uuid_text[8:],  # zero-width space
            "\u202e" + uuid_text,  # right-to-left override
            uuid_text.replace("5", "\uff15"),  # fullwidth digit
            "%2e%2e%2f" + uuid_text,
            "{" + uuid_text + "}",
            uuid_text.replace("-", ""),
            "",
        ]
    ),
    not_a_string.filter(lambda v: v is not None),
)
bad_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: math.isnan(f) or math.isinf(f) or f != int(f)),
    st.booleans(),
    st.text(max_size=10),
    st.integers(min_value=2**32, max_value=2**70),
    st.integers(max_value=-1),
    st.lists(st.integers(), max_size=3),
)
bad_metadata_values = {
    "numFrames": bad_numbers | st.integers(min_value=2, max_value=240).filter(lambda n: n % 4 != 1),
    "width": bad_numbers | st.integers(min_value=128, max_value=1280).filter(lambda n: n % 16),
    "steps": bad_numbers | st.integers(min_value=101),
    "seed": bad_numbers,
    "fps": bad_numbers | st.integers(min_value=61),
    "guidanceScale": st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 21.0, "5", True]),
    "flowShift": st.sampled_from([math.nan, math.inf, 0, -3.0, 100.0, "3.0", [3]]),
    "aspect": st.text(max_size=20).filter(lambda s: s not in ("landscape", "portrait", "square"))
    | not_a_string.filter(lambda v: v is not None),
    "negativePrompt": not_a_string.filter(lambda v: v is not None) | st.just("n" * 5000),
}


@st.composite
def broken_jobs(draw):
    job = make_job(draw(st.sampled_from(["video", "preview", "image", "enhance"])))
    junk = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3))
    job["metadata"] = {**junk, **{k: v for k, v in job["metadata"].items() if k not in junk}}
    target = draw(st.sampled_from(["id", "jobType", "prompt", "metadata", "missing", "metadata-value"]))
    if target == "id":
        job[draw(st.sampled_from(["jobId", "userId", "videoId", "imageId", "characterId"]))] = draw(hostile_ids)
    elif target == "jobType":
        job["jobType"] = draw(
            st.text(max_size=20).filter(lambda s: s not in ("video", "preview", "image", "enhance")) | not_a_string
        )
    elif target == "prompt":
        job["prompt"] = draw(
            st.one_of(
                st.text(alphabet=" \t\n\r\u3000", max_size=20),
                st.integers(4001, 20000).map(lambda n: "a" * n),
                st.text(min_size=1, max_size=20).map(lambda s: s + "\x00" + s),
                not_a_string,
            )
        )
    elif target == "metadata":
        job["metadata"] = draw(
            st.one_of(st.lists(json_values, max_size=3), st.text(), st.integers(), st.floats(), st.booleans())
        )
    elif target == "missing":
        del job[draw(st.sampled_from(["jobId", "userId", "jobType", "prompt"]))]
    else:
        key = draw(st.sampled_from(sorted(bad_metadata_values)))
        job["metadata"][key] = draw(bad_metadata_values[key])
        if key == "width":
            job["metadata"]["height"] = 128
    return job


def _assert_refused(result, generator, storage):
    assert result["status"] == "failed", result
    assert result["errorCode"] == "invalid_input", result
    assert result["errorDetails"] and all(d["field"] and d["message"] for d in result["errorDetails"])
    assert generator.calls == [] and storage.calls == []


@given(job=broken_jobs())
def test_hostile_jobs_are_refused_field_by_field(guarded, job):
    worker, generator, storage = guarded
    _assert_refused(worker.run(job), generator, storage)


@given(
    raw=json_values
    | st.dictionaries(st.sampled_from(["jobId", "userId", "jobType", "prompt", "metadata"]), json_values)
)
def test_arbitrary_json_is_refused(guarded, raw):
    worker, generator, storage = guarded
    _assert_refused(worker.run(raw), generator, storage)
