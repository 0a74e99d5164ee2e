"""Benchmark of the vocal separation, librosa's plain REPET-SIM call against ours (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_separate.py [--seconds 28] [--sr 44100] [--runs 5]

Separates a synthetic song (a sung line over a repeating two-note bass, tests/synth.py) with
``separate.separate_vocals``, once with its ``_repeating_of`` as it is and once with librosa's plain
``nn_filter(magnitude, aggregate=np.median, metric="cosine", width=...)`` in its place (how the
separation was written before). The two alternate run by run in this one process, so a busy machine
slows them alike; each run prints its wall and CPU seconds and the load average, the end the medians
and whether the two gave the same samples.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import librosa
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' synthetic voices
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import sung_line, tone  # noqa: E402

from personastudio.engine.dsp import separate  # noqa: E402

OURS = separate._repeating_of


def librosa_plain(magnitude: np.ndarray, *, width_frames: int) -> np.ndarray:
    return librosa.decompose.nn_filter(magnitude, aggregate=np.median, metric="cosine", width=width_frames)


def song(*, seconds: float, sr: int) -> np.ndarray:
    voice = sung_line(seconds=seconds, low_hz=300, high_hz=600, sr=sr)
    bar = np.concatenate([tone(seconds=0.25, hz=110, amplitude=0.4, sr=sr), tone(seconds=0.25, hz=82.4, sr=sr)])
    return voice + np.tile(bar, int(seconds * 2) + 1)[: len(voice)]


def separate_with(repeating, samples: np.ndarray, *, sr: int) -> tuple[tuple[np.ndarray, np.ndarray], float, float]:
    separate._repeating_of = repeating
    try:
        wall_s, cpu_s = time.perf_counter(), time.process_time()
        stems = separate.separate_vocals(samples, sr=sr)
        return stems, time.perf_counter() - wall_s, time.process_time() - cpu_s
    finally:
        separate._repeating_of = OURS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=28.0)
    parser.add_argument("--sr", type=int, default=44100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    samples = song(seconds=args.seconds, sr=args.sr)
    separate_with(OURS, samples[: 3 * args.sr], sr=args.sr)  # imports and first calls out of the figures
    ways = {"librosa": librosa_plain, "ours": OURS}
    walls: dict[str, list[float]] = {name: [] for name in ways}
    cpus: dict[str, list[float]] = {name: [] for name in ways}
    stems = {}
    print(f"{args.seconds:g} s at {args.sr} Hz, {args.runs} runs each, {os.cpu_count()} CPUs")
    for run in range(args.runs):
        order = list(ways) if run % 2 == 0 else list(ways)[::-1]
        for name in order:
            stems[name], wall_s, cpu_s = separate_with(ways[name], samples, sr=args.sr)
            walls[name].append(wall_s)
            cpus[name].append(cpu_s)
            print(f"run {run + 1} {name:8s} wall {wall_s:6.2f} s  cpu {cpu_s:6.2f} s  load {os.getloadavg()[0]:.1f}")
    for name in ways:
        print(
            f"median {name:8s} wall {statistics.median(walls[name]):6.2f} s  cpu {statistics.median(cpus[name]):6.2f} s"
        )
    ratio = statistics.median(walls["librosa"]) / statistics.median(walls["ours"])
    same = all(np.array_equal(a, b) for a, b in zip(stems["librosa"], stems["ours"], strict=True))
    print(f"ours is {ratio:.1f}x as fast (median wall); same vocals and band: {same}")


if __name__ == "__main__":
    main()
