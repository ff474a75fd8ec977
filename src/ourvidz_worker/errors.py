"""The worker's error tree, in one place.

Every failure a job can meet is one of these; third-party exceptions are caught where they enter
and re-raised as one of them (`raise X(...) from exc`). `code` is stable and ends up in the job's
result so callers can branch on it without parsing messages. Anything else that escapes a job is
a bug and becomes `InternalError` at the service boundary.

    WorkerError
    ├── InternalError             a bug: the job fails cleanly, the worker keeps serving
    ├── InvalidInputError         the input breaks the contract (field by field in `details`)
    ├── PolicyViolation           the content policy refused the job's texts
    ├── ConfigurationError        the deployment is wrong (settings, credentials, buckets)
    │   └── ModelLoadError        weights missing, corrupt or unloadable
    ├── GenerationError           the diffusion pipeline failed
    │   ├── GpuOutOfMemoryError   out of accelerator memory (freed; the next job may succeed)
    │   ├── DeviceFaultError      the CUDA context may be poisoned: RunPod replaces the worker
    │   └── DeadlineExceededError the job's time ran out between two denoising steps
    ├── EncodingError             frames could not become MP4/JPEG/PNG
    ├── StorageError              an upload, download, signing or removal failed
    │   ├── AssetRejectedError    the bucket refuses the object (size, MIME type)
    │   └── ObjectNotFoundError   the object asked for does not exist
    └── EnhancerError             an LLM enhancer failed (never fails a job: the template steps in)
"""

from __future__ import annotations

# What a refused job says, whatever rule refused it: never the rule, never the text.
REFUSAL_MESSAGE = "This request was refused by the content policy."


class WorkerError(Exception):
    """Base of every error the worker reports for a job."""

    code = "worker_error"
    # A fault that may leave the GPU or process in a bad state asks RunPod for a fresh worker.
    refresh_worker = False

    def __init__(self, message: str, *, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        # Objects the failed job stored and could not remove again ({"bucket", "path"}); the service
        # fills this in where it cleans up, and the failure result lists them for the finalizer.
        self.leftover_objects: list[dict[str, str]] = []


class InternalError(WorkerError):
    """An unexpected exception: a bug. The job fails cleanly and the worker keeps serving."""

    code = "internal_error"


class InvalidInputError(WorkerError):
    """The job's input breaks the contract; `details` lists each field and what is allowed."""

    code = "invalid_input"

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInputError:
        """One field's refusal: `field: message`, with the same pair in `details`."""
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class PolicyViolation(WorkerError):
    """The job's texts break the content policy. The message never quotes them."""

    code = "policy_violation"

    def __init__(self, rule: str, field: str) -> None:
        super().__init__(REFUSAL_MESSAGE, details=[{"field": field, "message": "refused by the content policy"}])
        self.rule = rule  # for logs only; not shown to the user
        self.field = field


class ConfigurationError(WorkerError):
    """The worker's environment is wrong (missing weights, credentials, bad settings)."""

    code = "configuration_error"


class ModelLoadError(ConfigurationError):
    """The model could not be found or loaded."""

    code = "model_load_error"


class GenerationError(WorkerError):
    """The diffusion pipeline failed."""

    code = "generation_error"


class GpuOutOfMemoryError(GenerationError):
    """The accelerator ran out of memory; memory was freed, the next job may succeed."""

    code = "out_of_memory"


class DeviceFaultError(GenerationError):
    """A device-side fault (illegal memory access, ECC error): the CUDA context may be unusable."""

    refresh_worker = True


class DeadlineExceededError(GenerationError):
    """The job's deadline passed; denoising stopped between two steps."""


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
    """An asset breaks its bucket's size or MIME limit."""

    code = "asset_rejected"


class ObjectNotFoundError(StorageError):
    """The object asked for does not exist."""

    code = "object_not_found"


class EnhancerError(WorkerError):
    """An LLM enhancer failed; `reason` is `llm_error`, `timeout` or `truncated`. Never fails a job."""

    code = "enhancer_error"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
