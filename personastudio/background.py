"""Background work: enqueueing after commit, and noticing tasks whose worker died.

django-tasks-db has no retries and leaves a task RUNNING forever when its
worker is killed (SIGKILL, power loss). `reap_stale_tasks` re-queues such a
task until it has had TASK_MAX_ATTEMPTS tries, then fails it and calls the
task's "lost" handler so the user's object says what happened instead of
"processing" forever.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import Task
from django.tasks.base import TASK_MIN_PRIORITY
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

_lost_handlers: dict[str, Callable[..., None]] = {}


class WorkerLost(Exception):
    """The worker running a task disappeared before finishing it."""


def fair_priority(owner_id: int) -> int:
    """Fair queueing: a task's priority is minus the work its account already has queued or running.

    django-tasks-db claims the highest priority first, then the earliest enqueued. So an account's
    first task (priority 0) goes ahead of every task another account queued behind its own first,
    and ten songs from one account delay another account's first song by at most the one render
    already running (plus one queued first task of each other account). Within an account the order
    stays first come, first served. The priority is set once, at enqueueing.
    """
    from personastudio import quotas

    return -min(max(quotas.backlog(owner_id) - 1, 0), -TASK_MIN_PRIORITY)


def enqueue_on_commit(
    task: Task,
    *args: Any,
    language: str | None = None,
    on_enqueued: Callable[[str], None] | None = None,
    owner_id: int | None = None,
) -> None:
    """Enqueue once the current transaction commits, so the worker sees our rows.

    The task gets the user's language (by default the current request's) so the messages and
    titles the worker stores read in the language the user was using (see `in_language`).
    A webhook or the sweep works for a user who is not the requester: they pass the language.
    `owner_id`, the account the work is for, queues it fairly among accounts (`fair_priority`).
    """
    language = language or translation.get_language()

    def enqueue() -> None:
        queued = task
        if owner_id is not None and task.get_backend().supports_priority:
            queued = task.using(priority=fair_priority(owner_id))
        result = queued.enqueue(*args, language=language)
        if on_enqueued is not None:
            on_enqueued(str(result.id))

    transaction.on_commit(enqueue)


def in_language(language: str | None, work: Callable[[], None]) -> None:
    """Run a task's service in the language of the request that queued it."""
    with translation.override(language or settings.LANGUAGE_CODE):
        work()


def on_lost(task: Task, handler: Callable[..., None]) -> None:
    """Register what to do with a task's object when its worker is lost for good."""
    _lost_handlers[task.module_path] = handler


def reap_stale_tasks(*, stale_after_s: float | None = None) -> tuple[int, int]:
    """Re-queue or fail tasks stuck in RUNNING. Returns (requeued, failed)."""
    from django_tasks_db.models import DBTaskResult

    stale_after_s = settings.TASK_STALE_AFTER_S if stale_after_s is None else stale_after_s
    cutoff = timezone.now() - timedelta(seconds=stale_after_s)
    requeued = failed = 0
    for row in DBTaskResult.objects.running().filter(started_at__lte=cutoff):
        # Conditional updates on the run we judged stale (its started_at): another sweep, on this machine
        # or another, may be looking at the same row. On PostgreSQL the second UPDATE waits for the first
        # and re-checks its WHERE on the new row, so it finds nothing to do, also when a worker has
        # claimed the re-queued task meanwhile (RUNNING again, but a new run).
        this_run = DBTaskResult.objects.filter(pk=row.pk, status="RUNNING", started_at=row.started_at)
        if len(row.worker_ids) < settings.TASK_MAX_ATTEMPTS:
            if this_run.update(status="READY", run_after=timezone.now()):
                requeued += 1
                logger.warning("Re-queued task %s (%s): its worker was lost", row.pk, row.task_path)
            continue
        lost = WorkerLost(f"The worker stopped {len(row.worker_ids)} times while running this task.")
        if not this_run.update(
            status="FAILED",
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback="".join(traceback.format_exception(lost)),
        ):
            continue
        failed += 1
        logger.warning("Failed task %s (%s) after %d lost workers", row.pk, row.task_path, len(row.worker_ids))
        handler = _lost_handlers.get(row.task_path)
        if handler is not None:
            args, language = row.args_kwargs["args"], row.args_kwargs["kwargs"].get("language")
            in_language(language, functools.partial(handler, *args))
    return requeued, failed
