"""Throttled job progress through an injected sender (RunPod's progress_update in production)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ProgressSender = Callable[[dict[str, Any]], None]


class Progress:
    """Reports stage changes always and denoising steps at most every `interval` seconds.

    The last step of a stage is always sent, so callers see it reach `total`. A failing sender is
    logged and ignored: progress is advisory and must never fail a job.
    """

    def __init__(
        self,
        send: ProgressSender | None,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last_sent = float("-inf")
        self.stage_name: str | None = None
        self._clip: dict[str, int] = {}

    def clip(self, index: int, count: int) -> None:
        """Long videos: every later update says which clip of how many it belongs to."""
        self._clip = {"clip": index + 1, "clips": count}

    def stage(self, name: str) -> None:
        self.stage_name = name
        self._emit({"stage": name, **self._clip})

    def step(self, current: int, total: int) -> None:
        now = self._clock()
        if current < total and now - self._last_sent < self._interval:
            return
        self._emit({"stage": self.stage_name, "step": current, "total": total, **self._clip})

    def _emit(self, payload: dict[str, Any]) -> None:
        self._last_sent = self._clock()
        if self._send is None:
            return
        try:
            self._send(payload)
        except Exception:
            log.warning("progress update failed", exc_info=True)
