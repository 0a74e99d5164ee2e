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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import librosa
import numpy as np

from .composer import Note, Score, SungLine
from .mix import MASTER_BLOCK_SAMPLES, _any_rows, fit_length, master_curve, master_gain
from .rowfile import RowFile

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
    at, fade = _crossfade_span(len(head), len(tail), sr=sr, at_s=at_s, crossfade_s=crossfade_s)
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


def _crossfade_span(n_head: int, n_rest: int, *, sr: int, at_s: float, crossfade_s: float) -> tuple[int, int]:
    """(first sample of the crossfade in the head, its length in samples), as ``crossfade_join`` places it:
    at most the tail's length, and ending within the head; the joined track is ``at + n_rest`` samples."""
    fade = max(1, min(int(round(crossfade_s * sr)), n_rest))
    return max(0, min(int(round(at_s * sr)), n_head - fade)), fade


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
    with_stems = bool(source_stems) and bool(continuation_stems)
    if with_stems:
        source_mix = np.zeros((n_src, 2), dtype=np.float32)
        _add_stems(source_mix, source_stems)
    at_s, skip = _join_point(at_s, skip_s, n_src=n_src, sr=sr)
    tail = _stereo(continuation_mix)[skip:]
    mix = crossfade_join(source_mix, tail, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
    del source_mix
    mastered, curve = master_curve(mix, sr=sr, overwrite_input=True)
    join = functools.partial(_mastered_join, curve=curve, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
    vocal = band = None
    if _joins_tracks(source_vocal, source_band, continuation_band):
        cont_vocal = _continuation_vocal(continuation_vocal, len(continuation_mix))
        vocal = join(_fit(_mono(source_vocal), n_src), cont_vocal[skip:])
        source_vocal = None  # ours to let go when the caller decoded it for this join
        band = join(_fit(_stereo(source_band), n_src), _stereo(continuation_band)[skip:])
        source_band = None
    stems = _lazy_joined_stems(source_stems, continuation_stems, tail=tail, skip=skip, n_src=n_src, join=join)
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


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` as float32, cut or zero-padded to ``n`` rows: stems decoded from a file may differ by a frame in length."""
    return fit_length(np.asarray(x, dtype=np.float32), n)


def _add_stems(total: np.ndarray, stems: Mapping[str, np.ndarray]) -> None:
    """Add every stem (stereo, fitted to ``total``'s length) into ``total``, one at a time (each may be loaded when read)."""
    for stem in stems.values():
        total += _fit(_stereo(stem), len(total))
        del stem


def _join_point(at_s: float, skip_s: float, *, n_src: int, sr: int) -> tuple[float, int]:
    """(where the continuation starts in s, clipped to the source's ``n_src`` samples; its samples dropped)."""
    return float(min(max(at_s, 0.0), n_src / sr)), int(round(skip_s * sr))


def _joins_tracks(source_vocal, source_band, continuation_band) -> bool:
    """The vocal and band are joined only when the source's both and the continuation's band are known."""
    return source_vocal is not None and source_band is not None and continuation_band is not None


def _continuation_vocal(continuation_vocal: np.ndarray | None, n: int) -> np.ndarray:
    """The continuation's vocal as (n,) float32; silence for an instrumental continuation."""
    return np.zeros(n, np.float32) if continuation_vocal is None else _mono(continuation_vocal)


def _joined_stem_names(source_stems: Mapping, continuation_stems: Mapping) -> list[str]:
    """The source's stems, then those only the continuation has."""
    return [*source_stems, *(name for name in continuation_stems if name not in source_stems)]


def _mastered_join(
    head: np.ndarray, rest: np.ndarray, *, curve: np.ndarray, sr: int, at_s: float, crossfade_s: float
) -> np.ndarray:
    """``crossfade_join(head, rest)`` scaled in place by the mix's per-sample mastering gain ``curve``."""
    joined = crossfade_join(head, rest, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
    joined *= curve if joined.ndim == 1 else curve[:, None]
    return joined


def _lazy_joined_stems(
    source_stems: Mapping[str, np.ndarray] | None,
    continuation_stems: Mapping[str, np.ndarray] | None,
    *,
    tail: np.ndarray,
    skip: int,
    n_src: int,
    join: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Mapping[str, np.ndarray]:
    """Every stem of either side, joined and mastered when it is read (nothing when a side's stems are unknown)."""
    if not (source_stems and continuation_stems):
        return {}

    def joined_stem(name: str) -> np.ndarray:  # silence on the side that lacks it
        head = _fit(_stereo(source_stems[name]), n_src) if name in source_stems else np.zeros((n_src, 2), np.float32)
        rest = _stereo(continuation_stems[name])[skip:] if name in continuation_stems else np.zeros_like(tail)
        return join(head, rest)

    names = _joined_stem_names(source_stems, continuation_stems)
    return LazyStems({name: functools.partial(joined_stem, name) for name in names})


SourceBlocks = Callable[[], Iterator[np.ndarray]]  # opens a stored track and gives its decoded chunks in order


class _Rows:
    """Exactly ``k`` rows at a time from an iterator of chunks, zeros after its end (``fit_length``'s padding)."""

    def __init__(self, chunks: Iterator[np.ndarray], convert: Callable[[np.ndarray], np.ndarray]) -> None:
        self.chunks, self.convert = chunks, convert
        self.pending: list[np.ndarray] = []
        self.n_pending = 0

    def read(self, k: int, like: tuple[int, ...]) -> np.ndarray:
        while self.n_pending < k and self.chunks is not None:
            chunk = next(self.chunks, None)
            if chunk is None:
                self.close()
                break
            chunk = self.convert(chunk)
            self.pending.append(chunk)
            self.n_pending += len(chunk)
        out = np.zeros((k, *like), dtype=np.float32)
        got = 0
        while got < k and self.pending:
            first = self.pending[0]
            take = min(k - got, len(first))
            out[got : got + take] = first[:take]
            got += take
            if take == len(first):
                self.pending.pop(0)
            else:
                self.pending[0] = first[take:]
            self.n_pending -= take
        return out

    def close(self) -> None:
        if self.chunks is not None and hasattr(self.chunks, "close"):
            self.chunks.close()
        self.chunks = None


def _joined_blocks(
    heads: list[_Rows],
    rest: np.ndarray | None,
    *,
    n_head: int,
    n_rest: int,
    like: tuple[int, ...],
    sr: int,
    at_s: float,
    crossfade_s: float,
    block: int,
) -> Iterator[np.ndarray]:
    """``crossfade_join(sum of heads, rest)`` a block at a time, each head being ``n_head`` rows
    (``fit_length``'s cut or zeros) read in order; ``rest`` None is ``n_rest`` rows of zeros."""
    at, fade = _crossfade_span(n_head, n_rest, sr=sr, at_s=at_s, crossfade_s=crossfade_s)
    t = (np.arange(fade) + 0.5) / fade
    fade_out, fade_in = np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)
    if like:
        fade_out, fade_in = fade_out[:, None], fade_in[:, None]
    n_out = at + n_rest
    head_end = at + fade  # heads are read up to here (zeros past n_head)
    for a0 in range(0, n_out, block):
        a1 = min(n_out, a0 + block)
        out = np.zeros((a1 - a0, *like), dtype=np.float32)
        h1 = min(a1, head_end)
        if h1 > a0:
            head = np.zeros((h1 - a0, *like), dtype=np.float32)
            n_read = max(0, min(h1, n_head) - a0)  # past n_head a head is zeros, as fit_length pads it
            for reader in heads:  # summed in order, as join_song sums the source's stems
                head[:n_read] += reader.read(n_read, like)
            b1 = min(h1, at)
            if b1 > a0:
                out[: b1 - a0] = head[: b1 - a0]
            f0 = max(a0, at)
            if h1 > f0:  # the crossfade
                i0, i1 = f0 - at, h1 - at
                tail = rest[i0:i1] if rest is not None else 0.0
                out[f0 - a0 : h1 - a0] = head[f0 - a0 : h1 - a0] * fade_out[i0:i1] + tail * fade_in[i0:i1]
        r0 = max(a0, head_end)
        if a1 > r0 and rest is not None:
            out[r0 - a0 :] = rest[r0 - at : a1 - at]
        yield out
    for reader in heads:
        reader.close()


class StreamedJoin:
    """A joined song kept as little as possible: the unmastered mix and its mastering gain in temporary files.

    Made by :func:`join_song_blocks`. Every track (``mix_blocks``, ``vocal_blocks``, ``band_blocks``,
    ``stem_blocks(name)``) is made again a block at a time when iterated, the source's part decoded from its
    stored file as it goes, so a twenty-minute song needs no more memory than a short one. The blocks, joined,
    are what :func:`join_song` returns for the same inputs. Call ``close()`` to remove the files.
    """

    def __init__(self, *, sr: int, at_s: float, skip: int, mix, curve, scale, plan: dict) -> None:
        self.sr, self.at_s, self.skip_s = sr, at_s, skip / sr
        self.n = len(mix)
        self.duration_s = self.n / sr
        self._mix, self._curve, self._scale, self._plan = mix, curve, scale, plan
        self.has_tracks = plan["tracks"] is not None
        self.stem_names: list[str] = list(plan["stems"])

    def _gain(self, a0: int, a1: int) -> tuple[np.ndarray, np.ndarray]:
        """The mastering gain of rows a0..a1-1: float64 (to master the mix) and float32 (the stems' curve)."""
        if self._scale is None:  # silence: nothing to master
            ones = np.ones(a1 - a0)
            return ones, ones.astype(np.float32)
        gain = self._curve[a0:a1].astype(np.float64) * self._scale
        return gain, gain.astype(np.float32)

    def mix_blocks(self, block: int = MASTER_BLOCK_SAMPLES) -> Iterator[np.ndarray]:
        """Yield the mastered mix, (k, 2) float32 blocks of ``block`` rows (the last may be shorter)."""
        for a0 in range(0, self.n, block):
            a1 = min(self.n, a0 + block)
            gain, _ = self._gain(a0, a1)
            yield (self._mix[a0:a1] * gain[:, None]).astype(np.float32)

    def _scaled(self, blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        a0 = 0
        for out in blocks:
            a1 = min(self.n, a0 + len(out))
            _, curve = self._gain(a0, a1)
            out = out[: a1 - a0]
            out *= curve if out.ndim == 1 else curve[:, None]
            a0 = a1
            yield out

    def _track(self, head: SourceBlocks | None, rest: np.ndarray | None, n_rest: int, like: tuple[int, ...]):
        plan = self._plan
        convert = _stereo if like else _mono
        heads = [_Rows(head(), convert)] if head is not None else []
        return self._scaled(
            _joined_blocks(
                heads,
                rest,
                n_head=plan["n_src"],
                n_rest=n_rest,
                like=like,
                sr=self.sr,
                at_s=self.at_s,
                crossfade_s=plan["crossfade_s"],
                block=plan["block"],
            )
        )

    def vocal_blocks(self) -> Iterator[np.ndarray]:
        """Yield the joined vocal, (k,) float32 blocks mastered with the mix's gain (only with ``has_tracks``)."""
        head, rest = self._plan["tracks"]["vocal"]
        return self._track(head, rest, len(rest), ())

    def band_blocks(self) -> Iterator[np.ndarray]:
        """Yield the joined band, (k, 2) float32 blocks mastered with the mix's gain (only with ``has_tracks``)."""
        head, rest = self._plan["tracks"]["band"]
        return self._track(head, rest, len(rest), (2,))

    def stem_blocks(self, name: str) -> Iterator[np.ndarray]:
        """Yield one joined per-instrument stem, (k, 2) float32 blocks mastered with the mix's gain."""
        head, rest = self._plan["stems"][name]
        return self._track(head, rest, self._plan["n_tail"] if rest is None else len(rest), (2,))

    def close(self) -> None:
        """Remove the temporary files."""
        self._mix.close()
        if self._curve is not None:
            self._curve.close()


def join_song_blocks(
    *,
    n_src: int,
    continuation_mix: np.ndarray,
    sr: int,
    at_s: float,
    source_mix: SourceBlocks | None = None,
    source_vocal: SourceBlocks | None = None,
    source_band: SourceBlocks | None = None,
    continuation_vocal: np.ndarray | None = None,
    continuation_band: np.ndarray | None = None,
    source_stems: Mapping[str, SourceBlocks] | None = None,
    continuation_stems: Mapping[str, np.ndarray] | None = None,
    skip_s: float = 0.0,
    crossfade_s: float = CROSSFADE_S,
    block: int = MASTER_BLOCK_SAMPLES,
    directory: str | None = None,
) -> StreamedJoin:
    """Join as :func:`join_song` does, with the source's tracks decoded a block at a time from their files.

    The joined mix (unmastered) and its mastering gain are written to temporary files; the mastering passes
    read them a block at a time, and every track of the result is made again, block by block, when it is
    read (see :class:`StreamedJoin`). The memory needed does not grow with the song's length.

    Parameters
    ----------
    n_src : int
        The source's length in samples (its decoded mix's); its tracks are cut or zero-padded to it.
    continuation_mix : np.ndarray [shape=(m,) or (m, 2)]
        The new music at ``sr`` Hz, its bars starting at 0.
    sr : int
        Sample rate of every track in Hz.
    at_s : float
        Where the continuation starts, in seconds of the source (clipped to its length).
    source_mix : callable or None
        Gives the source mix's decoded chunks, in order; read only when the stems are not both known.
    source_vocal : callable or None
        Gives the source's vocal stem's chunks; the vocal and band are joined only when both are given.
    source_band : callable or None
        Gives the source's band stem's chunks.
    continuation_vocal : np.ndarray [shape=(m,)] or None
        The continuation's vocal; None for an instrumental continuation (silence).
    continuation_band : np.ndarray [shape=(m, 2)] or None
        The continuation's band stem.
    source_stems : Mapping of str to callable or None
        For each of the source's per-instrument stems, what gives its decoded chunks.
    continuation_stems : Mapping of str to np.ndarray [shape=(m, 2)] or None
        The continuation's per-instrument stems.
    skip_s : float
        Seconds dropped from the continuation's start so its beat grid lands on the source's.
    crossfade_s : float
        Length of the crossfade in seconds.
    block : int
        Rows per block.
    directory : str or None
        Where the temporary files go (the system's temporary folder by default).

    Returns
    -------
    StreamedJoin
        The joined song: its length, where the new part starts, and its tracks as blocks.
    """
    source_stems = source_stems or {}
    continuation_stems = continuation_stems or {}
    with_stems = bool(source_stems) and bool(continuation_stems)
    at_s, skip = _join_point(at_s, skip_s, n_src=n_src, sr=sr)
    tail = _stereo(continuation_mix)[skip:]
    heads = [_Rows(load(), _stereo) for load in source_stems.values()] if with_stems else [_Rows(source_mix(), _stereo)]
    blocks = _joined_blocks(
        heads, tail, n_head=n_src, n_rest=len(tail), like=(2,), sr=sr, at_s=at_s, crossfade_s=crossfade_s, block=block
    )
    n = _crossfade_span(n_src, len(tail), sr=sr, at_s=at_s, crossfade_s=crossfade_s)[0] + len(tail)
    mix, curve, scale = _stored_mix_and_gain(blocks, n=n, sr=sr, directory=directory)
    tracks = None
    if _joins_tracks(source_vocal, source_band, continuation_band):
        tracks = {
            "vocal": (source_vocal, _continuation_vocal(continuation_vocal, len(continuation_mix))[skip:]),
            "band": (source_band, _stereo(continuation_band)[skip:]),
        }
    stems = _stem_plan(source_stems, continuation_stems, skip=skip) if with_stems else {}
    plan = {
        "n_src": n_src,
        "n_tail": len(tail),
        "crossfade_s": crossfade_s,
        "block": block,
        "tracks": tracks,
        "stems": stems,
    }
    return StreamedJoin(sr=sr, at_s=at_s, skip=skip, mix=mix, curve=curve, scale=scale, plan=plan)


def _stored_mix_and_gain(
    blocks: Iterator[np.ndarray], *, n: int, sr: int, directory: str | None
) -> tuple[RowFile, RowFile | None, float | None]:
    """The unmastered mix's ``n`` rows written to a temporary file, and its mastering gain: the per-sample curve
    in a second file and the scale (both None for silence). The files are removed when this fails."""
    mix = RowFile((n, 2), directory=directory)
    curve = scale = None
    try:
        a0 = 0
        for out in blocks:
            mix[a0 : a0 + len(out)] = out
            a0 += len(out)
        if _any_rows(mix):
            curve = RowFile((n,), fill=1.0, directory=directory)
            scale = master_gain(mix, curve, sr=sr)
    except BaseException:
        mix.close()
        if curve is not None:
            curve.close()
        raise
    return mix, curve, scale


def _stem_plan(
    source_stems: Mapping[str, SourceBlocks], continuation_stems: Mapping[str, np.ndarray], *, skip: int
) -> dict[str, tuple[SourceBlocks | None, np.ndarray | None]]:
    """For each joined stem: (what gives the source's chunks, the continuation's rows from ``skip``), None
    for the side that lacks it."""
    return {
        name: (
            source_stems.get(name),
            _stereo(continuation_stems[name])[skip:] if name in continuation_stems else None,
        )
        for name in _joined_stem_names(source_stems, continuation_stems)
    }


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
