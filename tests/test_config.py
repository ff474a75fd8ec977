"""Settings from the environment (config.py): names, defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from ourvidz_worker.config import BUCKET_ROLES, default_buckets, env_name, load_settings
from ourvidz_worker.errors import ConfigurationError


@pytest.fixture
def clean_env(monkeypatch):
    """No OURVIDZ_/SUPABASE_/RunPod variables from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("OURVIDZ_", "SUPABASE_", "RUNPOD_", "JOB_CALLBACK_", "OPENAI_")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_are_read_from_their_variables(clean_env):
    clean_env.setenv("OURVIDZ_JOB_TIMEOUT", "120")
    clean_env.setenv("OURVIDZ_BUCKET_VIDEOS", "final-cuts")
    clean_env.setenv("SUPABASE_URL", "http://127.0.0.1:54321")
    clean_env.setenv("SUPABASE_SERVICE_KEY", "service-key-for-tests")
    settings = load_settings()
    assert settings.job_timeout == 120.0 and settings.uses_supabase and not settings.in_production
    assert settings.buckets["videos"] == "final-cuts" and settings.buckets["thumbnails"] == "video-thumbnails"
    assert "service-key-for-tests" not in repr(settings)


def test_a_malformed_variable_is_named_in_the_error(clean_env):
    clean_env.setenv("OURVIDZ_JOB_TIMEOUT", "soon")
    clean_env.setenv("OURVIDZ_DEVICE", "tpu")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert "OURVIDZ_JOB_TIMEOUT" in message and "OURVIDZ_DEVICE" in message
    assert "'auto', 'cuda' or 'cpu'" in message


def test_half_of_a_pair_is_refused_with_both_names(clean_env):
    clean_env.setenv("SUPABASE_URL", "http://127.0.0.1:54321")
    with pytest.raises(ConfigurationError, match="SUPABASE_URL and SUPABASE_SERVICE_KEY must be set together"):
        load_settings()


def test_variable_names_follow_aliases_then_the_prefix():
    assert env_name("supabase_url") == "SUPABASE_URL"
    assert env_name("job_callback_secret") == "JOB_CALLBACK_SECRET"
    assert env_name("enhancer_base_url") == "OURVIDZ_ENHANCER_BASE_URL"
    assert env_name("job_timeout") == "OURVIDZ_JOB_TIMEOUT"


def test_every_bucket_role_has_a_default_platform_bucket():
    assert set(default_buckets()) == set(BUCKET_ROLES)
    assert default_buckets()["videos"] == "videos-final" and default_buckets()["characters"] == "character-images"
