"""Benchmark of a song rendered with the neural voice (prints figures, asserts nothing).

    .venv/bin/python scripts/bench_singer.py [--runs 3] [--persona PATH.json] [--configs current]

Renders a ~60 s English pop song with ``singer_name="neural"`` the way the worker does: two variants
(two seeds) per task, the voice's line caches emptied before each task (a new song's lines are new;
the second variant may reuse what the first one predicted, as in the worker). Each task is rendered
without a persona (the stock voice) and with one: ``--persona`` reads a persona's profile JSON (a
fitted one, as ``likeness_report`` writes them), else a persona is made here from a synthetic clip
(the fitted data's kinds: a style, an envelope bank, an EQ; their cost does not depend on their
values).

Prints, per configuration, case and variant, the median seconds of compute per second of audio (wall
and this process's CPU), and where the time goes (wall time summed per stage: the band, the
voice's predict and sing graphs, the envelope transfer, the EQ, mix, master). Configurations
(``CONFIGS``) are interleaved round by round in this one process, so a busy machine slows them
alike; the load average is printed with every round. Goal: ≤ 0.25 s/s per variant on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' synthetic voices
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import stage_timer  # noqa: E402
from engine_report import LYRICS_EN  # noqa: E402
from synth import synth_sung_line  # noqa: E402

from personastudio.engine import song as song_mod  # noqa: E402
from personastudio.engine.dsp import mix as mix_mod  # noqa: E402
from personastudio.engine.dsp import timbre  # noqa: E402
from personastudio.engine.dsp.profile import voice_profile  # noqa: E402
from personastudio.engine.voice import envelope_transfer, kokoro  # noqa: E402
from personastudio.engine.voice import singer as neural_singer  # noqa: E402

SR = 44100
TARGET = 0.25
QUIET_CORES = 0.25  # a render during which the other processes used less CPU than this counts as quiet
LYRICS_60S = LYRICS_EN.rsplit("[Chorus]", 1)[0]  # the report's English lyric without its last chorus
TAGS = "pop"
SEEDS = (7, 8)  # the task's two variants


# name -> {(module, attribute): value} set while that configuration renders. "current" is the code as it is.
CONFIGS: dict[str, dict] = {
    "current": {},
    "serial": {(song_mod, "VOICE_WITH_BAND"): False, (neural_singer, "LINE_WORKERS"): 1},
    "lines2": {(song_mod, "VOICE_WITH_BAND"): False, (neural_singer, "LINE_WORKERS"): 2},
    "withband": {(song_mod, "VOICE_WITH_BAND"): True, (neural_singer, "LINE_WORKERS"): 1},
    "both": {(song_mod, "VOICE_WITH_BAND"): True, (neural_singer, "LINE_WORKERS"): 2},
    # the sing graph's generator convolutions as 1D ones (im2col + GEMM), as before kokoro.convs_as_2d
    "convs1d": {(kokoro, "CONVS_AS_2D"): False},
    # the sing graph's sessions without onnxruntime's dynamic blocks (kokoro.DYNAMIC_BLOCK_BASE)
    "nodyn": {(kokoro, "DYNAMIC_BLOCK_BASE"): 0},
    # both: the sing graph as it was before (2026-12-07 evening)
    "graph0": {(kokoro, "CONVS_AS_2D"): False, (kokoro, "DYNAMIC_BLOCK_BASE"): 0},
    # the envelope transfer analysing every voiced frame with StoneMask's F0, as before 2026-12-07 night
    # (its float32 STFT with the vectorised overlap-add stays)
    "transfer0": {(envelope_transfer, "ANALYSIS_STEP"): 1, (envelope_transfer, "REFINE_LINE_F0"): True},
    # the mastering's first gain without the limiter preview (the unlimited mix's loudness gain)
    "master0": {(mix_mod, "PREVIEW_ITERATIONS"): 0},
    # both, the persona's chain as before 2026-12-07 night
    "before13": {
        (envelope_transfer, "ANALYSIS_STEP"): 1,
        (envelope_transfer, "REFINE_LINE_F0"): True,
        (mix_mod, "PREVIEW_ITERATIONS"): 0,
    },
}

# Stages timed from outside by wrapping module functions: (label, module, attribute).
STAGES = [
    ("compose", song_mod, "compose"),
    ("band: sampled parts", song_mod, "sampled_parts"),
    ("band: oscillators", song_mod, "oscillator_parts"),
    ("band: stems", song_mod, "band_stems"),
    ("voice (all)", neural_singer, "sing"),
    ("voice: predict graph", kokoro, "_natural"),
    ("voice: sing graph", kokoro, "_render"),
    ("voice: even vowels", kokoro, "_even_vowels"),
    ("voice: envelope transfer", envelope_transfer, "transfer"),
    ("voice: persona EQ", timbre, "apply_eq_db"),
    ("voice: resample to sr", neural_singer, "resample"),
    ("mix", song_mod, "mix_song"),
    ("master", song_mod, "master_curve"),
    ("master: limiter passes", mix_mod, "_limit_in_blocks"),
    ("master: measuring passes", mix_mod, "_measure_in_blocks"),
]


@contextlib.contextmanager
def timed_stages():
    """bench_engine.stage_timer over STAGES, plus the seconds of audio Kokoro's sing graph makes and the mastering's rounds."""
    with stage_timer(STAGES) as totals:
        render = kokoro._render

        def counted(ids, style, prosody, **kw):
            totals["voice: sung audio s"] = totals.get("voice: sung audio s", 0.0) + kokoro.FRAME_S * int(
                prosody.durations.sum()
            )
            return render(ids, style, prosody, **kw)

        limit = mix_mod._limit_in_blocks

        def passes(*a, **kw):  # the mastering loop's rounds (1 when the first gain meets loudness and peak)
            totals["master: limiter rounds"] = totals.get("master: limiter rounds", 0.0) + 1
            return limit(*a, **kw)

        kokoro._render, mix_mod._limit_in_blocks = counted, passes
        try:
            yield totals
        finally:
            kokoro._render, mix_mod._limit_in_blocks = render, limit


@contextlib.contextmanager
def configured(settings: dict):
    old = {key: getattr(key[0], key[1]) for key in settings}
    try:
        for (owner, name), value in settings.items():
            setattr(owner, name, value)
        yield
    finally:
        for (owner, name), value in old.items():
            setattr(owner, name, value)


def clear_voice_caches() -> None:
    with kokoro._LINE_CACHE_LOCK:
        kokoro._LINE_CACHE.clear()
        kokoro._NATURAL_CACHE.clear()


def synthetic_persona() -> dict:
    """A persona with every kind of fitted data: profile numbers, a style, an envelope bank, an EQ."""
    notes = [45, 47, 48, 50, 52, 50, 48, 47, 45, 43, 45, 48, 52, 53, 52, 50] * 3
    clip = synth_sung_line(notes, sr=SR, note_s=0.6)
    profile = voice_profile(clip, sr=SR).to_dict()
    styles = kokoro.load_styles()
    stock = kokoro.stock_style(profile["register"])
    other = next(
        v for k, v in sorted(styles.items()) if k[1] == profile["register"][0] and not np.array_equal(v, stock)
    )
    profile["style"] = (0.5 * (stock + other)).tolist()
    profile["envelope_bank"] = envelope_transfer.build_bank(clip, sr=SR)
    profile["eq_db"] = (3.0 * np.sin(np.linspace(0, 3 * np.pi, timbre.N_EQ_BANDS))).tolist()
    return profile


def render(seed: int, profile: dict | None):
    return song_mod.render_song(
        lyrics=LYRICS_60S, tags=TAGS, seed=seed, sr=SR, voice_profile=profile, singer_name="neural"
    )


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used since boot (/proc/stat), all cores together."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def fmt_load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="rounds; every configuration renders every case once a round")
    ap.add_argument("--persona", type=Path, help="a persona's profile JSON (default: one made here)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of {', '.join(CONFIGS)}")
    ap.add_argument("--no-stock", action="store_true", help="only the persona case")
    ap.add_argument("--no-persona", action="store_true", help="only the case without a persona")
    ap.add_argument("--json", type=Path, help="write every render's figures here")
    ap.add_argument("--variants", type=int, choices=(1, 2), default=2, help="variants a task renders (default 2)")
    args = ap.parse_args(argv)
    names = [n for n in args.configs.split(",") if n]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration(s) {unknown}; known: {list(CONFIGS)}")

    persona = json.loads(args.persona.read_text()) if args.persona else synthetic_persona()
    cases = ([("no persona", None)] if not args.no_stock else []) + (
        [("persona", persona)] if not args.no_persona else []
    )
    seeds = SEEDS[: args.variants]
    print(f"load average at start {fmt_load()}; {os.cpu_count()} cores; configs {names}; runs {args.runs}")
    print(
        f"persona: {args.persona or 'synthetic'}, register {persona.get('register')}, "
        f"fitted {[k for k in ('style', 'envelope_bank', 'eq_db') if persona.get(k) is not None]}"
    )
    for name in names:  # warm-up: sessions, imports, FFT plans
        with configured(CONFIGS[name]):
            clear_voice_caches()
            render(SEEDS[0], persona)

    wall: dict[tuple, list[float]] = {}
    others: dict[tuple, list[float]] = {}  # the other processes' CPU during each render, in cores
    cpu: dict[tuple, list[float]] = {}
    stages: dict[tuple, list[dict]] = {}
    duration: dict[tuple, float] = {}
    loads = []
    with timed_stages() as totals:
        for r in range(args.runs):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                with configured(CONFIGS[name]):
                    for case, profile in cases:
                        clear_voice_caches()  # a new task
                        for v, seed in enumerate(seeds):
                            totals.clear()
                            t, c, busy = time.perf_counter(), time.process_time(), machine_busy_s()
                            s = render(seed, profile)
                            key = (name, case, v)
                            w, ours = time.perf_counter() - t, time.process_time() - c
                            wall.setdefault(key, []).append(w)
                            cpu.setdefault(key, []).append(ours)
                            others.setdefault(key, []).append(max(machine_busy_s() - busy - ours, 0.0) / w)
                            stages.setdefault(key, []).append(dict(totals))
                            duration[key] = s.duration_s
            loads.append(os.getloadavg()[0])
            print(f"round {r + 1}/{args.runs} done, load average {fmt_load()}", flush=True)

    print(
        f"\nload average (1 min) over the rounds: median {statistics.median(loads):.2f}, "
        f"min {min(loads):.2f}, max {max(loads):.2f}"
    )
    if args.json:
        records = [
            dict(config=k[0], case=k[1], variant=k[2], audio_s=duration[k], wall_s=w, cpu_s=c, others_cores=o)
            for k in wall
            for w, c, o in zip(wall[k], cpu[k], others[k])
        ]
        args.json.write_text(json.dumps(records, indent=1))
    print(
        "\nothers = the CPU other processes used during the render, in cores (of 2); 'quiet' = the renders "
        f"during which others used under {QUIET_CORES} core"
    )
    print(
        "\n| config | case | variant | audio s | wall s/s (median; runs) | CPU s/s | others | quiet wall s/s (n); fit at 0 others | goal |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for key in wall:
        name, case, v = key
        d = duration[key]
        w = statistics.median(wall[key]) / d
        runs = ", ".join(f"{x / d:.3f}" for x in wall[key])
        quiet = [x / d for x, o in zip(wall[key], others[key]) if o < QUIET_CORES]
        quiet_s = f"{statistics.median(quiet):.3f} ({len(quiet)})" if quiet else "— (0)"
        if len(set(others[key])) > 1:  # wall s/s against the others' cores, a straight line: where others = 0
            slope, at_zero = np.polyfit(others[key], [x / d for x in wall[key]], 1)
            quiet_s += f"; fit {at_zero:.3f} + {slope:.3f}/core"
        print(
            f"| {name} | {case} | {'AB'[v]} | {d:.1f} | {w:.3f} ({runs}) | {statistics.median(cpu[key]) / d:.3f} "
            f"| {statistics.median(others[key]):.2f} | {quiet_s} | {'OK' if w <= TARGET else 'over'} |"
        )
    print(
        "\nwhere the time goes (median wall seconds per render; stages can nest: 'voice (all)' holds the voice:* ones)"
    )
    for name in names:
        for case, _ in cases:
            keys = [(name, case, v) for v in range(len(seeds))]
            rows = [st for k in keys for st in stages[k]]
            total = statistics.median([x for k in keys for x in wall[k]])
            print(f"  {name} / {case}: render {total:.2f} s")
            labels = [label for label, _, _ in STAGES if any(label in st for st in rows)]
            for label in labels:
                sec = statistics.median([st.get(label, 0.0) for st in rows])
                print(f"    {label:26s} {sec:6.2f} s  {100 * sec / total:5.1f} %")
            sung = statistics.median([st.get("voice: sung audio s", 0.0) for st in rows])
            graph = statistics.median([st.get("voice: sing graph", 0.0) for st in rows])
            print(f"    the sing graph made {sung:.1f} s of audio: {graph / max(sung, 1e-9):.3f} s per s")
            rounds = [st.get("master: limiter rounds", 0.0) for st in rows]
            print(
                f"    mastering: {statistics.median(rounds):.0f} limiter rounds (median; {min(rounds):.0f}-{max(rounds):.0f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
