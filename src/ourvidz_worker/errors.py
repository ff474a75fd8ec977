"""The worker's error tree.

Every failure a job can meet is one of these; third-party exceptions are caught where they enter
and re-raised as one of them (`raise X(...) from exc`). `code` is stable and ends up in the job's
result so callers can branch on it without parsing messages.
"""

from __future__ import annotations


class WorkerError(Exception):
    """Base of every error the worker reports for a job."""

    code = "worker_error"
    # A fault that may leave the GPU or process in a bad state asks RunPod for a fresh worker.
    refresh_worker = False

    def __init__(self, message: str, *, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InternalError(WorkerError):
    """An unexpected exception: a bug. The job fails cleanly and the worker keeps serving."""

    code = "internal_error"


class InvalidInputError(WorkerError):
    """The job's input breaks the contract; `details` lists each field and what is allowed."""

    code = "invalid_input"


class ConfigurationError(WorkerError):
    """The worker's environment is wrong (missing weights, credentials, bad settings)."""

    code = "configuration_error"


class ModelLoadError(ConfigurationError):
    """The model could not be found or loaded."""

    code = "model_load_error"


class GenerationError(WorkerError):
    """The diffusion pipeline failed."""

    code = "generation_error"


class OutOfMemoryError(GenerationError):
    """The accelerator ran out of memory; memory was freed, the next job may succeed."""

    code = "out_of_memory"


class EncodingError(WorkerError):
    """Frames could not be encoded to MP4/JPEG/PNG."""

    code = "encoding_error"


class StorageError(WorkerError):
    """An upload, signing or removal in storage failed."""

    code = "storage_error"

    def __init__(self, message: str, *, status: str | None = None, storage_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.storage_code = storage_code


class AssetRejectedError(StorageError):
    """An asset breaks its bucket's size or MIME limit; detected before any upload."""

    code = "asset_rejected"
