"""Structured logs: the job id on every line, secrets redacted, JSON lines on RunPod.

`job_context(job_id)` marks the job a log record belongs to; `configure_logging` installs a
formatter (JSON in production, one readable line locally) and a filter that replaces every
configured secret by `***` wherever it would appear — a last line of defence, not the first:
secrets are never put into messages on purpose.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from .config import Settings

current_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

QUIET_LIBRARIES = ("httpx", "httpcore", "urllib3", "huggingface_hub", "diffusers", "peft")

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "jobId"}


@contextlib.contextmanager
def job_context(job_id: str | None) -> Iterator[None]:
    token = current_job_id.set(job_id)
    try:
        yield
    finally:
        current_job_id.reset(token)


def scrub(text: str, secrets: Iterable[str], replacement: str = "***") -> str:
    """`text` with every (non-empty) secret replaced by `replacement`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, replacement)
    return text


class JobContextFilter(logging.Filter):
    """Adds `jobId` to every record and scrubs secrets from its message and extras."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.jobId = current_job_id.get()
        if self.secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD and isinstance(value, str):
                    setattr(record, key, self.scrub(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "jobId": getattr(record, "jobId", None),
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class LineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        job = getattr(record, "jobId", None)
        prefix = f"[{job}] " if job else ""
        record.message = record.getMessage()
        line = f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {prefix}{record.message}"
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + json.dumps(extras, default=str, ensure_ascii=False)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


def secret_values(settings: Settings) -> list[str]:
    secrets = [
        settings.supabase_service_key,
        settings.job_callback_secret,
        settings.enhancer_api_key,
        settings.policy_judge_api_key,
    ]
    return [s.get_secret_value() for s in secrets if s is not None]


def configure_logging(settings: Settings, stream=None) -> logging.Handler:
    """Install the worker's handler on the root logger (idempotent); return it."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter() if settings.in_production else LineFormatter())
    handler.addFilter(JobContextFilter(secret_values(settings)))
    root = logging.getLogger()
    for existing in list(root.handlers):
        # Ours from an earlier call, or a plain console handler a library installed at import
        # (runpod's rp_upload calls basicConfig): each would print every line a second time.
        if getattr(existing, "ourvidz", False) or type(existing) is logging.StreamHandler:
            root.removeHandler(existing)
    handler.ourvidz = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in QUIET_LIBRARIES:  # a line per HTTP request or file load is nothing a user can act on
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler
