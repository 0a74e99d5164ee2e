"""Objective measurements of a rendered song: is it in tune, in time, structured, mastered?

Everything here is plain numpy / librosa / pyworld (no Django), so the quality
tests, ``python scripts/engine_report.py`` and the benchmark share one
definition of each figure.

* ``f0_track`` – vocal F0 per 10 ms frame (WORLD DIO + StoneMask at 16 kHz,
  gated by loudness and periodicity; the same tracker as persona learning).
* ``pitch_accuracy`` – share of voiced frames inside melody notes whose F0 is
  within ``tolerance_cents`` of the note (octave errors count as misses).
* ``median_f0_midi`` – median voiced pitch as a (fractional) MIDI number.
* ``syllable_onsets`` – number of sung syllable onsets in a vocal stem.
* ``tempo_bpm`` / ``tempo_matches`` – beat-tracked tempo; a match allows the
  usual double/half-time ambiguity.
* ``chorus_similarity`` – time-aligned chroma similarity of chorus
  occurrences with each other vs. with verses.
* ``integrated_lufs`` / ``true_peak_dbtp`` – re-exported from :mod:`.mix`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import librosa
import numpy as np
from scipy import ndimage, signal

from .mix import integrated_lufs, true_peak_dbtp  # noqa: F401  (re-exported)
from .profile import FRAME_PERIOD_MS, PROFILE_SR_HZ, _to_analysis_rate, voiced_f0

__all__ = [
    "f0_track",
    "pitch_accuracy",
    "median_f0_midi",
    "syllable_onsets",
    "tempo_bpm",
    "tempo_matches",
    "chorus_similarity",
    "integrated_lufs",
    "true_peak_dbtp",
    "note_fields",
]

FRAME_S = FRAME_PERIOD_MS / 1000.0


def _mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x.reshape(-1)


def note_fields(note) -> tuple[float, float, float]:
    """Read (start_s, dur_s, midi) from a composer ``Note`` or a plain tuple.

    Parameters
    ----------
    note : Note or tuple of float
        A composer ``Note`` or ``(start_s, dur_s, midi[, ...])``.

    Returns
    -------
    tuple of (float, float, float)
        Start and duration in seconds, pitch as a MIDI number.
    """
    if hasattr(note, "start_s"):
        return float(note.start_s), float(note.dur_s), float(note.midi)
    return float(note[0]), float(note[1]), float(note[2])


# --------------------------------------------------------------------------- pitch


def f0_track(vocal: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Track the vocal's F0 per 10 ms frame (WORLD DIO + StoneMask at 16 kHz, as persona learning does).

    Parameters
    ----------
    vocal : np.ndarray [shape=(n,) or (n, 2)]
        The vocal stem at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    times_s : np.ndarray [shape=(frames,)]
        Each frame's time in seconds, ``FRAME_S`` apart; empty for under 50 ms or silence.
    f0_hz : np.ndarray [shape=(frames,)]
        F0 in Hz, 0 where the frame is quiet, unpitched or aperiodic.
    """
    x = _mono(vocal)
    if len(x) < int(0.05 * sr) or not np.any(x):
        return np.zeros(0), np.zeros(0)
    f0 = voiced_f0(x, sr=sr)
    return np.arange(len(f0)) * FRAME_S, f0


def _note_targets(times: np.ndarray, notes: Iterable, edge_s: float, tail_s: float) -> np.ndarray:
    """Per frame: the MIDI number of the note sounding (minus transition edges), NaN elsewhere."""
    target = np.full(len(times), np.nan)
    if not len(times):
        return target
    for note in notes:
        start, dur, midi = note_fields(note)
        a, b = start + min(edge_s, dur * 0.4), start + dur - min(tail_s, dur * 0.2)
        if b <= a:
            continue
        i0, i1 = np.searchsorted(times, [a, b])
        target[i0:i1] = midi
    return target


