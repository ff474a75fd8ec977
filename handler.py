"""RunPod serverless entry point: build the worker once, then serve jobs from the queue.

Local use: `python handler.py` runs ./test_input.json; `python handler.py --rp_serve_api` serves
RunPod's local API (POST /runsync) on port 8000.
"""

from __future__ import annotations

import logging
import sys
from functools import cache

import runpod

from ourvidz_worker.app import build_worker
from ourvidz_worker.config import load_settings
from ourvidz_worker.errors import WorkerError
from ourvidz_worker.fitness import fitness_checks
from ourvidz_worker.logs import configure_logging
from ourvidz_worker.service import Worker

log = logging.getLogger("ourvidz_worker.handler")


@cache
def get_worker() -> Worker:
    settings = load_settings()
    configure_logging(settings)
    runpod.RunPodLogger().level = settings.sdk_log_level  # set_level would print a line of its own
    return build_worker(settings)


def handler(job: dict) -> dict:
    worker = get_worker()
    if worker.settings.in_production:
        send = lambda update: runpod.serverless.progress_update(job, update)  # noqa: E731
    else:  # outside RunPod progress_update only logs an error line; log the update instead
        send = lambda update: log.info("progress %s", update)  # noqa: E731
    return worker.run(job.get("input"), send_progress=send)


if __name__ == "__main__":
    try:
        worker = get_worker()  # load before taking jobs: a broken deployment stops here, loudly
    except WorkerError as exc:
        logging.basicConfig()
        log.critical("start-up failed: %s: %s", exc.code, exc.message)
        sys.exit(1)
    if worker.settings.in_production:
        for check in fitness_checks(worker):
            runpod.serverless.register_fitness_check(check)
    runpod.serverless.start({"handler": handler})
