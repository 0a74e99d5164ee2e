"""A task whose worker was killed mid-way must not stay 'processing' forever."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from factories import UserFactory

from personastudio import background
from personastudio.contract.types import GenerateRequest
from personastudio.engine import services
from personastudio.engine.models import EngineTask

pytestmark = pytest.mark.django_db(transaction=True)


def _simulate_killed_worker(job: DBTaskResult, *, attempts: int) -> None:
    """What SIGKILL leaves behind: RUNNING, started long ago, by workers that are gone."""
    DBTaskResult.objects.filter(pk=job.pk).update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(hours=1),
        worker_ids=[f"dead-{n}" for n in range(attempts)],
    )
    EngineTask.objects.update(status="processing")


def test_a_lost_task_is_requeued_and_then_finishes(run_tasks, settings):
    task = services.task_create(owner=UserFactory(), request=GenerateRequest(tags="folk", make_instrumental=True))
    job = DBTaskResult.objects.get()
    _simulate_killed_worker(job, attempts=1)
    assert run_tasks() == 0  # a fresh worker ignores the RUNNING row: that is the problem
    assert background.reap_stale_tasks() == (1, 0)
    run_tasks()
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.clips.count() == 2


def test_a_task_lost_too_often_fails_with_a_sentence(settings):
    task = services.task_create(owner=UserFactory(), request=GenerateRequest(tags="folk"))
    job = DBTaskResult.objects.get()
    _simulate_killed_worker(job, attempts=settings.TASK_MAX_ATTEMPTS)
    assert background.reap_stale_tasks() == (0, 1)
    task.refresh_from_db()
    job.refresh_from_db()
    assert job.status == "FAILED"
    assert task.status == "failed" and "stopped while making this song" in task.error


def test_a_recently_started_task_is_left_alone():
    services.task_create(owner=UserFactory(), request=GenerateRequest(tags="folk"))
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now(), worker_ids=["alive"])
    assert background.reap_stale_tasks() == (0, 0)
