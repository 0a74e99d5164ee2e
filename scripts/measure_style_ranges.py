"""Measure each Kokoro style's singable range, for kokoro.STYLE_RANGES_MIDI.

    .venv/bin/python scripts/measure_style_ranges.py [NAME ...]

For each style a held "ah" (0.8 s, no vibrato) is sung at a MIDI note without the engine's
transposition, and pyworld's harvest tracks it: the note is in tune when 95 % of the frames in its
middle are voiced and within 50 cents. Bisection from MIDI 55 finds the highest and the lowest
such note (it assumes the range is one interval; a style that fails at 55 gets (55, 55)). Prints
one line per style and, at the end, the dict to paste. About 25 s per style on a free core.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyworld

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from personastudio.engine.voice import kokoro  # noqa: E402

SR = kokoro.SAMPLE_RATE
START_MIDI, TOP_MIDI, BOTTOM_MIDI = 55, 85, 29  # the two bounds are assumed out of range


def in_tune_share(style: np.ndarray, midi: float) -> float:
    start_s, y = kokoro.sing_line("ah", "en", [(0.3, 0.8, float(midi))], style=style, sr=SR, vibrato_depth_cents=0.0)
    f0, t = pyworld.harvest(np.asarray(y, np.float64), SR, f0_floor=50.0, f0_ceil=1100.0, frame_period=5.0)
    middle = f0[((t + start_s) > 0.45) & ((t + start_s) < 1.0)]
    target_hz = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
    cents = np.abs(1200.0 * np.log2(np.maximum(middle, 1e-3) / target_hz))
    return float(np.mean((middle > 0) & (cents < 50.0)))


def _edge(style: np.ndarray, inside: int, outside: int) -> int:
    while abs(outside - inside) > 1:
        mid = (inside + outside) // 2
        if in_tune_share(style, mid) >= 0.95:
            inside = mid
        else:
            outside = mid
    return inside


def main(argv: list[str]) -> int:
    kokoro.singable_range_midi = lambda style: (0.0, 200.0)  # measure the model itself, never transposed
    styles = kokoro.load_styles()
    ranges = {}
    for name in argv or sorted(styles):
        ranges[name] = (_edge(styles[name], START_MIDI, BOTTOM_MIDI), _edge(styles[name], START_MIDI, TOP_MIDI))
        print(f"{name:14} {ranges[name][0]:3d} .. {ranges[name][1]:3d}", flush=True)
    print("{" + ", ".join(f'"{n}": ({lo}.0, {hi}.0)' for n, (lo, hi) in ranges.items()) + "}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
