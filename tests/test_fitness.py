"""Production start-up fitness checks: GPU present, storage credentials and buckets accepted."""

from __future__ import annotations

import pytest
import torch

from fake_supabase import running
from ourvidz_worker.errors import ConfigurationError
from ourvidz_worker.fitness import fitness_checks
from ourvidz_worker.storage.supabase import SupabaseStorage


class WorkerShape:
    def __init__(self, storage, model):
        self.storage = storage
        self.generator = type("Generator", (), {"model": model})()


def checks_by_name(worker):
    return {check.__name__: check for check in fitness_checks(worker)}


@pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the refusal on a machine without a GPU")
def test_no_gpu_fails_the_fitness_check(tiny_model):
    with pytest.raises(ConfigurationError, match="no CUDA GPU"):
        checks_by_name(WorkerShape(None, tiny_model))["gpu_present"]()


def test_storage_with_a_wrong_key_fails_the_fitness_check(tiny_model):
    with running() as fake:
        good = SupabaseStorage(fake.url, fake.service_key, attempts=1)
        bad = SupabaseStorage(fake.url, "not-the-service-key", attempts=1)
        missing = SupabaseStorage(fake.url, fake.service_key, attempts=1, buckets={"videos": "no-such-bucket"})
        checks_by_name(WorkerShape(good, tiny_model))["storage_accepts_credentials"]()  # passes
        for storage in (bad, missing):
            with pytest.raises(ConfigurationError, match="not usable"):
                checks_by_name(WorkerShape(storage, tiny_model))["storage_accepts_credentials"]()
        assert "not-the-service-key" not in repr(bad)
