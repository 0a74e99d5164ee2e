"""A song's sung lines in the neural voice: each line sung once, choruses reused, the persona's EQ on top.

No Django here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import numpy as np

from ..dsp import composer, timbre
from ..dsp.audio_io import resample
from ..dsp.voice import VoiceSettings, place_lines
from . import envelope_transfer, kokoro
from .weights import WeightsError

logger = logging.getLogger(__name__)
_warned = False


def neural_voice_available() -> bool:
    """Whether the neural voice's weights are installed and sound; says once in the log when not."""
    global _warned
    try:
        kokoro.load_styles()
        kokoro.session()
        return True
    except WeightsError as exc:
        if not _warned:
            logger.warning("The neural singing voice is not available, singing with eSpeak NG + WORLD: %s", exc)
            _warned = True
        return False


def style_for(voice: VoiceSettings, *, influence: float = 1.0) -> np.ndarray:
    """The style to sing with: the persona's, moved `influence` of the way from the stock voice."""
    stock = kokoro.stock_style(voice.register)
    if voice.style is None:
        return stock
    return (stock + float(influence) * (np.asarray(voice.style, dtype=np.float32) - stock)).astype(np.float32)


MIN_MELODY_SPAN_SEMITONES = 12.0


def melody_range_midi(vocal_range_midi: tuple[float, float] | None, *, voice: VoiceSettings) -> tuple[float, float]:
    """The range the composer may write in for this voice: the persona's, with its top at the style's ceiling.

    Above its ceiling (``kokoro.singable_range_midi``, about F#4 for every style) the neural voice
    sings a phrase lower and resamples it up, which raises its formants too: a smaller, brighter
    voice, less like the persona. So a melody that would go higher is written lower instead,
    keeping at least an octave (down to the style's floor).
    """
    floor, ceiling = kokoro.singable_range_midi(style_for(voice))
    low, high = vocal_range_midi or composer.DEFAULT_VOCAL_RANGE_MIDI
    low, high = float(min(low, high)), float(max(low, high))
    if high <= ceiling:
        return low, high
    return max(min(low, ceiling - MIN_MELODY_SPAN_SEMITONES), floor), ceiling


# Lines sung at once. 1: one after another, each on the graph's 2 intra-op threads (onnxruntime runs
# every operator of it on both). Two lines at once on the same session oversubscribe the cores: on 2
# quiet cores a 60 s song took 0.244 s/s with 2 against 0.232 with 1, and 7 % more CPU
# (scripts/bench_singer.py, 2026-12-07).
LINE_WORKERS = 1


def _sing_one(text, language, notes, *, style, voice: VoiceSettings, influence: float, sr: int):
    """One line as sung and placed by ``sing``: (start relative to its first note, samples at `sr`)."""
    start_s, y = kokoro.sing_line(
        text,
        language,
        notes,
        style=style,
        vibrato_rate_hz=voice.vibrato_rate_hz,
        vibrato_depth_cents=voice.vibrato_depth_cents,
        sr=envelope_transfer.TRANSFER_SR_HZ,
    )
    if voice.envelope_bank is not None:
        y = envelope_transfer.transfer(
            y, sr=envelope_transfer.TRANSFER_SR_HZ, bank=voice.envelope_bank, amount=influence
        )
    if voice.eq_db is not None and influence > 0:
        # Line by line, before placing (a linear filter: the same as on the whole track, and a
        # repeated chorus is filtered once, on a few seconds at 24 kHz instead of the song at sr).
        y = timbre.apply_eq_db(y, sr=envelope_transfer.TRANSFER_SR_HZ, eq_db=voice.eq_db, amount=influence)
    y = resample(y, sr_from=envelope_transfer.TRANSFER_SR_HZ, sr_to=sr).astype(np.float32, copy=False)
    return start_s - notes[0][0], y


def sing(
    lines: Iterable[tuple[str, str, list[tuple[float, float, float]], bool]],
    *,
    voice: VoiceSettings,
    sr: int,
    n_samples: int,
    influence: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sing (text, language, notes, is_backing) lines: (lead mono (n,), backing stereo (n, 2)), float32.

    A line sung again on the same tune (a repeated chorus) is rendered once and placed again, so
    repeats are exact and cost nothing. Each line is sung at 24 kHz, moved toward the persona's
    envelopes (``envelope_transfer``), given the persona's EQ, then resampled to `sr`. Up to
    LINE_WORKERS lines are sung at once; the next line is taken from `lines` only when it can start
    (so a caller counting the lines it hands over counts the lines begun). The result does not
    depend on LINE_WORKERS.
    """
    style = style_for(voice, influence=influence)
    jobs: dict[tuple, Future] = {}
    placed = []
    workers = max(1, int(LINE_WORKERS))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sing-line") as pool:
        running: set[Future] = set()
        for text, language, notes, is_backing in _when_free(lines, running, workers):
            notes = [tuple(float(v) for v in n) for n in notes]
            if not notes:
                continue
            t0 = notes[0][0]
            key = (text, language, tuple((round(s - t0, 4), round(d, 4), round(m, 3)) for s, d, m in notes))
            if key not in jobs:
                jobs[key] = pool.submit(
                    _sing_one, text, language, notes, style=style, voice=voice, influence=influence, sr=sr
                )
                running.add(jobs[key])
            placed.append((t0, key, is_backing))
        rendered = []
        for t0, key, is_backing in placed:
            offset_s, y = jobs[key].result()
            rendered.append((t0 + offset_s, y, is_backing))
    return place_lines(rendered, sr=sr, n_samples=n_samples)


def _when_free(items: Iterable, running: set, workers: int) -> Iterator:
    """`items` one at a time, each taken only when fewer than `workers` of `running` are unfinished; a line
    that failed ends it with its exception (the song fails, no more lines are begun)."""
    it = iter(items)
    while True:
        while len(running) >= workers:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            running.difference_update(done)
            for job in done:
                if job.exception() is not None:
                    raise job.exception()
        try:
            item = next(it)
        except StopIteration:
            return
        yield item