def pitch_accuracy(
    vocal: np.ndarray,
    *,
    sr: int,
    melody_notes: Sequence,
    tolerance_cents: float = 50.0,
    edge_s: float = 0.05,
    tail_s: float = 0.02,
    track=None,
) -> float:
    """Measure the share of voiced frames inside notes whose F0 is within ``tolerance_cents`` of the note.

    Frames outside notes are ignored, and so are the first ``edge_s`` and last ``tail_s`` of each note (the
    glide/consonant into it and the release), as in note-level singing evaluation. An octave error is a miss.

    Parameters
    ----------
    vocal : np.ndarray [shape=(n,) or (n, 2)]
        The vocal stem at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.
    melody_notes : Sequence of Note or tuple
        The notes sung, ``(start_s, dur_s, midi)`` in song time (see :func:`note_fields`).
    tolerance_cents : float
        Largest distance from the note that counts as in tune, in cents.
    edge_s : float
        Seconds left out at each note's start (at most 40 % of the note).
    tail_s : float
        Seconds left out at each note's end (at most 20 % of the note).
    track : tuple of (np.ndarray, np.ndarray) or None
        A ready :func:`f0_track` of ``vocal``, to measure several figures on one tracking.

    Returns
    -------
    float
        Share in [0, 1]; NaN when no voiced frame falls inside a note.
    """
    times, f0 = track if track is not None else f0_track(vocal, sr=sr)
    target = _note_targets(times, melody_notes, edge_s, tail_s)
    use = (f0 > 0) & ~np.isnan(target)
    if not np.any(use):
        return float("nan")
    cents = 1200.0 * np.log2(f0[use] / 440.0) + 6900.0 - 100.0 * target[use]
    return float(np.mean(np.abs(cents) <= tolerance_cents))


def median_f0_midi(vocal: np.ndarray, *, sr: int, track=None) -> float:
    """Measure the median voiced pitch as a (fractional) MIDI number.

    Parameters
    ----------
    vocal : np.ndarray [shape=(n,) or (n, 2)]
        The vocal stem at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.
    track : tuple of (np.ndarray, np.ndarray) or None
        A ready :func:`f0_track` of ``vocal``, to measure several figures on one tracking.

    Returns
    -------
    float
        MIDI number (69 = A4 = 440 Hz); NaN when nothing is voiced.
    """
    _, f0 = track if track is not None else f0_track(vocal, sr=sr)
    voiced = f0[f0 > 0]
    if not len(voiced):
        return float("nan")
    return float(69.0 + 12.0 * np.log2(np.median(voiced) / 440.0))


# --------------------------------------------------------------------------- syllables

MIN_SYLLABLE_GAP_S = 0.1
NUCLEUS_PROMINENCE_DB = 4.0  # a vowel nucleus stands this far above the dips on either side
NUCLEUS_WINDOW_S = 0.064


