"""Start-up: no silent fallbacks in production, loud exits with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_settings
from ourvidz_worker.app import build_worker, make_callback, make_storage
from ourvidz_worker.errors import ConfigurationError, ModelLoadError
from ourvidz_worker.policy import PromptPolicy
from ourvidz_worker.storage.local import LocalStorage

ROOT = Path(__file__).resolve().parents[1]


def test_tiny_model_is_refused_on_runpod():
    settings = make_settings(runpod_endpoint_id="ep", supabase_url="http://127.0.0.1:1", supabase_service_key="k" * 20)
    with pytest.raises(ConfigurationError, match="OURVIDZ_MODEL=tiny"):
        build_worker(settings)


def test_missing_storage_credentials_are_refused_on_runpod():
    with pytest.raises(ConfigurationError, match="SUPABASE_URL and SUPABASE_SERVICE_KEY"):
        make_storage(make_settings(runpod_endpoint_id="ep"))


def test_local_storage_is_the_default_off_runpod(tmp_path):
    assert isinstance(make_storage(make_settings(output_dir=tmp_path)), LocalStorage)


def test_half_configured_supabase_is_refused():
    with pytest.raises(ValueError, match="must be set together"):
        make_settings(supabase_url="https://project.supabase.co")


def test_unsigned_callback_is_refused():
    with pytest.raises(ConfigurationError, match="JOB_CALLBACK_SECRET"):
        make_callback(make_settings(job_callback_url="https://example.invalid/functions/v1/job-callback"))


def test_missing_model_directory_names_what_is_missing(tmp_path):
    with pytest.raises(ModelLoadError) as caught:
        build_worker(make_settings(model=str(tmp_path / "nowhere")))
    assert str(tmp_path / "nowhere") in str(caught.value)


def test_handler_exits_loudly_when_production_start_up_fails(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNPOD_", "SUPABASE_", "OURVIDZ_"))}
    # Real weights named (and absent): storage is refused first, before any weight is looked for.
    env.update(RUNPOD_ENDPOINT_ID="endpoint-1", OURVIDZ_MODEL="t2v-1.3b", OURVIDZ_OUTPUT_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "handler.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "start-up failed" in output and "SUPABASE_URL" in output
    assert list(tmp_path.iterdir()) == []


def test_a_configured_safety_judge_is_asked_about_what_the_fast_layers_allow(tmp_path):
    from ourvidz_worker.app import make_policy
    from ourvidz_worker.errors import PolicyViolation
    from test_enhance import ChatServer, completion

    server = ChatServer()
    try:
        settings = make_settings(
            policy_semantic=False,
            policy_judge="openai",
            policy_judge_base_url=server.base_url,
            policy_judge_api_model="guard",
            policy_judge_timeout=30.0,
        )
        policy = make_policy(settings, PromptPolicy(semantic=False))
        server.replies += [(200, completion("ALLOW"), 0), (200, completion("REFUSE"), 0), (500, {}, 0), (500, {}, 0)]
        policy.enforce({"prompt": "a lighthouse at dusk"})  # the judge allows
        with pytest.raises(PolicyViolation):
            policy.enforce({"prompt": "a lighthouse at dawn"})  # the judge refuses
        with pytest.raises(PolicyViolation):
            policy.enforce({"prompt": "a lighthouse at noon"})  # the judge is down: fail closed
        assert len(server.requests) == 4 and server.requests[0]["json"]["max_tokens"] == 8
        assert "a lighthouse at dusk" in server.requests[0]["json"]["messages"][1]["content"]
        with pytest.raises(PolicyViolation):
            policy.enforce({"prompt": "explicit sex with a 12 year old"})  # the rules refuse: judge not asked
        assert len(server.requests) == 4
    finally:
        server.close()


def test_a_judge_without_its_model_or_endpoint_fails_start_up():
    from ourvidz_worker.app import make_policy

    rules = PromptPolicy(semantic=False)
    with pytest.raises(ConfigurationError, match="OURVIDZ_POLICY_JUDGE_MODEL"):
        make_policy(make_settings(policy_semantic=False, policy_judge="local"), rules)
    with pytest.raises(ConfigurationError, match="OURVIDZ_POLICY_JUDGE_BASE_URL"):
        make_policy(make_settings(policy_semantic=False, policy_judge="openai"), rules)
