"""How long after its render ends a song is "completed" (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_song_latency.py [--batch 10] [--quick]

Starts a real task worker (`manage.py db_worker`, a subprocess) on a temporary SQLite database and media
folder, submits songs through the service layer (generations.services.generation_start, as the song form
does) and reads, for each song, when the engine's render ended (EngineTask.finished_at) and when the song
became "completed" with its tracks kept (Generation.finished_at), both stamped by the worker, and when the
song's open page first saw it completed: the script polls each song as its page does (generation_refresh
every PAGE_POLL_INTERVAL_S), so a provider that needs a poll to notice the end is measured fairly too.

Two runs: one song alone, then a batch of --batch songs from one account and one song from another account
submitted right after it (it is queued behind at most one render, see background.fair_priority).

Goal: completed within one page poll interval (PAGE_POLL_INTERVAL_S) of the render's end, so the page shows
"completed" at its first poll after the render. --quick renders with the formant voice at 22.05 kHz (the
tests' settings) so a run fits in a minute or two on a busy machine; without it, the neural voice at 44.1 kHz.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# About 30 s of song: two verses and a chorus at the pop style's tempo.
LYRICS = """[Verse]
Morning light on the window
Coffee cooling in my hand
Every road I never wandered
Waits for me like shifting sand

[Chorus]
Sing it loud, sing it slow
Everywhere the rivers go
"""


def _environment(workdir: Path, quick: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "FILE_UPLOAD_TEMP_DIR": str(workdir / "uploads"),
        "DJANGO_SETTINGS_MODULE": "personastudio.settings",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    if quick:
        env.update(ENGINE_SINGER="formant", ENGINE_RENDER_SR_HZ="22050")
    (workdir / "uploads").mkdir(parents=True, exist_ok=True)
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as log_file:  # a file, not a pipe: a full pipe would stop the worker
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "db_worker",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _follow_like_a_page(generations, *, timeout_s: float, worker: subprocess.Popen, poll_interval_s: float) -> dict:
    """Poll every song as its open page does (generation_refresh every PAGE_POLL_INTERVAL_S) until all are
    final; returns when a poll first saw each one completed."""
    from django.utils import timezone

    from personastudio.generations import services
    from personastudio.generations.models import Generation

    seen = {}
    next_poll = time.monotonic()
    deadline = next_poll + timeout_s
    while True:
        unfinished = list(Generation.objects.filter(pk__in=[g.pk for g in generations]).exclude(pk__in=seen))
        for generation in unfinished:
            if services.generation_refresh(generation=generation).is_final:
                seen[generation.pk] = timezone.now()
        if len(seen) == len(generations):
            return seen
        if worker.poll() is not None:
            raise SystemExit(f"The worker stopped (exit {worker.returncode}); run again with --keep to read its log")
        if time.monotonic() > deadline:
            raise SystemExit(f"Songs still unfinished after {timeout_s:.0f} s")
        next_poll += poll_interval_s  # on the page's beat, however long this round of polls took
        time.sleep(max(next_poll - time.monotonic(), 0.0))


def _latencies(generations, seen: dict) -> list[tuple[str, float, float, float]]:
    """(title, render end -> completed, render end -> seen by the page, submit -> completed) in seconds."""
    from personastudio.engine.models import EngineTask
    from personastudio.generations.models import Generation

    rows = []
    for generation in Generation.objects.filter(pk__in=[g.pk for g in generations]).order_by("created_at"):
        if generation.status != Generation.Status.COMPLETED:
            print(f"  {generation.title}: {generation.status} ({generation.error})")
            continue
        task = EngineTask.objects.get(pk=generation.task_id)
        rows.append(
            (
                generation.title,
                (generation.finished_at - task.finished_at).total_seconds(),
                (seen[generation.pk] - task.finished_at).total_seconds(),
                (generation.finished_at - generation.created_at).total_seconds(),
            )
        )
    return rows


def _report(label: str, rows: list[tuple[str, float, float, float]], poll_interval_s: float) -> None:
    if not rows:
        print(f"{label}: no song completed")
        return
    after, shown, total = ([r[i] for r in rows] for i in (1, 2, 3))
    verdict = "within" if max(after) <= poll_interval_s else "NOT within"
    print(
        f"{label}: {len(rows)} songs; render end -> completed p50 {statistics.median(after):.2f} s, "
        f"max {max(after):.2f} s ({verdict} one {poll_interval_s:g} s page poll); -> seen by the page p50 "
        f"{statistics.median(shown):.2f} s, max {max(shown):.2f} s; submit -> completed p50 "
        f"{statistics.median(total):.1f} s, max {max(total):.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10, help="songs in the other account's batch (default 10)")
    parser.add_argument("--quick", action="store_true", help="formant voice at 22.05 kHz: a short run")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds a run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-song-latency-"))
    env = _environment(workdir, args.quick)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from personastudio.generations import services

    call_command("migrate", verbosity=0)
    worker = _start_worker(env, workdir / "worker.log")
    try:
        users = get_user_model().objects
        solo, busy, newcomer = (
            users.create_user(name, password="bench-latency") for name in ("solo", "busy", "newcomer")
        )
        voice = "formant voice, 22.05 kHz" if args.quick else f"{settings.ENGINE_SINGER} voice, 44.1 kHz"
        print(
            f"Worker: manage.py db_worker (pid {worker.pid}); {voice}; page poll every "
            f"{settings.PAGE_POLL_INTERVAL_S:g} s"
        )

        def submit(owner, title):
            return services.generation_start(owner=owner, mode="custom", title=title, prompt=LYRICS, tags="pop")

        poll_s = settings.PAGE_POLL_INTERVAL_S
        alone = [submit(solo, "Alone")]
        seen = _follow_like_a_page(alone, timeout_s=args.timeout, worker=worker, poll_interval_s=poll_s)
        _report("1 song", _latencies(alone, seen), poll_s)

        batch = [submit(busy, f"Batch {n + 1}") for n in range(args.batch)]
        other = [submit(newcomer, "Another account's song")]
        seen = _follow_like_a_page(batch + other, timeout_s=args.timeout, worker=worker, poll_interval_s=poll_s)
        _report(f"{args.batch}-song batch", _latencies(batch, seen), poll_s)
        _report("another account's song behind it", _latencies(other, seen), poll_s)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
