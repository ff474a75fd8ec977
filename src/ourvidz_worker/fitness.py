"""Start-up fitness checks for production (RunPod runs them before the first job).

Each check raises with the reason; RunPod then replaces the worker instead of letting it fail
jobs one by one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .errors import ConfigurationError
from .service import Worker


def fitness_checks(worker: Worker) -> list[Callable[[], None]]:
    def gpu_present() -> None:
        if not torch.cuda.is_available():
            raise ConfigurationError("no CUDA GPU is visible to PyTorch on this worker")
        if worker.generator.model.device.type != "cuda":
            raise ConfigurationError(f"the model is on {worker.generator.model.device}, not the GPU")

    def storage_accepts_credentials() -> None:
        check = getattr(worker.storage, "check", None)
        if check is not None:
            check()

    return [gpu_present, storage_accepts_credentials]
