"""Logs carry the job id on every line; secrets never reach logs or results."""

from __future__ import annotations

import io
import json
import logging

import pytest

from conftest import make_job, make_settings
from ourvidz_worker.errors import StorageError
from ourvidz_worker.logs import configure_logging
from ourvidz_worker.pipeline import VideoGenerator
from ourvidz_worker.service import Worker
from ourvidz_worker.storage.local import LocalStorage

SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-secret-key.sig"
CALLBACK_SECRET = "callback-hmac-secret-0123456789"


class LeakyStorage(LocalStorage):
    """A backend whose error quotes its credential, as a careless client library might."""

    def upload(self, bucket, path, data, content_type, **options):
        raise StorageError(f"request with Authorization: Bearer {SERVICE_KEY} was refused", status="403")


@pytest.fixture
def captured():
    stream = io.StringIO()
    settings = make_settings(runpod_endpoint_id="endpoint-1")  # production formatting: JSON lines
    handler = configure_logging(
        settings.model_copy(
            update={"supabase_service_key": _secret(SERVICE_KEY), "job_callback_secret": _secret(CALLBACK_SECRET)}
        ),
        stream=stream,
    )
    yield stream
    logging.getLogger().removeHandler(handler)


def _secret(value):
    from pydantic import SecretStr

    return SecretStr(value)


def _worker(tiny_model, output_dir, storage_class=LocalStorage):
    settings = make_settings(output_dir=output_dir, job_callback_secret=CALLBACK_SECRET)
    settings = settings.model_copy(update={"supabase_service_key": _secret(SERVICE_KEY)})
    return Worker(settings, VideoGenerator(tiny_model), storage_class(output_dir))


def test_every_line_of_a_job_is_json_with_its_job_id(captured, tiny_model, output_dir):
    job = make_job("video")
    result = _worker(tiny_model, output_dir).run(job)
    assert result["status"] == "completed"
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    job_lines = [line for line in lines if line["logger"].startswith("ourvidz_worker.service")]
    assert [line["message"] for line in job_lines] == ["job started", "job completed"]
    assert all(line["jobId"] == job["jobId"] for line in job_lines)


def test_secrets_never_reach_logs_or_results(captured, tiny_model, output_dir):
    worker = _worker(tiny_model, output_dir, LeakyStorage)
    outputs = [worker.run(make_job("video")), worker.run(make_job("enhance")), worker.run({"jobId": SERVICE_KEY})]
    logging.getLogger("ourvidz_worker.test").error("quoting %s and %s", SERVICE_KEY, CALLBACK_SECRET)

    assert outputs[0]["status"] == "failed" and "***" in outputs[0]["errorMessage"]
    emitted = captured.getvalue() + json.dumps(outputs)
    assert SERVICE_KEY not in emitted and CALLBACK_SECRET not in emitted
    assert "quoting *** and ***" in captured.getvalue()


def test_settings_never_print_their_secrets():
    settings = make_settings(job_callback_secret=CALLBACK_SECRET)
    assert CALLBACK_SECRET not in repr(settings) and CALLBACK_SECRET not in str(settings.model_dump())


def test_supabase_jobs_never_emit_the_service_key(captured, tiny_model):
    """Success, storage failure and a wrong bucket against the Supabase wire protocol."""
    from fake_supabase import running
    from ourvidz_worker.storage.supabase import SupabaseStorage
    from test_storage_supabase import supabase_settings

    with running(service_key=SERVICE_KEY) as fake:
        settings = supabase_settings(fake, job_callback_secret=CALLBACK_SECRET)
        worker = Worker(settings, VideoGenerator(tiny_model), SupabaseStorage.from_settings(settings))
        outputs = [worker.run(make_job("video"))]
        fake.inject("status", status=503, times=10)
        outputs.append(worker.run(make_job("video")))
        fake.clear_faults()
        wrong_bucket = Worker(
            settings.model_copy(update={"bucket_videos": "no-such-bucket"}),
            VideoGenerator(tiny_model),
            SupabaseStorage.from_settings(settings),
        )
        outputs.append(wrong_bucket.run(make_job("video")))

    assert [o["status"] for o in outputs] == ["completed", "failed", "failed"]
    emitted = captured.getvalue() + json.dumps(outputs)
    assert SERVICE_KEY not in emitted and CALLBACK_SECRET not in emitted


def test_a_library_console_handler_does_not_duplicate_lines():
    root = logging.getLogger()
    foreign = logging.StreamHandler(io.StringIO())  # what logging.basicConfig() in a library adds
    root.addHandler(foreign)
    handler = configure_logging(make_settings())
    try:
        assert foreign not in root.handlers and handler in root.handlers
    finally:
        root.removeHandler(handler)
