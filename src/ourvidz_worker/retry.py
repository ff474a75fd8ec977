"""The one retry policy of the worker's HTTP calls: exponential backoff with jitter (tenacity).

Storage requests and job callbacks retry what may recover (timeouts, dropped connections, 5xx,
408/429) and give up at once on anything else. A policy stops after `attempts` tries (None: no
limit) or, when given, before an attempt that would start more than `budget` seconds after the
first, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    stop_never,
    wait_exponential_jitter,
)

T = TypeVar("T")


def retrying(
    *,
    is_transient: Callable[[BaseException], bool],
    attempts: int | None,
    backoff: float,
    budget: float | None = None,
    before_sleep: Callable[[RetryCallState], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Retrying:
    """A tenacity `Retrying`: first delay `backoff` seconds, doubling up to 30x, plus up to `backoff` of jitter."""
    stop = stop_never if attempts is None else stop_after_attempt(attempts)
    if budget is not None:
        stop = stop | stop_before_delay(budget)  # no attempt that would start after the budget
    options = {} if sleep is None else {"sleep": sleep}
    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop,
        wait=wait_exponential_jitter(multiplier=backoff, max=max(backoff, 1.0) * 30, jitter=backoff),
        before_sleep=before_sleep,
        reraise=True,
        **options,
    )
