#!/usr/bin/env python3
"""Benchmark of the htmx status poll against a trivial view, under gunicorn (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_poll.py                   # SQLite, as `make run`
    .venv/bin/python scripts/bench_poll.py --postgres        # a throwaway PostgreSQL cluster
    .venv/bin/python scripts/bench_poll.py --seconds 10 --rounds 3 --threads 8

Starts gunicorn exactly as `runstudio` does (2 processes x 4 threads, gthread, DEBUG off, access log on)
on a fresh database, logs one user in through the log-in form, and submits one song through the song
form with no task worker running, so it stays in progress. A second song is completed with two tracks.
Then, in --rounds rounds, it asks each of three addresses as fast as --threads keep-alive connections
allow for --seconds, in turn:

- `/bench/trivial`, the trivial view: it reads what every logged-in page reads (the session and its user) and
  nothing else. It is added for this run only (scripts/bench_poll_settings.py, scripts/bench_poll_urls.py);
- `/healthz`, the liveness view, which reads nothing at all (a floor, for scale);
- the in-progress song's status fragment (200; asks the provider at most once per GENERATION_POLL_INTERVAL_S);
- the completed song's status fragment (286, with its two tracks' players and their stems).

It prints each address's req/s (the median of the rounds), p50 and p99 latency, and the ratio to the
trivial view's req/s. Goal (issue 15): both polls >= 0.6 of the trivial view. The load generator runs on
the same cores as the server, so compare figures within one run only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import scale_test  # noqa: E402
import with_postgres  # noqa: E402

GOAL_RATIO = 0.6
USERNAME = "poller"


@dataclass
class Target:
    name: str
    path: str
    expect: int
    rates: list[float] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    wrong: int = 0


def hammer(port: int, target: Target, cookie: str, *, seconds: float, threads: int) -> None:
    """GET target.path over `threads` keep-alive connections for `seconds`; adds one round's req/s."""
    lock, stop_at = threading.Lock(), time.monotonic() + seconds
    headers = {"Cookie": cookie, "HX-Request": "true", "HX-Target": "status", "Host": "127.0.0.1"}
    done = [0]

    def run(_: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, wrong = [], 0
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                connection.request("GET", target.path, headers=headers)
                answer = connection.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                wrong += 1
                continue
            latencies.append(time.perf_counter() - began)
            wrong += answer.status != target.expect
            if answer.getheader("Connection", "").lower() == "close":
                connection.close()
        connection.close()
        with lock:
            target.latencies_s.extend(latencies)
            target.wrong += wrong
            done[0] += len(latencies)

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
    target.rates.append(done[0] / (time.monotonic() - began))


def complete_song(username: str) -> str:
    """A finished song of the user's with two tracks and five stems each, as a render leaves it; returns its id."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from personastudio.clips.models import Clip, TrackPart
    from personastudio.generations.models import Generation

    user = get_user_model().objects.get(username=username)
    lyrics = "[Verse]\nDown by the river where the cold winds blow\nI sang your name to the water below\n"
    song = Generation.objects.create(
        owner=user,
        title="River song",
        prompt=lyrics,
        tags="folk, acoustic",
        status=Generation.Status.COMPLETED,
        task_id="bench-done",
        finished_at=timezone.now(),
        provider_results=[{"id": f"t-{v}", "prompt": lyrics, "audio_url": f"https://x/{v}.mp3"} for v in "ab"],
    )
    peaks = [round(((i * 37) % 100) / 100 - 0.5, 3) for i in range(800)]
    for v in "ab":
        track = Clip.objects.create(
            owner=user,
            title=f"River song ({v})",
            kind=Clip.Kind.GENERATED,
            generation=song,
            remote_id=f"t-{v}",
            audio=f"clips/{user.pk}/{v}/track.mp3",
            duration_s=30.0,
            sample_rate=44100,
            channels=2,
            peaks=peaks,
        )
        for position, name in enumerate(["lead vocal", "backing vocals", "drums", "bass", "keys"]):
            TrackPart.objects.create(
                track=track,
                name=name,
                position=position,
                audio=f"{track.audio.name}.{position}.wav",
                duration_s=30.0,
                peaks=peaks,
            )
    return str(song.pk)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per address per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the three addresses (default 3)")
    parser.add_argument("--threads", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    cluster = None
    if args.postgres:
        bin_dir = with_postgres.find_bin_dir()
        if bin_dir is None:
            print("--postgres needs PostgreSQL (apt-get install postgresql; `make install-test` does it)")
            return 2
        cluster = with_postgres.Cluster(bin_dir)
        cluster.start()
    port = scale_test.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url if cluster else f"sqlite:///{folder}/bench.sqlite3",
        **scale_test.loopback_production_env(),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench_poll_settings",  # the studio's, plus /bench/trivial
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "scripts"), os.environ.get("PYTHONPATH", "")])),
    }
    env.pop("TEST_DB_NAME", None)
    os.environ.update(env)
    processes = scale_test.Processes(folder, env)
    signal.signal(signal.SIGTERM, scale_test._interrupt)
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from personastudio.management.commands.runstudio import gunicorn_command

        processes.run("migrate", "--noinput")
        processes.run("collectstatic", "--noinput", "--verbosity", "0")
        get_user_model().objects.create_user(username=USERNAME, password=scale_test.PASSWORD)
        web = processes.start("web", gunicorn_command(f"127.0.0.1:{port}"))
        base = f"http://127.0.0.1:{port}"
        scale_test.wait_for_http(f"{base}/healthz", 180, web)
        session = scale_test.log_in(base, USERNAME)
        singer = scale_test.Singer(USERNAME, "", session)
        running = scale_test.studio_song(base, singer, "[Verse]\nSing it now\nHold the light")
        done = complete_song(USERNAME)
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        targets = [
            Target("trivial view, logged in", "/bench/trivial", 200),
            Target("liveness (/healthz), reads nothing", "/healthz", 200),
            Target("status poll, in progress", f"/generations/{running}/status/", 200),
            Target("status poll, completed (286)", f"/generations/{done}/status/", 286),
        ]
        database = "PostgreSQL" if cluster else "SQLite"
        print(
            f"gunicorn 2 processes x 4 threads (gthread, DEBUG off) at {base} on {database}; {args.threads} "
            f"keep-alive connections, {args.rounds} rounds of {args.seconds:.0f} s per address; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for target in targets:  # warm: templates compiled, connections open in every process
            hammer(port, target, cookie, seconds=1, threads=args.threads)
            target.rates.clear(), target.latencies_s.clear()
            target.wrong = 0
        for _ in range(args.rounds):
            for target in targets:
                hammer(port, target, cookie, seconds=args.seconds, threads=args.threads)
        report(targets)
        return 1 if any(t.wrong for t in targets) else 0
    except (KeyboardInterrupt, scale_test.Interrupted):
        print("interrupted: stopping everything", flush=True)
        return 130
    finally:
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        processes.stop_all()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(targets: list[Target]) -> None:
    trivial = statistics.median(targets[0].rates)
    print("\n| address | req/s (median of rounds) | rounds | p50 ms | p99 ms | of trivial | wrong answers |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for t in targets:
        rate = statistics.median(t.rates)
        ratio = rate / trivial
        verdict = " ok" if ratio >= GOAL_RATIO else " SHORT"
        verdict = verdict if "poll" in t.name else ""
        print(
            f"| {t.name} | {rate:.0f} | {' / '.join(f'{r:.0f}' for r in t.rates)} | "
            f"{scale_test.percentile(t.latencies_s, 0.5) * 1000:.1f} | "
            f"{scale_test.percentile(t.latencies_s, 0.99) * 1000:.1f} | {ratio:.2f}{verdict} | {t.wrong} |"
        )
    print(f"goal: both polls >= {GOAL_RATIO} of the trivial view's req/s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