def _frame_level_db(x16: np.ndarray, n_frames: int, *, window_s: float = 0.02) -> np.ndarray:
    """Level (dB) of `window_s` windows centred on the 10 ms analysis frames of 16 kHz audio."""
    hop, half = int(FRAME_S * PROFILE_SR_HZ), int(window_s / 2 * PROFILE_SR_HZ)
    padded = np.pad(x16, (half, half + hop * n_frames))
    frames = np.lib.stride_tricks.sliding_window_view(padded, 2 * half)[::hop][:n_frames]
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def syllable_onset_times(
    vocal: np.ndarray, *, sr: int, min_gap_s: float = MIN_SYLLABLE_GAP_S, track=None
) -> np.ndarray:
    """Find the sung syllables of a (mostly) solo vocal stem by counting syllable nuclei.

    Parameters
    ----------
    vocal : np.ndarray [shape=(n,) or (n, 2)]
        The vocal stem at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.
    min_gap_s : float
        Shortest time between two syllables, in seconds.
    track : tuple of (np.ndarray, np.ndarray) or None
        A ready :func:`f0_track` of ``vocal``, to measure several figures on one tracking.

    Returns
    -------
    np.ndarray [shape=(syllables,)]
        Each syllable nucleus's time in seconds, ascending; empty when nothing is voiced.

    Notes
    -----
    The method of de Jong & Wempe (2009, "Praat script to detect syllable nuclei"): peaks of the intensity
    contour (64 ms windows, 10 ms hop) that stand out by at least NUCLEUS_PROMINENCE_DB from the dips around
    them, lie within 25 dB of the loud part of the vocal, and are voiced. A syllable is one vowel nucleus,
    so consonants and melismas (a new pitch on the same vowel) do not count.

    Tried before and dropped: spectral flux (counts vibrato and the limiter's ducking, about 2x), voiced-run
    starts plus pitch steps (+40 to +150 %).
    """
    times, f0 = track if track is not None else f0_track(vocal, sr=sr)
    if not len(f0) or not np.any(f0 > 0):
        return np.zeros(0)
    x16 = _to_analysis_rate(_mono(vocal), sr=sr)
    level = _frame_level_db(x16, len(f0), window_s=NUCLEUS_WINDOW_S)
    loud = np.percentile(level[f0 > 0], 95)
    peaks, _ = signal.find_peaks(
        level, prominence=NUCLEUS_PROMINENCE_DB, height=loud - 25.0, distance=max(1, int(round(min_gap_s / FRAME_S)))
    )
    voiced = [p for p in peaks if np.any(f0[max(0, p - 2) : p + 3] > 0)]
    return np.asarray(voiced, dtype=float) * FRAME_S


def syllable_onsets(vocal: np.ndarray, *, sr: int, min_gap_s: float = MIN_SYLLABLE_GAP_S, track=None) -> int:
    """Count the sung syllable onsets in a vocal stem (see :func:`syllable_onset_times`).

    Parameters
    ----------
    vocal : np.ndarray [shape=(n,) or (n, 2)]
        The vocal stem at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.
    min_gap_s : float
        Shortest time between two syllables, in seconds.
    track : tuple of (np.ndarray, np.ndarray) or None
        A ready :func:`f0_track` of ``vocal``, to measure several figures on one tracking.

    Returns
    -------
    int
        Number of syllable nuclei found.
    """
    return int(len(syllable_onset_times(vocal, sr=sr, min_gap_s=min_gap_s, track=track)))


# --------------------------------------------------------------------------- tempo

TEMPO_SR = 22050


def tempo_bpm(mix: np.ndarray, *, sr: int) -> float:
    """Measure the global tempo with ``librosa.beat.beat_track`` on the mono mix at ``TEMPO_SR``.

    Parameters
    ----------
    mix : np.ndarray [shape=(n,) or (n, 2)]
        The song at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float
        Tempo in beats per minute; 0 for silence or when no beat is found.
    """
    x = _mono(mix)
    if not np.any(x):
        return 0.0
    if sr != TEMPO_SR:
        x = librosa.resample(x, orig_sr=sr, target_sr=TEMPO_SR, res_type="polyphase")
    onset_env = librosa.onset.onset_strength(y=x.astype(np.float32), sr=TEMPO_SR, hop_length=512)
    tempo, _ = librosa.beat.beat_track(onset_envelope=onset_env, sr=TEMPO_SR, hop_length=512)
    return float(np.atleast_1d(tempo)[0])


def tempo_matches(measured: float, target: float, tol: float = 0.04) -> bool:
    """Tell whether a measured tempo matches the target, half or double of it.

    Parameters
    ----------
    measured : float
        Measured tempo in BPM.
    target : float
        Intended tempo in BPM.
    tol : float
        Relative tolerance (0.04: within 4 %).

    Returns
    -------
    bool
        True when ``measured`` is within ``tol`` of ``target``, ``2 * target`` or ``target / 2``.
    """
    if not (measured > 0 and target > 0):
        return False
    return any(abs(measured - target * f) <= tol * target * f for f in (1.0, 2.0, 0.5))


