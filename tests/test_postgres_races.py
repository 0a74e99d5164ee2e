"""Two workers, two sweeps, two submissions racing on PostgreSQL (READ COMMITTED): exactly one wins.

Each race is made to happen, not hoped for: the test holds a row lock (or an uncommitted row) in its own
transaction, starts the racers, waits until PostgreSQL shows them waiting on that lock, then lets go.
Skipped on SQLite, which runs one writer at a time; `make test` runs these on a throwaway PostgreSQL.
"""

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.tasks.signals import task_started
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction
from factories import UserFactory

from personastudio import background
from personastudio.contract.types import GenerateRequest
from personastudio.engine import services as engine_services
from personastudio.engine.jobs import render_generation
from personastudio.engine.models import EngineTask
from personastudio.generations import services as generation_services
from personastudio.generations.models import Generation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="races under PostgreSQL's READ COMMITTED"),
]

WAIT_S = 60


def _racers(target, count: int) -> tuple[list[threading.Thread], list, list]:
    """`count` threads running `target`, each on its own database connection; their results and errors."""
    results, errors = [], []

    def run():
        try:
            with translation.override("en"):
                results.append(target())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results, errors


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=WAIT_S)
    assert not any(thread.is_alive() for thread in threads), "a racer is still waiting"


def _wait_until_waiting_on_locks(count: int) -> None:
    """Until `count` other sessions of this database wait on a lock (so each has read and now writes)."""
    deadline = time.monotonic() + WAIT_S
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # pg_stat_activity is cached per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
            assert time.monotonic() < deadline, f"{count} sessions never waited on the lock"
            time.sleep(0.02)


def _worker(**options):
    from django_tasks_db.management.commands.db_worker import Worker

    defaults = dict(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"race-{uuid.uuid4().hex[:8]}",
        excluded_queue_names=[],
    )
    return Worker(**{**defaults, **options})


def _no_op_task() -> DBTaskResult:
    """A real queued render whose EngineTask does not exist: the worker claims it and it ends at once."""
    result = render_generation.enqueue(str(uuid.uuid4()), language="en")
    return DBTaskResult.objects.get(pk=result.id)


# --- two workers, one task -------------------------------------------------------------------------------


def test_the_worker_claims_with_select_for_update_skip_locked():
    _no_op_task()
    with CaptureQueriesContext(connection) as queries, exclusive_transaction():
        DBTaskResult.objects.ready().get_locked()
    assert any("FOR UPDATE SKIP LOCKED" in query["sql"] for query in queries.captured_queries)


def test_a_worker_skips_the_task_another_worker_is_claiming():
    job = _no_op_task()
    started = Counter()

    def count(sender, task_result, **kwargs):
        started[task_result.id] += 1

    task_started.connect(count, weak=False)
    try:
        with transaction.atomic():
            mine = DBTaskResult.objects.select_for_update().get(pk=job.pk)  # worker A, mid-claim
            threads, _, errors = _racers(lambda: _worker().run(), 1)  # worker B looks for work now
            _join(threads)  # B did not wait for A's lock: it skipped the row and, in batch mode, left
            mine.claim("worker-a")
        assert not errors
        assert started[str(job.pk)] == 0
    finally:
        task_started.disconnect(count)
    job.refresh_from_db()
    assert job.status == "RUNNING" and job.worker_ids == ["worker-a"]


def test_three_workers_on_one_queue_run_every_task_exactly_once():
    jobs = [_no_op_task() for _ in range(30)]
    started, lock = Counter(), threading.Lock()

    def count(sender, task_result, **kwargs):
        with lock:
            started[task_result.id] += 1

    task_started.connect(count, weak=False)
    try:
        threads, _, errors = _racers(lambda: _worker().run(), 3)
        _join(threads)
    finally:
        task_started.disconnect(count)
    assert not errors
    assert started == Counter({str(job.pk): 1 for job in jobs})
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert all(len(ids) == 1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True))


# --- two sweeps, one stale task ----------------------------------------------------------------------------


def _stale(job: DBTaskResult, *, attempts: int) -> None:
    """What a SIGKILLed worker leaves behind: RUNNING, started long ago."""
    DBTaskResult.objects.filter(pk=job.pk).update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(hours=1),
        worker_ids=[f"dead-{n}" for n in range(attempts)],
    )


