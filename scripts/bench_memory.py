"""Peak memory of one engine render, per song length (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_memory.py [--lengths 60 300 1200] [--workdir DIR]

Each length is measured in a fresh subprocess that runs the worker's own task,
``engine.services.task_render`` (both variants, decoding, mastering, MP3 and FLAC
encoding, the voice profile of the result), against a SQLite database and media folder
of its own in --workdir (kept between runs with the long sources, which are slow to
encode; delete the folder to start over); the figure is that process's peak resident set
(``getrusage(RUSAGE_SELF).ru_maxrss``), so numpy's buffers count too.

How a song gets long: ``composer.compose`` plays a lyric faster rather than go past
``SONG_LIMIT_S`` (180 s), so a length up to that is one render of a lyric of about that
length (the ~60 s lyric repeated: ``--lengths 180`` measures the longest song rendered at
once), and a longer song is an extension: the bench stores a source track of our own
(score and per-instrument stems, made by tiling one rendered 60 s song) of the length
minus the continuation, and extends it from its end with the ~60 s lyric, as the studio
does up to ``SONG_MAX_DURATION_S``.

Goal (issue 15): ≤ 1.5 GB peak at every length. The machine is shared: memory figures
are stable, the seconds are not.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SR = 44100
TAGS = "pop"
SEED = 7
CONTINUATION_S = 60  # roughly how long the continuation of a long song is (and the bench's lyric)
GOAL_MB = 1536
GUARD_MB = int(os.environ.get("BENCH_MEMORY_GUARD_MB", "5120"))  # see measure()


def _django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personastudio.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import django

    django.setup()


def _lyrics() -> str:
    from bench_engine import LYRICS_60S

    return LYRICS_60S


def _tiled(x, n: int):
    import numpy as np

    reps = -(-n // len(x))
    return np.ascontiguousarray(np.concatenate([x] * reps)[:n])


def _base_song(workdir: Path, lyrics: str, *, seed: int):
    """The 60 s song a long source is tiled from (kept in the workdir: rendering it is the slow part)."""
    import pickle

    from personastudio.engine.song import render_song

    cache = workdir / f"base-{seed}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    song = render_song(lyrics=lyrics, tags=TAGS, seed=seed, sr=SR)
    cache.write_bytes(pickle.dumps(song))
    return song


def setup(workdir: Path, lengths: list[int]) -> dict[str, str]:
    """Migrate the bench's database; make one task per length (and, once, a source track for long ones)."""
    _django(workdir)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from personastudio.contract.types import GenerateRequest
    from personastudio.engine import services
    from personastudio.engine.dsp import audio_io, composer
    from personastudio.engine.models import EngineClip, EngineTask
    from personastudio.engine.sheet import score_json

    call_command("migrate", verbosity=0)
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    lyrics = _lyrics()
    base = None
    tasks = {}
    for length in lengths:
        reps = max(1, round(min(length, composer.SONG_LIMIT_S) / CONTINUATION_S))  # one render of about `length` s
        request = GenerateRequest(prompt="\n".join([lyrics] * reps), tags=TAGS, title="Bench")
        if length > composer.SONG_LIMIT_S:
            n = (length - CONTINUATION_S) * SR
            title = f"Source {n // SR} s (A)"  # kept in the workdir: encoding a long source is slow
            clip = EngineClip.objects.filter(owner=owner, title=title).first()
            if clip is None:
                if base is None:
                    base_task = EngineTask.objects.create(
                        owner=owner,
                        request=GenerateRequest(prompt=lyrics, tags=TAGS).to_json(),
                        status=EngineTask.Status.COMPLETED,
                    )
                    base = _base_song(workdir, lyrics, seed=SEED)
                clip = EngineClip(
                    owner=owner,
                    source=EngineClip.Source.GENERATED,
                    title=title,
                    tags=TAGS,
                    prompt=lyrics,
                    duration_s=n / SR,
                    task=base_task,
                    variant=0,
                    engine_voice=True,
                    score=score_json.score_to_json(base.score),
                    expire_at=services._expiry(365),
                )
                files = [
                    ("audio", "audio.mp3", audio_io.encode_mp3(_tiled(base.mix, n), sr=SR)),
                    ("vocal_stem", "vocals.mp3", audio_io.encode_mp3(_tiled(base.vocal, n), sr=SR)),
                    ("band_stem", "band.mp3", audio_io.encode_mp3(_tiled(base.band, n), sr=SR)),
                ]
                parts = ((name, audio_io.encode_flac(_tiled(stem, n), sr=SR)) for name, stem in base.stems.items())
                services._store_clip(clip, files, parts)
            request = dataclasses.replace(request, prompt=lyrics, continue_clip_id=clip.id, continue_at=int(n / SR))
        task = EngineTask.objects.create(owner=owner, request=request.to_json())
        tasks[str(length)] = task.id
    return tasks


def measure(workdir: Path, task_id: str) -> dict:
    """Run one render task as the worker does; return its peak RSS and the length it made."""
    # A guard for a shared machine: past this much private memory the render fails with MemoryError
    # (the task is marked failed and the row says so) instead of pushing other processes out.
    limit = GUARD_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
    _django(workdir)
    from personastudio.engine import services
    from personastudio.engine.models import EngineClip, EngineTask

    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    services.task_render(task_id=task_id)
    seconds = time.perf_counter() - start
    task = EngineTask.objects.get(pk=task_id)
    durations = [round(c.duration_s, 1) for c in EngineClip.objects.filter(task_id=task_id)]
    return {
        "status": task.status,
        "error": task.error,
        "durations_s": durations,
        "seconds": round(seconds, 1),
        "startup_mb": round(before_mb),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=False, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{' '.join(args[:1])} failed with exit status {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[60, 300, 1200])
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "persona-bench-memory",
        help="the throwaway database, media and the cached 60 s song (default: %(default)s)",
    )
    ap.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--measure", metavar="TASK_ID", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.setup:
        print(json.dumps(setup(args.workdir, args.lengths)))
        return 0
    if args.measure:
        print(json.dumps(measure(args.workdir, args.measure)))
        return 0
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    tasks = _child("--setup", "--workdir", str(workdir), "--lengths", *map(str, args.lengths))
    print(f"{'asked s':>8} {'made s':>14} {'peak MB':>8} {'start MB':>8} {'render s':>8}  goal ≤ {GOAL_MB} MB")
    worst = 0
    for length in args.lengths:
        row = _child("--measure", tasks[str(length)], "--workdir", str(workdir))
        made = "/".join(f"{d:.0f}" for d in row["durations_s"]) or row["status"]
        print(
            f"{length:>8} {made:>14} {row['peak_mb']:>8} {row['startup_mb']:>8} {row['seconds']:>8}"
            + (f"  {row['error']}" if row["error"] else ""),
            flush=True,
        )
        worst = max(worst, row["peak_mb"])
    print(
        f"worst peak: {worst} MB ({'within' if worst <= GOAL_MB else 'over'} the goal; a failed row stopped at "
        f"the {GUARD_MB} MB guard, BENCH_MEMORY_GUARD_MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
