"""Benchmark of the library pages as a user feels them (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_pages.py [--songs 1000] [--clips 2000] [--requests 20]

Makes a throwaway SQLite database in a temporary folder (migrated from scratch), gives one user --songs
songs (lyrics, two provider results each, a persona on some) and --clips clips (two tracks of most songs,
uploads and their vocal stems, each with its 800-value waveform), then asks every library page
--requests times through Django's test client, logged in, with DEBUG off, and prints the p50 and p95 wall
time, the p50 CPU time of this process (what the page costs even when other work shares the cores), and the
size of each answer. Goal (issue 15): every library page <= 50 ms p50 at 1,000 songs and 2,000 clips.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=1000)
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--personas", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ["MEDIA_ROOT"] = f"{folder}/media"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personastudio.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        setup_test_environment(debug=False)  # no query log; "testserver" allowed
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        user, song, clip = make_data(songs=args.songs, clips=args.clips, personas=args.personas)
        print(
            f"{args.songs} songs, {args.clips} clips, {args.personas} personas made in "
            f"{time.perf_counter() - started:.1f} s (SQLite, {folder})"
        )
        pages = [
            ("dashboard", "/"),
            ("songs", "/generations/"),
            ("songs, page 40", "/generations/?page=40"),
            ("songs, search", "/generations/?q=river"),
            ("clips", "/clips/"),
            ("clips, page 90", "/clips/?page=90"),
            ("clips, search", "/clips/?q=voice&kind=upload"),
            ("personas", "/personas/"),
            ("a song", song.get_absolute_url()),
            ("its status poll", f"/generations/{song.id}/status/"),
            ("a card's player", f"/clips/{clip.id}/player"),
        ]
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)")
        print(f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'bytes':>9}  goal p50 <= {GOAL_MS:.0f} ms")
        for name, url in pages:
            p50, p95, cpu, size = time_page(user, url, requests=args.requests)
            print(f"{name:<18} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {size:9d}  {'ok' if p50 <= GOAL_MS else 'SLOW'}")
    return 0


def make_data(*, songs: int, clips: int, personas: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from personastudio.clips.models import Clip
    from personastudio.engine.dsp.pitch import VoiceProfile
    from personastudio.generations.models import Generation
    from personastudio.personas.models import Persona

    user = get_user_model().objects.create_user(username="bench", password="not-used-here")
    peaks = [round(((i * 37) % 100) / 100 - 0.5, 3) for i in range(800)]
    lyrics = "[Verse]\nDown by the river where the cold winds blow\nI sang your name to the water below\n" * 12
    now = timezone.now()

    def clip(n: int, **fields) -> Clip:
        return Clip(
            **{
                "owner": user,
                "title": f"My voice {n}",
                "kind": Clip.Kind.UPLOAD,
                "duration_s": 95.0,
                "audio": f"clips/{user.pk}/{n}/voice.mp3",
                "sample_rate": 44100,
                "channels": 2,
                "peaks": peaks,
                "voiced_s": 40.0,
                **fields,
            }
        )

    uploads = Clip.objects.bulk_create([clip(n) for n in range(max(clips // 10, personas))])
    stems = Clip.objects.bulk_create(
        [clip(n, kind=Clip.Kind.VOCALS, title=f"{c.title} (vocals)", parent=c) for n, c in enumerate(uploads)]
    )
    profile = VoiceProfile(
        voiced_s=40,
        median_hz=220,
        low_hz=160,
        high_hz=330,
        register="male",
        histogram={str(m): 10 + m % 7 for m in range(50, 65)},
    ).to_dict()
    singers = Persona.objects.bulk_create(
        [
            Persona(
                owner=user,
                name=f"Singer {n}",
                source_clip=stems[n],
                status=Persona.Status.COMPLETE,
                profile=profile,
                likeness=0.55,
            )
            for n in range(personas)
        ]
    )
    made = Generation.objects.bulk_create(
        [
            Generation(
                owner=user,
                title=f"River song {n}",
                prompt=lyrics,
                tags="folk, acoustic",
                persona=singers[n % len(singers)] if singers and n % 3 == 0 else None,
                status=Generation.Status.COMPLETED,
                task_id=f"task-{n}",
                finished_at=now,
                provider_results=[
                    {"id": f"t-{n}-{v}", "prompt": lyrics, "audio_url": f"https://x/{n}/{v}.mp3", "tags": "folk"}
                    for v in "ab"
                ],
            )
            for n in range(songs)
        ]
    )
    left = max(clips - len(uploads) - len(stems), 0)
    tracks = Clip.objects.bulk_create(
        [
            clip(
                n,
                kind=Clip.Kind.GENERATED,
                title=f"River song {n // 2} ({'ab'[n % 2]})",
                generation=made[(n // 2) % len(made)],
                remote_id=f"t-{n}",
            )
            for n in range(left)
        ]
    )
    song = made[0]
    return user, song, (stems[0] if stems else tracks[0])


def time_page(user, url: str, *, requests: int) -> tuple[float, float, float, int]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    for _ in range(2):  # warm: templates compiled, connections open
        response = client.get(url)
    assert response.status_code in (200, 286), (url, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, statistics.median(cpu), len(response.content)


if __name__ == "__main__":
    sys.exit(main())
