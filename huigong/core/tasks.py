"""One door for background work. Production sends to Celery workers; the embedded shape runs
the task on an in-process thread so a page can poll its progress; tests run it inline."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """`task` is a Celery shared_task; it is dispatched after the current transaction commits."""
    mode = settings.HUIGONG_TASK_MODE

    def run_thread() -> None:
        def target() -> None:
            close_old_connections()
            try:
                task.run(*args)
            except Exception:  # the task records its own failure; keep the thread from dying loud
                log.exception("background task %s failed", task.name)
            finally:
                close_old_connections()

        threading.Thread(target=target, daemon=True, name=f"task-{task.name}").start()

    dispatch: Callable[[], None]
    if mode == "sync":
        dispatch = lambda: task.run(*args)  # noqa: E731
    elif mode == "thread":
        dispatch = run_thread
    else:
        dispatch = lambda: task.delay(*args)  # noqa: E731
    transaction.on_commit(dispatch)


@shared_task(name="huigong.core.tick", ignore_result=True)
def tick() -> None:
    """Celery beat sends this every minute (CELERY_BEAT_SCHEDULE); see core/periodic.py."""
    from huigong.core import periodic

    periodic.tick()
