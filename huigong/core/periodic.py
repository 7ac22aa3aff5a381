"""Housekeeping that runs on a clock: notices whose period ended, rollups to refresh, imports whose
worker died. Apps declare their jobs in their AppConfig's contributions (core/contrib.py, PeriodicJob);
CoreConfig.ready registers them here. One `tick` runs every job that is due.

- production: Celery beat sends `huigong.core.tick` every minute (CELERY_BEAT_SCHEDULE in settings);
- embedded (`python3 dev.py run`): a daemon thread in the serving process ticks every minute;
- by hand or cron: `python manage.py tick` (`--all` runs every job now).

Jobs must be idempotent and cheap when there is nothing to do: two ticks may overlap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every_seconds: int
    func: Callable[[], object]
    last_run: float = 0.0


JOBS: dict[str, Job] = {}
_lock = threading.Lock()


def register(name: str, every_seconds: int, func: Callable[[], object]) -> None:
    JOBS[name] = Job(name, every_seconds, func)


def register_contributed() -> None:
    """Registers every installed app's declared jobs. The function is imported when the job first runs,
    so declaring a job loads nothing at start-up."""
    from . import contrib

    for job in contrib.collect("periodic"):
        register(job.name, job.every_seconds, _deferred(job.func))


def _deferred(dotted: str) -> Callable[[], object]:
    def run() -> object:
        from . import contrib

        return contrib.resolve(dotted)()

    run.__qualname__ = run.__name__ = dotted
    return run


def tick(*, force: bool = False) -> dict[str, str]:
    """Runs the due jobs (all of them with force=True); returns {name: "ok" | "error: …"}."""
    results: dict[str, str] = {}
    now = time.monotonic()
    with _lock:
        due = [j for j in JOBS.values() if force or j.last_run == 0.0 or now - j.last_run >= j.every_seconds]
        for job in due:
            job.last_run = now
    for job in due:
        try:
            job.func()
            results[job.name] = "ok"
        except Exception as exc:  # one broken job must not starve the others
            log.exception("periodic job %s failed", job.name)
            results[job.name] = f"error: {type(exc).__name__}: {exc}"
    return results


def start_thread(interval: int = 60) -> None:
    """The embedded shape's clock: a daemon thread in the serving process."""

    def loop() -> None:
        while True:
            time.sleep(interval)
            close_old_connections()
            try:
                tick()
            finally:
                close_old_connections()

    threading.Thread(target=loop, daemon=True, name="huigong-tick").start()