# --------------------------------------------------------------------------- structure

CHROMA_SR = 22050
CHROMA_HOP = 2048  # ~93 ms


def _chroma(mix: np.ndarray, *, sr: int) -> np.ndarray:
    x = _mono(mix)
    if sr != CHROMA_SR:
        x = librosa.resample(x, orig_sr=sr, target_sr=CHROMA_SR, res_type="polyphase")
    c = librosa.feature.chroma_stft(y=x.astype(np.float32), sr=CHROMA_SR, n_fft=4096, hop_length=CHROMA_HOP)
    return ndimage.uniform_filter1d(c, 5, axis=1)  # ~0.5 s smoothing: harmony, not single notes


def _aligned_cosine(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.shape[1], b.shape[1])
    if n == 0:
        return float("nan")
    a, b = a[:, :n], b[:, :n]
    num = np.sum(a * b, axis=0)
    den = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    ok = den > 1e-9
    return float(np.mean(num[ok] / den[ok])) if np.any(ok) else float("nan")


def chorus_similarity(
    mix: np.ndarray, *, sr: int, section_spans: Sequence[tuple[str, float, float]]
) -> tuple[float, float]:
    """Compare sections by the mean cosine similarity of their time-aligned chroma.

    Each pair of section occurrences is aligned at its start and compared frame by frame over the
    shorter one.

    Parameters
    ----------
    mix : np.ndarray [shape=(n,) or (n, 2)]
        The song at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.
    section_spans : Sequence of tuple of (str, float, float)
        ``(kind, start_s, end_s)`` per section, as ``Score.section_spans``.

    Returns
    -------
    chorus_vs_chorus : float
        Mean similarity in [-1, 1] over pairs of choruses; NaN with fewer than two choruses.
    chorus_vs_verse : float
        Mean similarity over (chorus, verse) pairs; NaN without a chorus or a verse.
    """
    c = _chroma(mix, sr=sr)
    fps = CHROMA_SR / CHROMA_HOP

    def cut(start: float, end: float) -> np.ndarray:
        return c[:, int(round(start * fps)) : int(round(end * fps))]

    choruses = [cut(s, e) for kind, s, e in section_spans if kind == "chorus"]
    verses = [cut(s, e) for kind, s, e in section_spans if kind == "verse"]
    cc = [_aligned_cosine(choruses[i], choruses[j]) for i in range(len(choruses)) for j in range(i + 1, len(choruses))]
    cv = [_aligned_cosine(ch, v) for ch in choruses for v in verses]
    cc = [v for v in cc if not math.isnan(v)]
    cv = [v for v in cv if not math.isnan(v)]
    return (float(np.mean(cc)) if cc else float("nan"), float(np.mean(cv)) if cv else float("nan"))


# --------------------------------------------------------------------------- helpers for callers


def sung_notes(score) -> list[tuple[float, float, float]]:
    """List one (start_s, dur_s, midi) per sung syllable.

    ``score.sung_lines`` when the engine has them, else ``score.melody``. For pitch accuracy use
    ``score.melody`` (every note, melismas included): a sung-line note spans a whole melisma at its main pitch.

    Parameters
    ----------
    score : Score
        A composer ``Score`` or any object with ``sung_lines`` and/or ``melody``.

    Returns
    -------
    list of tuple of (float, float, float)
        Start and duration in seconds, pitch as a MIDI number, sorted by start.
    """
    lines = getattr(score, "sung_lines", None)
    if lines:
        out = []
        for line in lines:
            for note in getattr(line, "notes", []) or []:
                out.append(note_fields(note))
        if out:
            return sorted(out)
    return sorted(note_fields(n) for n in (getattr(score, "melody", None) or []))
