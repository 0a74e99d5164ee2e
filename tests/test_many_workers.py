"""Many `manage.py db_worker` processes on one PostgreSQL queue, as on many machines: each song is rendered
once, a killed worker's song is re-queued once by sweeps running at once and finished once, and fair
queueing holds across workers.

Real processes against the test's own database (a live, transactional test database: the workers connect
to it as the app would, through DATABASE_URL). The lock-level races (two workers on one row, two sweeps
on one stale task) are forced in tests/test_postgres_races.py; here the whole path runs as deployed.
Skipped on SQLite, which runs one writer at a time; `make test` runs these on a throwaway PostgreSQL.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django_tasks_db.models import DBTaskResult
from factories import UserFactory

from personastudio.contract.types import GenerateRequest
from personastudio.engine import services as engine_services
from personastudio.engine.models import EngineClip, EngineTask

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="many worker processes share a PostgreSQL queue; SQLite runs one writer at a time",
    ),
]

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 900  # renders on two cores shared with other work
SHORT_SONG = {"tags": "pop", "prompt": "Sing it now"}


def _database_url() -> str:
    """The test database, as DATABASE_URL for a process of the app."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def app_env(settings):
    """The environment of a worker or sweep process on the test's database and media folder."""
    env = {key: value for key, value in os.environ.items() if key != "TEST_DB_NAME"}
    env.update(
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        LOG_LEVEL="WARNING",
        ENGINE_SINGER=settings.ENGINE_SINGER,
        ENGINE_RENDER_SR_HZ=str(settings.ENGINE_RENDER_SR_HZ),
        ENGINE_PERSONA_FIT_EVALUATIONS="1",
    )
    return env


@pytest.fixture
def processes(app_env):
    """Start `manage.py` processes; every one still running is killed at the end of the test."""
    started: list[subprocess.Popen] = []

    def start(*args: str, **env) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**app_env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _worker(start, worker_id: str, *more: str) -> subprocess.Popen:
    return start("db_worker", "--interval", "0.2", "--no-reload", "--no-startup-delay", "--worker-id", worker_id, *more)


def _wait_for(condition, what: str, processes: list[subprocess.Popen] = ()) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        for process in processes:
            assert process.poll() is None, f"a worker exited while waiting for {what}:\n{process.stdout.read()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _song(owner, title: str) -> EngineTask:
    return engine_services.task_create(owner=owner, request=GenerateRequest(**SHORT_SONG, title=title))


def _job(task: EngineTask) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=EngineTask.objects.get(pk=task.pk).job_id)


def _variants(task: EngineTask) -> list[int]:
    return sorted(EngineClip.objects.filter(task=task, source="generated").values_list("variant", flat=True))


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)  # the queue is empty: each stops at once
    for worker in workers:
        assert worker.wait(timeout=120) == 0


def test_three_worker_processes_share_the_queue_and_render_every_song_once(processes):
    ids = [f"many-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    workers = [_worker(processes, worker_id) for worker_id in ids]
    songs = [_song(UserFactory(), f"Song {n}") for n in range(6)]

    _wait_for(lambda: DBTaskResult.objects.finished().count() == len(songs), "every song", workers)
    _stop(workers)

    jobs = [_job(song) for song in songs]
    assert [job.status for job in jobs] == ["SUCCESSFUL"] * len(songs)
    assert all(len(job.worker_ids) == 1 and job.worker_ids[0] in ids for job in jobs)  # each claimed once
    assert len({job.worker_ids[0] for job in jobs}) >= 2  # the workers shared the queue
    for song in songs:
        song.refresh_from_db()
        assert song.status == "completed"
        assert _variants(song) == [0, 1]  # two tracks, none twice
        for clip in EngineClip.objects.filter(task=song):
            assert default_storage.exists(clip.audio.name)


def test_a_killed_workers_song_is_requeued_once_by_sweeps_running_at_once_and_finished_once(processes):
    song = _song(UserFactory(), "Lost and found")
    doomed = _worker(processes, "doomed")
    _wait_for(lambda: _job(song).status == "RUNNING", "the worker to claim the song", [doomed])
    os.killpg(doomed.pid, signal.SIGKILL)  # mid-render, as a machine lost
    doomed.wait(timeout=30)
    assert _job(song).status == "RUNNING" and _job(song).worker_ids == ["doomed"]

    # Three machines' sweeps at once; with no live worker, every RUNNING task is a lost one.
    sweeps = [processes("sweep", "-v", "2", TASK_STALE_AFTER_S="0") for _ in range(3)]
    outputs = [sweep.communicate(timeout=WAIT_S)[0] for sweep in sweeps]
    assert [sweep.returncode for sweep in sweeps] == [0, 0, 0], outputs
    assert sum("re-queued 1," in output for output in outputs) == 1, outputs
    assert sum("re-queued 0," in output for output in outputs) == 2, outputs
    job = _job(song)
    assert job.status == "READY" and job.worker_ids == ["doomed"]

    rescuer = _worker(processes, "rescuer", "--batch")
    assert rescuer.wait(timeout=WAIT_S) == 0, rescuer.stdout.read()
    job = _job(song)
    assert job.status == "SUCCESSFUL" and job.worker_ids == ["doomed", "rescuer"]
    song.refresh_from_db()
    assert song.status == "completed"
    assert _variants(song) == [0, 1]  # the half-written first run left no extra track


def test_another_accounts_first_song_is_among_the_first_claims_of_three_workers(processes):
    busy, newcomer = UserFactory(), UserFactory()
    backlog = [_song(busy, f"Busy {n}") for n in range(9)]
    first_song = _song(newcomer, "Newcomer")

    workers = [_worker(processes, f"fair-{n}", "--batch", "--max-tasks", "1") for n in range(3)]
    for worker in workers:
        assert worker.wait(timeout=WAIT_S) == 0, worker.stdout.read()

    claimed = set(DBTaskResult.objects.exclude(status="READY").values_list("pk", flat=True))
    assert len(claimed) == 3  # one task each
    assert _job(first_song).pk in claimed  # not behind the nine songs queued before it
    assert sum(_job(song).pk in claimed for song in backlog) == 2
