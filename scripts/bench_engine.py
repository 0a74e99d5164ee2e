"""Benchmark of the built-in music engine (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_engine.py [--runs 3] [--no-profile]

* song: a ~60 s song with vocals, seconds of compute per second of audio
  (median of --runs), then a cProfile of one render (top 15 by cumulative time)
  and a per-stage breakdown timed from outside (compose, the sampled or
  oscillator band, levelling, the voice, mix, master) by wrapping the stage
  functions ``render_song`` calls;
* persona: ``profile.voice_profile`` on a 30 s sung clip, seconds;
* separation: ``separate.separate_vocals`` on the 60 s mix, seconds per second.

Targets: ≤ 0.25 s/s for songs (voice included), ≤ 2 s persona, ≤ 0.25 s/s separation.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' synthetic voices

from engine_report import LYRICS_EN  # noqa: E402
from synth import synth_sung_line  # noqa: E402

from personastudio.engine import song as song_mod  # noqa: E402
from personastudio.engine.dsp.profile import voice_profile  # noqa: E402
from personastudio.engine.dsp.separate import separate_vocals  # noqa: E402

SR = 44100
TARGET_SONG, TARGET_PERSONA, TARGET_SEP = 0.25, 2.0, 0.25

# pop at ~100 BPM: 2 bars (4.8 s) a line; 10 lines + intro/outro ≈ 60 s
LYRICS_60S = LYRICS_EN.rsplit("[Chorus]", 1)[0]  # the report's English lyric without its last chorus
TAGS = "pop"
SEED = 7


def render():
    return song_mod.render_song(lyrics=LYRICS_60S, tags=TAGS, seed=SEED, sr=SR)


@contextmanager
def stage_timer(stages: list[tuple[str, object, str]]):
    """Wrap each stage function, (label, module, attribute), adding its wall time into a dict label -> seconds.

    A function that is missing (another configuration's) is skipped; all are put back on exit.
    """
    totals: dict[str, float] = {}
    saved = []
    for label, owner, name in stages:
        fn = getattr(owner, name, None)
        if fn is None:
            continue
        saved.append((owner, name, fn))

        def wrapped(*a, __fn=fn, __label=label, **kw):
            t = time.perf_counter()
            try:
                return __fn(*a, **kw)
            finally:
                totals[__label] = totals.get(__label, 0.0) + time.perf_counter() - t

        setattr(owner, name, wrapped)
    try:
        yield totals
    finally:
        for owner, name, fn in reversed(saved):
            setattr(owner, name, fn)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args(argv)

    print("== song render (60 s target) ==")
    render()  # warm-up: imports, caches, FFT plans
    times, dur = [], 0.0
    for _ in range(args.runs):
        t = time.perf_counter()
        s = render()
        times.append(time.perf_counter() - t)
        dur = s.duration_s
    med = statistics.median(times)
    print(
        f"audio {dur:.1f} s, genre {s.style.genre} {s.style.tempo_bpm} BPM, "
        f"{len(s.score.melody)} notes, sung_lines={bool(getattr(s.score, 'sung_lines', None))}"
    )
    print(
        f"render runs: {', '.join(f'{x:.2f}' for x in times)} s -> median {med:.2f} s = "
        f"{med / dur:.3f} s/s (target ≤ {TARGET_SONG}) {'OK' if med / dur <= TARGET_SONG else 'OVER'}"
    )

    stages = [
        (name, song_mod, name)
        for name in (
            "parse_lyrics",
            "style_from_tags",
            "compose",
            "sampled_parts",
            "oscillator_parts",
            "band_stems",
            "mix_song",
            "master_curve",
        )
    ] + [("neural_singer.sing", song_mod.neural_singer, "sing"), ("singer.sing", song_mod.singer, "sing")]
    with stage_timer(stages) as totals:
        t = time.perf_counter()
        render()
        total = time.perf_counter() - t
    print("stages (one render, wall time):")
    for name, sec in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:18s} {sec:6.2f} s  {100 * sec / total:5.1f} %")
    other = total - sum(totals.values())
    print(f"  {'(rest)':18s} {other:6.2f} s  {100 * other / total:5.1f} %")

    if not args.no_profile:
        prof = cProfile.Profile()
        prof.enable()
        render()
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(15)
        print("cProfile, top 15 by cumulative time:")
        print("\n".join(l for l in buf.getvalue().splitlines() if l.strip())[:6000])
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(10)
        print("cProfile, top 10 by own time:")
        print("\n".join(l for l in buf.getvalue().splitlines() if l.strip())[:4000])

    print("== persona learning (30 s clip) ==")
    notes = [57, 59, 60, 62, 64, 62, 60, 59, 57, 55, 57, 60, 64, 65, 64, 62, 60, 59, 60, 57]
    clip = synth_sung_line(notes * 3, sr=SR, note_s=0.44)[: 30 * SR]
    voice_profile(clip[:SR], sr=SR)
    ptimes = []
    for _ in range(args.runs):
        t = time.perf_counter()
        p = voice_profile(clip, sr=SR)
        ptimes.append(time.perf_counter() - t)
    pm = statistics.median(ptimes)
    print(
        f"clip {len(clip) / SR:.1f} s -> voiced {p.voiced_s} s, median {p.median_hz} Hz; "
        f"{pm:.2f} s (target ≤ {TARGET_PERSONA}) {'OK' if pm <= TARGET_PERSONA else 'OVER'}"
    )

    print("== separation (60 s mix) ==")
    mono = s.mix.mean(axis=1)[: 60 * SR]
    stimes = []
    for _ in range(max(1, args.runs - 1)):
        t = time.perf_counter()
        separate_vocals(mono, sr=SR)
        stimes.append(time.perf_counter() - t)
    sm = statistics.median(stimes)
    print(
        f"mix {len(mono) / SR:.1f} s -> {sm:.2f} s = {sm / (len(mono) / SR):.3f} s/s "
        f"(target ≤ {TARGET_SEP}) {'OK' if sm / (len(mono) / SR) <= TARGET_SEP else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
