"""Extending a song from a chosen second: keep the source up to there, join new music to it.

``join_song`` takes the source up to ``at_s`` and a freshly rendered continuation,
lines the continuation's beat grid up with the source's (so the downbeats keep
falling where the listener expects them), joins the two with a short equal-power
crossfade and masters the whole song again (-14 LUFS, ≤ -1 dBTP), scaling the
stems with the same per-sample gain so vocal + band ≈ mix still holds.

When the source was not made by our engine its tempo and key are unknown:
``estimate_tempo`` (beat tracking) and ``estimate_key`` (chroma against the
Krumhansl–Kessler key profiles) guess them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import librosa
import numpy as np

from .composer import Note, Score, SungLine
from .mix import fit_length, master_curve

CROSSFADE_S = 0.5
BEAT_ANALYSIS_SR_HZ = 22050  # beat and key tracking of a source we did not make

# Krumhansl–Kessler probe-tone profiles, tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass
class JoinedSong:
    mix: np.ndarray  # (n, 2) float32, mastered
    vocal: np.ndarray | None  # (n,) float32, or None when the source's stems are unknown
    band: np.ndarray | None  # (n, 2) float32, or None likewise
    sr: int
    duration_s: float
    at_s: float  # where the new part starts (the crossfade begins here)
    skip_s: float = 0.0  # how much of the continuation's start was dropped to keep the beat grid
    # Every per-instrument stem, mastered like the mix and summing to it; empty when the source's are unknown.
    # A LazyStems: each stem is joined when it is read (and not kept), so read each once.
    stems: Mapping[str, np.ndarray] = field(default_factory=dict)


def _stereo(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return np.repeat(x[:, None], 2, axis=1) if x.ndim == 1 else x


def _mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x.mean(axis=1) if x.ndim == 2 else x


def crossfade_join(
    head: np.ndarray, tail: np.ndarray, *, sr: int, at_s: float, crossfade_s: float = CROSSFADE_S
) -> np.ndarray:
    """Join ``tail`` to ``head`` at ``at_s`` with an equal-power crossfade.

    ``head`` exactly up to ``at_s``, then ``head`` fading out while ``tail`` fades in (cos/sin, so the
    loudness does not dip in the middle), then the rest of ``tail``. Near the end of ``head`` the crossfade
    starts a little earlier, so the source always fades out instead of stopping dead (a click) at its last
    sample.

    Parameters
    ----------
    head : np.ndarray [shape=(n,) or (n, 2)]
        The source, at ``sr`` Hz.
    tail : np.ndarray [shape=(m,) or (m, 2)]
        What follows, the same number of channels as ``head``; its first sample is heard at the join.
    sr : int
        Sample rate in Hz.
    at_s : float
        Where the crossfade starts in ``head``, in seconds.
    crossfade_s : float
        Length of the crossfade in seconds (at most ``m`` samples).

    Returns
    -------
    np.ndarray [shape=(k + m,) or (k + m, 2)]
        float32; ``k`` is ``at_s`` in samples, moved back so the crossfade ends within ``head``.
    """
    fade = max(1, min(int(round(crossfade_s * sr)), len(tail)))
    at = int(round(at_s * sr))
    at = max(0, min(at, len(head) - fade))
    out_len = at + len(tail)
    out = np.zeros((out_len,) + head.shape[1:], dtype=np.float32)
    out[:at] = head[:at]
    t = (np.arange(fade) + 0.5) / fade
    fade_out, fade_in = np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)
    if head.ndim == 2:
        fade_out, fade_in = fade_out[:, None], fade_in[:, None]
    overlap = head[at : at + fade]
    if len(overlap) < fade:
        overlap = np.concatenate([overlap, np.zeros((fade - len(overlap),) + head.shape[1:], np.float32)])
    out[at : at + fade] = overlap * fade_out + tail[:fade] * fade_in
    out[at + fade :] = tail[fade:]
    return out


def grid_offset_s(at_s: float, period_s: float, phase_s: float = 0.0) -> float:
    """Measure how much of a continuation to skip so its beat grid lands on the source's.

    Parameters
    ----------
    at_s : float
        Where the continuation starts in the source, in seconds; the continuation's bars start at its 0.
    period_s : float
        The source's beat (or bar) period in seconds; 0 or less for an unknown grid.
    phase_s : float
        Time of the source's first beat in seconds.

    Returns
    -------
    float
        Seconds to drop from the start of the continuation, in [0, ``period_s``); 0 for an unknown grid.
    """
    if period_s <= 0:
        return 0.0
    return float((at_s - phase_s) % period_s)


def estimate_tempo(samples: np.ndarray, *, sr: int) -> tuple[float, float]:
    """Estimate tempo and beat phase by beat tracking (librosa) at ``BEAT_ANALYSIS_SR_HZ``.

    The tempo is folded into 70-160 BPM, where the composer writes (half/double time is the usual
    ambiguity of beat trackers).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        Audio at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    bpm : float
        Tempo in beats per minute, 70-160; 0 when no beat is found or the audio is under a second.
    phase_s : float
        Time of the first beat within one beat period, in seconds; 0 when no beat is found.
    """
    x = _mono(samples)
    if not np.any(x) or len(x) < sr:
        return 0.0, 0.0
    if sr != BEAT_ANALYSIS_SR_HZ:
        x = librosa.resample(x, orig_sr=sr, target_sr=BEAT_ANALYSIS_SR_HZ, res_type="polyphase")
    onset_env = librosa.onset.onset_strength(y=x.astype(np.float32), sr=BEAT_ANALYSIS_SR_HZ, hop_length=512)
    tempo, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=BEAT_ANALYSIS_SR_HZ, hop_length=512)
    bpm = float(np.atleast_1d(tempo)[0])
    if not bpm > 0:
        return 0.0, 0.0
    while bpm < 70:
        bpm *= 2
    while bpm > 160:
        bpm /= 2
    beat_times = librosa.frames_to_time(beats, sr=BEAT_ANALYSIS_SR_HZ, hop_length=512)
    phase = float(beat_times[0] % (60.0 / bpm)) if len(beat_times) else 0.0
    return round(bpm, 1), phase


def estimate_key(samples: np.ndarray, *, sr: int) -> tuple[int, str] | None:
    """Estimate the key from the average chroma against the Krumhansl-Kessler profiles.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        Audio at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    tuple of (int, str) or None
        (tonic pitch class 0-11 with 0 = C, "major" or "minor"); None for silence or under a second.
    """
    x = _mono(samples)
    if not np.any(x) or len(x) < sr:
        return None
    if sr != BEAT_ANALYSIS_SR_HZ:
        x = librosa.resample(x, orig_sr=sr, target_sr=BEAT_ANALYSIS_SR_HZ, res_type="polyphase")
    chroma = librosa.feature.chroma_stft(y=x.astype(np.float32), sr=BEAT_ANALYSIS_SR_HZ, n_fft=4096, hop_length=2048)
    profile = chroma.mean(axis=1)
    if not np.any(profile > 0):
        return None
    best, best_r = None, -2.0
    for mode, template in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if r > best_r:
                best, best_r = (tonic, mode), r
    return best


class LazyStems(Mapping):
    """Stems made only when asked for, one at a time: ``{name: loader}`` where ``loader()`` gives the array.

    Nothing is kept, so a long song's stems (each a full-length stereo array) need the memory of one
    at a time: a source's stems decoded from their files, or an extension's joined as they are encoded.
    """

    def __init__(self, loaders: dict[str, Callable[[], np.ndarray]]) -> None:
        self._loaders = dict(loaders)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._loaders[name]()

    def __contains__(self, name: object) -> bool:  # Mapping's own would load the stem to find out
        return name in self._loaders

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


def join_song(
    *,
    source_mix: np.ndarray,
    continuation_mix: np.ndarray,
    sr: int,
    at_s: float,
    source_vocal: np.ndarray | None = None,
    source_band: np.ndarray | None = None,
    continuation_vocal: np.ndarray | None = None,
    continuation_band: np.ndarray | None = None,
    source_stems: Mapping[str, np.ndarray] | None = None,
    continuation_stems: Mapping[str, np.ndarray] | None = None,
    skip_s: float = 0.0,
    crossfade_s: float = CROSSFADE_S,
) -> JoinedSong:
    """Join the source up to ``at_s`` and the continuation (its first ``skip_s`` dropped), crossfaded and mastered.

    With both sides' per-instrument stems the source's part of the mix is their (lossless) sum, and each
    stem is joined like the mix, so the joined stems sum to the joined mix exactly. The joined stems are a
    :class:`LazyStems`: each is joined and mastered when it is read, so only one is in memory at a time.

    Parameters
    ----------
    source_mix : np.ndarray [shape=(n,) or (n, 2)]
        The source song at ``sr`` Hz; only its length is used when the stems are given.
    continuation_mix : np.ndarray [shape=(m,) or (m, 2)]
        The new music at ``sr`` Hz, its bars starting at 0.
    sr : int
        Sample rate of every array in Hz.
    at_s : float
        Where the continuation starts, in seconds of the source (clipped to its length).
    source_vocal : np.ndarray [shape=(n,)] or None
        The source's vocal stem; the vocal and band are joined only when the source's both are given.
    source_band : np.ndarray [shape=(n, 2)] or None
        The source's band stem.
    continuation_vocal : np.ndarray [shape=(m,)] or None
        The continuation's vocal; None for an instrumental continuation (silence).
    continuation_band : np.ndarray [shape=(m, 2)] or None
        The continuation's band stem.
    source_stems : Mapping of str to np.ndarray [shape=(n, 2)] or None
        The source's per-instrument stems (may be a LazyStems).
    continuation_stems : Mapping of str to np.ndarray [shape=(m, 2)] or None
        The continuation's per-instrument stems.
    skip_s : float
        Seconds dropped from the continuation's start so its beat grid lands on the source's.
    crossfade_s : float
        Length of the crossfade in seconds.

    Returns
    -------
    JoinedSong
        Mastered stereo float32 mix (k, 2) at ``sr`` Hz, the vocal (k,) and band (k, 2) when known, and the
        joined stems, all scaled by the mix's mastering gain.
    """
    source_mix = _stereo(source_mix)
    n_src = len(source_mix)

    def fit(x: np.ndarray) -> np.ndarray:  # stems decoded from a file may differ by a frame in length
        return fit_length(np.asarray(x, dtype=np.float32), n_src)

    with_stems = bool(source_stems) and bool(continuation_stems)
    if with_stems:  # one source stem at a time
        source_mix = np.zeros((n_src, 2), dtype=np.float32)
        for stem in source_stems.values():
            source_mix += fit(_stereo(stem))
            del stem
    at_s = float(min(max(at_s, 0.0), n_src / sr))
    skip = int(round(skip_s * sr))
    tail = _stereo(continuation_mix)[skip:]
    mix = crossfade_join(source_mix, tail, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
    del source_mix
    mastered, curve = master_curve(mix, sr=sr, overwrite_input=True)
    vocal = band = None
    if source_vocal is not None and source_band is not None and continuation_band is not None:
        cont_vocal = (
            np.zeros(len(continuation_mix), np.float32) if continuation_vocal is None else _mono(continuation_vocal)
        )
        vocal = crossfade_join(fit(_mono(source_vocal)), cont_vocal[skip:], sr=sr, at_s=at_s, crossfade_s=crossfade_s)
        source_vocal = None  # ours to let go when the caller decoded it for this join
        vocal *= curve
        band = crossfade_join(
            fit(_stereo(source_band)), _stereo(continuation_band)[skip:], sr=sr, at_s=at_s, crossfade_s=crossfade_s
        )
        source_band = None
        band *= curve[:, None]
    stems = {}
    if with_stems:

        def joined_stem(name: str) -> np.ndarray:
            head = fit(_stereo(source_stems[name])) if name in source_stems else np.zeros((n_src, 2), np.float32)
            rest = _stereo(continuation_stems[name])[skip:] if name in continuation_stems else np.zeros_like(tail)
            joined = crossfade_join(head, rest, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
            joined *= curve[:, None]
            return joined

        names = [*source_stems, *(n for n in continuation_stems if n not in source_stems)]
        stems = LazyStems({name: functools.partial(joined_stem, name) for name in names})
    return JoinedSong(
        mix=mastered,
        vocal=vocal,
        band=band,
        sr=sr,
        duration_s=len(mastered) / sr,
        at_s=at_s,
        skip_s=skip / sr,
        stems=stems,
    )


def join_scores(source: Score, continuation: Score, *, at_s: float, skip_s: float) -> Score:
    """Join two scores as :func:`join_song` joins their audio.

    The source's notes up to ``at_s`` (cut there), then the continuation's from ``skip_s`` on, moved to
    start at ``at_s``. Lines and sections are kept while they begin before the cut.

    Parameters
    ----------
    source : Score
        The source song's score; its style is kept.
    continuation : Score
        The continuation's score, its times from its own 0.
    at_s : float
        Where the continuation starts, in seconds of the source.
    skip_s : float
        Seconds dropped from the continuation's start.

    Returns
    -------
    Score
        The joined song's score, times in seconds of the joined song.
    """
    shift = at_s - skip_s

    def head_notes(notes: list[Note]) -> list[Note]:
        return [replace(n, dur_s=min(n.dur_s, at_s - n.start_s)) for n in notes if n.start_s < at_s]

    def tail_notes(notes: list[Note]) -> list[Note]:
        return [replace(n, start_s=n.start_s + shift) for n in notes if n.start_s >= skip_s]

    def spans(items, cut_head: bool):
        return [
            (*item[:-2], a, min(b, at_s)) if cut_head else (*item[:-2], a + shift, b + shift)
            for item in items
            for a, b in [item[-2:]]
            if (a < at_s if cut_head else a >= skip_s)
        ]

    def head_line(line: SungLine) -> SungLine:
        return replace(line, notes=[(a, min(d, at_s - a), m) for a, d, m in line.notes if a < at_s])

    def tail_line(line: SungLine) -> SungLine:
        return replace(line, notes=[(a + shift, d, m) for a, d, m in line.notes])

    return Score(
        style=source.style,
        sections=[*source.sections, *continuation.sections],
        chords=[(t, min(d, at_s - t), c) for t, d, c in source.chords if t < at_s]
        + [(t + shift, d, c) for t, d, c in continuation.chords if t >= skip_s],
        melody=head_notes(source.melody) + tail_notes(continuation.melody),
        bass=head_notes(source.bass) + tail_notes(continuation.bass),
        drum_hits=[h for h in source.drum_hits if h[0] < at_s]
        + [(t + shift, name, v) for t, name, v in continuation.drum_hits if t >= skip_s],
        duration_s=at_s + continuation.duration_s - skip_s,
        line_spans=spans(source.line_spans, True) + spans(continuation.line_spans, False),
        section_spans=spans(source.section_spans, True) + spans(continuation.section_spans, False),
        counter=head_notes(source.counter) + tail_notes(continuation.counter),
        sung_lines=[head_line(line) for line in source.sung_lines if line.notes and line.notes[0][0] < at_s]
        + [tail_line(line) for line in continuation.sung_lines if line.notes and line.notes[0][0] >= skip_s],
    )