def test_two_sweeps_requeue_a_lost_task_once():
    job = _no_op_task()
    _stale(job, attempts=1)
    with transaction.atomic():
        DBTaskResult.objects.select_for_update().get(pk=job.pk)
        threads, results, errors = _racers(background.reap_stale_tasks, 2)
        _wait_until_waiting_on_locks(2)  # both sweeps saw it RUNNING and stale, and now update it
    _join(threads)
    assert not errors
    assert sorted(results) == [(0, 0), (1, 0)]
    job.refresh_from_db()
    assert job.status == "READY"


def test_a_slow_sweep_leaves_alone_a_task_requeued_and_claimed_meanwhile():
    job = _no_op_task()
    _stale(job, attempts=1)
    with transaction.atomic():
        DBTaskResult.objects.select_for_update().get(pk=job.pk)
        threads, results, errors = _racers(background.reap_stale_tasks, 1)
        _wait_until_waiting_on_locks(1)  # this sweep saw the dead run...
        # ...while another sweep re-queued the task and a live worker took it: RUNNING again, a new run.
        DBTaskResult.objects.filter(pk=job.pk).update(status="READY", run_after=timezone.now())
        DBTaskResult.objects.get(pk=job.pk).claim("alive")
    _join(threads)
    assert not errors
    assert results == [(0, 0)]  # re-queueing it now would run it twice
    job.refresh_from_db()
    assert job.status == "RUNNING" and job.worker_ids == ["dead-0", "alive"]


def test_two_sweeps_fail_a_task_lost_too_often_once_and_tell_its_song_once(settings):
    task = engine_services.task_create(owner=UserFactory(), request=GenerateRequest(tags="folk"))
    job = DBTaskResult.objects.get()
    _stale(job, attempts=settings.TASK_MAX_ATTEMPTS)
    EngineTask.objects.update(status="processing")
    with transaction.atomic():
        DBTaskResult.objects.select_for_update().get(pk=job.pk)
        threads, results, errors = _racers(background.reap_stale_tasks, 2)
        _wait_until_waiting_on_locks(2)
    _join(threads)
    assert not errors
    assert sorted(results) == [(0, 0), (0, 1)]  # one sweep fails it and calls the song's lost handler
    job.refresh_from_db()
    task.refresh_from_db()
    assert job.status == "FAILED" and job.exception_class_path == "personastudio.background.WorkerLost"
    assert task.status == "failed"


# --- two submissions, one token ------------------------------------------------------------------------------


def test_two_submissions_of_one_token_wait_for_the_first_and_make_one_song():
    user = UserFactory()
    token = uuid.uuid4()

    def submit():
        return generation_services.generation_start(owner=user, mode="custom", prompt="race", submission=token).pk

    with transaction.atomic(), translation.override("en"):
        first = submit()  # made, not yet committed: invisible to the others
        threads, results, errors = _racers(submit, 2)
        _wait_until_waiting_on_locks(2)  # both inserted the same token and wait on the unique index
    _join(threads)
    assert not errors
    assert results == [first, first]
    assert Generation.objects.count() == 1 and EngineTask.objects.count() == 1


# --- two polls (or a poll and a webhook), one finished song --------------------------------------------------


def test_a_poll_and_a_webhook_finishing_one_song_copy_its_tracks_once():
    from personastudio.contract.types import ResultItem, TaskInfo

    song = Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="la",
        status="processing",
        task_id="t-1",
        provider="local",
        language="en",
    )
    done = TaskInfo(id="t-1", status="completed", results=[ResultItem(id="c-1", audio_url="/a.mp3")])

    def finish():
        return generation_services.apply_task_info(generation=Generation.objects.get(pk=song.pk), info=done).status

    with transaction.atomic():
        Generation.objects.select_for_update().get(pk=song.pk)
        threads, results, errors = _racers(finish, 2)
        _wait_until_waiting_on_locks(2)  # both read the song unfinished and now record the results
    _join(threads)
    assert not errors
    assert results == ["processing", "processing"]
    assert DBTaskResult.objects.count() == 1  # one copy of the tracks queued
