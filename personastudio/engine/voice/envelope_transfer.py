"""Move a sung voice's spectral envelope toward the persona's own frames (a k-nearest-neighbour transfer).

The persona's clip is analysed once with WORLD: voiced frames' spectral envelopes, coded as
mel-cepstra (with their coded aperiodicity), are clustered into a small bank (a k-means codebook,
so it fits in the persona's record). A line the engine sings is analysed the same way; each voiced
frame is matched to its k nearest bank entries by its mean-normalised cepstrum (what is said,
roughly, not who says it), and its envelope is moved toward theirs; the frame level is half the
line's own, half the bank's phone-dependent level (shifted to the line's mean loudness). F0 is
kept. This is kNN-VC's idea (Baas et al., 2023) on WORLD envelopes instead of WavLM features.

Two ways to apply it (``METHOD``):

* ``"filter"`` (the default): the change of envelope, new / own per frame and frequency, is a
  time-varying filter on the line itself (an STFT, weighted overlap-add), averaged over
  ``GAIN_SMOOTH_FRAMES`` so that only what holds across phones moves. The neural voice's own
  excitation and phase stay, there is no vocoder (its round trip with no gain is exact), and it
  costs dio + CheapTrick only (no D4C, no synthesis).
* ``"world"``: envelopes replaced frame by frame, aperiodicity from the bank, WORLD resynthesis.

Measured (2026-12, Kokoro's speech through the chain, PocketSphinx WER on 8 Harvard sentences, and
the likeness report's L on a sung verse and chorus; us2 / de2): WORLD per frame 78 / 89 % WER, L
0.52 / 0.34; filter per frame 75 / 66 %, L 0.48 / 0.36; filter averaged over 0.2 s 45 % / see the
report, L 0.49. WORLD's own resynthesis of the stock voice alone cost 16 points of WER.

Earlier tuning (7 MBROLA reference voices, Resemblyzer likeness): most of what the speaker
embedding hears of these voices is not in the voiced envelope, so this transfer moves the
likeness by about +0.3 on average; k, bank size, matching order and global-variance scaling all
made < 0.02 difference.

No Django here: numpy, scipy and pyworld only.
"""

from __future__ import annotations

import numpy as np
import pyworld
from scipy import fft as sp_fft
from scipy.ndimage import uniform_filter1d

from ..dsp.audio_io import resample
from ..dsp.errors import ParameterError

TRANSFER_SR_HZ = 24000  # the neural voice's own rate
FRAME_PERIOD_MS = 5.0
F0_FLOOR_HZ = 60.0
F0_CEIL_HZ = 1100.0
CEPSTRUM_ORDER = 40  # coded envelope kept in the bank
MATCH_ORDER = 24  # cepstral coefficients MATCH_FIRST..MATCH_ORDER-1 used for matching
# c1 (the spectral tilt) is left out of the match: the neural voice's tilt varies about 6 times as
# much from frame to frame as a sung clip's (variance 3.4 against 0.5-0.6; the next coefficients
# alike), so with it the nearest frames were chosen by tilt rather than by phone. Measured
# (2026-12-07, the stock song moved toward three clips, L us1 / us2 / en1, us2's WER): from c1
# +0.14 / +0.54 / +0.43, 22 %; from c2 +0.22 / +0.55 / +0.44, 26 %. The bank's "match_mean" still
# holds c1.. (banks made before read the same).
MATCH_FIRST = 2
# A finer bank, more neighbours and the line's own level (the gains' smoothing: GAIN_SMOOTH_FRAMES).
# Measured on the stock voice's song moved toward three speakers' clips (2026-12-07; L as in the
# likeness report, us1 / us2 / en1, and PocketSphinx WER of us2's chain):
# 256 entries of 2000 frames, k 4, level 0.5, 41 frames: +0.05 / +0.46 / +0.38, WER 26 %;
# 1024 of 4000, k 16, level 0, 15 frames: +0.14 / +0.54 / +0.43, WER 22 % (9 frames: +0.17 / +0.57 /
# +0.45, WER 27 %; 1 frame: WER 47 %). The bank's level made every speaker less like (level 1: L
# -0.3 for us1); a finer bank found each phone a nearer frame of the clip.
BANK_SIZE = 1024  # codebook entries (40 cepstra + 3 aperiodicity bands each: ~44k floats)
NEIGHBOURS = 16
MIN_BANK_FRAMES = 200
MAX_BANK_FRAMES = 4000  # frames analysed and clustered (a random subset of the voiced ones; 30 s has ~5000)
KMEANS_ITERATIONS = 6
SMOOTH_FRAMES = 3  # moving average of the new envelopes within a voiced run
LEVEL_FROM_BANK = 0.0  # share of the frame level (c0) taken from the bank's matched entries
AP_DECIMATION = 2  # aperiodicity (D4C, the slowest analysis) on every 2nd frame, interpolated
METHOD = "filter"  # "filter": the envelope change as a time-varying filter on the line itself; "world": resynthesis
MAX_GAIN_DB = 24.0  # the filter's limit per bin
FORMANT_LIMIT_DB: float | None = None  # how far the filter may reshape the formant band about its mean
FORMANT_BAND_HZ = (250.0, 3800.0)
# The filter's gains are averaged over frames: what the bank's nearest frames get wrong about one
# phone (another vowel's formants) averages out. With the first, coarse bank (us2, de2; 2026-12):
# per frame WER 75 %, 41 frames 45 % with the same likeness. With the finer bank (2026-12-07, the
# stock voice; L on the stock song us1 / us2 / en1, PocketSphinx WER on the fit's and the report's
# 16 sentences; the stock voice alone 16 / 22 / 22 %): 15 frames +0.21 / +0.55 / +0.44, WER 26 / 28 /
# 31 %; 25 frames (125 ms) +0.16 / +0.50 / +0.39, WER 22 / 20 / 22 %; 41 frames +0.16 / +0.44 / +0.41,
# WER 20 / 19 / 21 %. 25 keeps the words of the stock voice and most of the likeness.
GAIN_SMOOTH_FRAMES = 25
STFT_WINDOW = 512
# dio analyses at 24 kHz / DIO_SPEED (stonemask then refines at the full rate): 2 takes half of dio's
# time, the analysis that costs most of a persona's transfer. Measured against 1 (2026-12-07): voiced
# frames agree on 98-99 % of frames, L of three speakers the same or +0.02, us2's WER 22 -> 23 %.
DIO_SPEED = 2
# The filter's analysis of a sung line (CheapTrick, coding, matching, decoding) on every ANALYSIS_STEP-th
# voiced frame of each voiced run (and its last), the log gains interpolated between: the gains are
# averaged over GAIN_SMOOTH_FRAMES (125 ms) anyway, and neighbouring 5 ms frames share most of
# CheapTrick's 3-period window. Its F0 is dio's without StoneMask's refinement (the voicing is the
# same; the F0 only sizes CheapTrick's window). Measured on the 8 lines of a 60 s song moved toward
# us2's bank (2026-12-07): the smoothed gains moved 0.2 dB rms (99th percentile 0.6 dB, max 1.4 dB)
# from every frame's with StoneMask, against 1.1 dB rms when the same lines start 2.5 ms later; the
# transfer's CPU time 0.94 -> 0.55 s for 33 s of lines. The persona's bank is still analysed on every
# frame, with StoneMask.
ANALYSIS_STEP = 2
REFINE_LINE_F0 = False


def _to_rate(samples: np.ndarray, sr: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    return np.ascontiguousarray(resample(x, sr_from=sr, sr_to=TRANSFER_SR_HZ))


def _from_rate(out: np.ndarray, sr: int, n: int) -> np.ndarray:
    out = resample(out, sr_from=TRANSFER_SR_HZ, sr_to=sr)[:n]
    return np.pad(out, (0, max(n - len(out), 0))).astype(np.float32)


def _f0(x: np.ndarray, *, refine: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """dio's F0 and frame times, refined by StoneMask when `refine` (the voicing is dio's either way)."""
    f0, t = pyworld.dio(
        x, TRANSFER_SR_HZ, frame_period=FRAME_PERIOD_MS, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, speed=DIO_SPEED
    )
    return (pyworld.stonemask(x, f0, t, TRANSFER_SR_HZ) if refine else f0), t


def _aperiodicity(x: np.ndarray, f0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """D4C on every AP_DECIMATION-th frame, linearly interpolated between (per frequency bin)."""
    if AP_DECIMATION <= 1 or len(f0) < 4:
        return pyworld.d4c(x, f0, t, TRANSFER_SR_HZ)
    idx = np.arange(0, len(f0), AP_DECIMATION)
    if idx[-1] != len(f0) - 1:
        idx = np.append(idx, len(f0) - 1)
    ap_s = pyworld.d4c(x, np.ascontiguousarray(f0[idx]), np.ascontiguousarray(t[idx]), TRANSFER_SR_HZ)
    pos = np.interp(np.arange(len(f0)), idx, np.arange(len(idx)))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(idx) - 1)
    w = (pos - lo)[:, None]
    ap = (1.0 - w) * ap_s[lo] + w * ap_s[hi]
    # A voicing change between two analysed frames: take the frame's own side (D4C gives 1 - eps unvoiced).
    unv = f0 <= 0
    ap[unv] = np.maximum(ap[unv], ap_s[np.where(w[:, 0] < 0.5, lo, hi)][unv])
    return np.ascontiguousarray(ap)


def _analyse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f0, t = _f0(x)
    sp = pyworld.cheaptrick(x, f0, t, TRANSFER_SR_HZ)
    ap = _aperiodicity(x, f0, t)
    return f0, sp, ap


def _code(sp: np.ndarray) -> np.ndarray:
    return pyworld.code_spectral_envelope(np.ascontiguousarray(sp), TRANSFER_SR_HZ, CEPSTRUM_ORDER)


def _fft_size() -> int:
    return pyworld.get_cheaptrick_fft_size(TRANSFER_SR_HZ)


def _kmeans(data: np.ndarray, size: int, *, iterations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain Lloyd's k-means from random distinct frames: (centroids, labels)."""
    rng = np.random.default_rng(seed)
    cent = data[rng.choice(len(data), size, replace=False)].copy()
    sq = (data**2).sum(1)
    labels = np.zeros(len(data), dtype=int)
    for it in range(iterations + 1):
        labels = (sq[:, None] - 2.0 * data @ cent.T + (cent**2).sum(1)[None, :]).argmin(1)
        if it == iterations:
            break
        counts = np.bincount(labels, minlength=size)
        sums = np.zeros_like(cent)
        np.add.at(sums, labels, data)
        filled = counts > 0
        cent[filled] = sums[filled] / counts[filled, None]
    return cent, labels


def build_bank(samples: np.ndarray, *, sr: int, seed: int = 0) -> dict | None:
    """The persona's envelope bank from its clip's voice: a JSON-able dict, or None if too little voice.

    ``{"cepstra": (n, CEPSTRUM_ORDER) list, "aperiodicity": (n, bands) list, "match_mean": (MATCH_ORDER - 1,) list}``
    ("match_mean": the mean of cepstra 1..MATCH_ORDER-1 over the clip's voiced frames)
    with n <= BANK_SIZE.
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    x = _to_rate(samples, sr)
    if len(x) < TRANSFER_SR_HZ:
        return None
    f0, t = _f0(x)
    voiced = np.flatnonzero(f0 > 0)
    if len(voiced) < MIN_BANK_FRAMES:
        return None
    rng = np.random.default_rng(seed)
    if len(voiced) > MAX_BANK_FRAMES:
        voiced = np.sort(rng.choice(voiced, MAX_BANK_FRAMES, replace=False))
    f0v, tv = np.ascontiguousarray(f0[voiced]), np.ascontiguousarray(t[voiced])
    cepstra = _code(pyworld.cheaptrick(x, f0v, tv, TRANSFER_SR_HZ))
    coded_ap = pyworld.code_aperiodicity(np.ascontiguousarray(pyworld.d4c(x, f0v, tv, TRANSFER_SR_HZ)), TRANSFER_SR_HZ)
    size = min(BANK_SIZE, len(cepstra) // 4)
    centroids, labels = _kmeans(cepstra, size, iterations=KMEANS_ITERATIONS, seed=seed)
    counts = np.bincount(labels, minlength=size)
    ap_means = (
        np.stack(
            [np.bincount(labels, weights=coded_ap[:, j], minlength=size) for j in range(coded_ap.shape[1])], axis=1
        )
        / np.maximum(counts, 1)[:, None]
    )
    used = counts > 0
    match_mean = cepstra[:, 1:MATCH_ORDER].mean(axis=0)
    return {
        "cepstra": np.round(centroids[used], 5).tolist(),
        "aperiodicity": np.round(ap_means[used], 4).tolist(),
        "match_mean": np.round(match_mean, 5).tolist(),
    }


def _smooth_runs(values: np.ndarray, voiced: np.ndarray, width: int) -> np.ndarray:
    """`values` (one row per voiced frame) averaged over `width` frames inside each voiced run."""
    if width <= 1:
        return values
    full = np.zeros((len(voiced), values.shape[1]))
    full[voiced] = values
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        full[a:b] = uniform_filter1d(full[a:b], min(width, b - a), axis=0, mode="nearest")
    return full[voiced]


def _matched_cepstra(f0: np.ndarray, sp: np.ndarray, bank: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(voiced mask, own coded cepstra, the bank's k-nearest mean per voiced frame, the neighbours' indices)."""
    voiced = f0 > 0
    own_cep = _code(sp[voiced])
    new_cep, nearest = _match(own_cep, bank, voiced, SMOOTH_FRAMES)
    return voiced, own_cep, new_cep, nearest


def _match(own_cep: np.ndarray, bank: dict, runs: np.ndarray, smooth: int) -> tuple[np.ndarray, np.ndarray]:
    """(the bank's k-nearest mean per row of `own_cep`, the neighbours' indices).

    `runs` is a mask whose True entries are the rows, in order (False between voiced runs): the means
    are averaged over `smooth` rows within each run.
    """
    bank_cep = np.asarray(bank["cepstra"], dtype=np.float64)
    bank_match = (
        bank_cep[:, MATCH_FIRST:MATCH_ORDER] - np.asarray(bank["match_mean"], dtype=np.float64)[MATCH_FIRST - 1 :]
    )
    own_match = own_cep[:, MATCH_FIRST:MATCH_ORDER] - own_cep[:, MATCH_FIRST:MATCH_ORDER].mean(axis=0)
    dist = (own_match**2).sum(1)[:, None] - 2.0 * own_match @ bank_match.T + (bank_match**2).sum(1)[None, :]
    k = min(NEIGHBOURS, len(bank_cep))
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    new_cep = _smooth_runs(bank_cep[nearest].mean(axis=1), runs, smooth)
    # Level: the line's own, plus a share of the bank's phone-dependent level at the line's mean loudness.
    bank_level = new_cep[:, 0] - new_cep[:, 0].mean() + own_cep[:, 0].mean()
    new_cep[:, 0] = (1.0 - LEVEL_FROM_BANK) * own_cep[:, 0] + LEVEL_FROM_BANK * bank_level
    return new_cep, nearest


def _analysis_frames(voiced: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames to analyse: every `step`-th of each voiced run from its first, and its last; their runs mask).

    The runs mask (for ``_smooth_runs``) holds one True per analysed frame, in order, and one False
    after each run.
    """
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(np.int8), 0]))
    picked, mask = [], []
    for a, b in zip(edges[::2], edges[1::2]):
        idx = np.arange(a, b, max(1, step))
        if idx[-1] != b - 1:
            idx = np.append(idx, b - 1)
        picked.append(idx)
        mask.append(np.r_[np.ones(len(idx), dtype=bool), False])
    return np.concatenate(picked), np.concatenate(mask)


def _line_log_gain(y: np.ndarray, bank: dict, amount: float) -> np.ndarray | None:
    """The filter's log-amplitude gains (frames, bins) for line `y` at TRANSFER_SR_HZ before ``_limit_gain``;
    None when nothing in it is voiced. Analysed on ``_analysis_frames`` (ANALYSIS_STEP), interpolated
    between them (a linear step in the log gain is one in the cepstra: decoding is exp of a linear map).
    """
    f0, t = _f0(y, refine=REFINE_LINE_F0)
    voiced = f0 > 0
    if not voiced.any():
        return None
    picked, runs = _analysis_frames(voiced, ANALYSIS_STEP)
    sp = pyworld.cheaptrick(y, np.ascontiguousarray(f0[picked]), np.ascontiguousarray(t[picked]), TRANSFER_SR_HZ)
    own_cep = _code(sp)
    new_cep, _nearest = _match(own_cep, bank, runs, max(1, int(round(SMOOTH_FRAMES / max(1, ANALYSIS_STEP)))) | 1)
    diff = amount * (new_cep - own_cep)
    # decode(c) = exp(A c) for the (linear) mel-cepstrum A: decode(new - own) is new / own.
    ratio = pyworld.decode_spectral_envelope(np.ascontiguousarray(diff), TRANSFER_SR_HZ, _fft_size())
    at_picked = 0.5 * np.log(np.maximum(ratio, 1e-12))  # power -> amplitude
    log_gain = np.zeros((len(f0), at_picked.shape[1]))
    frames = np.flatnonzero(voiced)
    # Each run's first and last frames are analysed, so every voiced frame lies between two of its own run.
    pos = np.interp(frames, picked, np.arange(len(picked)))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(picked) - 1)
    w = (pos - lo)[:, None]
    log_gain[frames] = (1.0 - w) * at_picked[lo] + w * at_picked[hi]
    return log_gain


def transfer(
    samples: np.ndarray, *, sr: int, bank: dict | None, amount: float = 1.0, method: str | None = None
) -> np.ndarray:
    """Sing `samples` (mono, at `sr`) with the bank's envelopes; returns float32 at `sr`, same length.

    `amount` (0..1) blends the log envelopes (and aperiodicity): 0 leaves the line as it is (not even
    resynthesised). `method` ("filter" | "world", default METHOD): see the module docstring.
    """
    x = np.asarray(samples, dtype=np.float32)
    if bank is None or amount <= 0.0 or len(x) < sr // 20:
        return x
    amount = min(float(amount), 1.0)
    method = method or METHOD
    y = _to_rate(x, sr)
    if method == "filter":
        log_gain = _line_log_gain(y, bank, amount)
        if log_gain is None:
            return x
        return _from_rate(_stft_filter(y, _limit_gain(log_gain)), sr, len(x))
    f0, sp, ap = _analyse(y)
    if (f0 > 0).any():
        voiced, own_cep, new_cep, nearest = _matched_cepstra(f0, sp, bank)
        blended = (1.0 - amount) * own_cep + amount * new_cep
        sp = sp.copy()
        sp[voiced] = pyworld.decode_spectral_envelope(np.ascontiguousarray(blended), TRANSFER_SR_HZ, _fft_size())
        bank_ap = bank.get("aperiodicity")
        if bank_ap is not None and len(bank_ap) == len(bank["cepstra"]):
            new_ap = np.asarray(bank_ap, dtype=np.float64)[nearest].mean(axis=1)
            own_ap = pyworld.code_aperiodicity(np.ascontiguousarray(ap[voiced]), TRANSFER_SR_HZ)
            if new_ap.shape[1] == own_ap.shape[1]:
                mixed = (1.0 - amount) * own_ap + amount * new_ap
                ap = ap.copy()
                ap[voiced] = pyworld.decode_aperiodicity(np.ascontiguousarray(mixed), TRANSFER_SR_HZ, _fft_size())
    out = pyworld.synthesize(
        np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(ap), TRANSFER_SR_HZ, FRAME_PERIOD_MS
    )
    return _from_rate(out, sr, len(x))


def _limit_gain(log_gain: np.ndarray) -> np.ndarray:
    """The filter's log-amplitude gains (frames, bins), limited and smoothed over frames (voicing edges)."""
    lim = MAX_GAIN_DB / 20.0 * np.log(10.0)
    log_gain = np.clip(log_gain, -lim, lim)
    if FORMANT_LIMIT_DB is not None:
        freqs = np.linspace(0.0, TRANSFER_SR_HZ / 2.0, log_gain.shape[1])
        band = (freqs >= FORMANT_BAND_HZ[0]) & (freqs <= FORMANT_BAND_HZ[1])
        flim = FORMANT_LIMIT_DB / 20.0 * np.log(10.0)
        # Within the formant band the gain may only move the envelope by so much about its frame mean
        # (a tilt or level change passes, a formant moved to another vowel's place does not).
        centre = log_gain[:, band].mean(axis=1, keepdims=True)
        log_gain[:, band] = centre + np.clip(log_gain[:, band] - centre, -flim, flim)
    return (
        uniform_filter1d(log_gain, GAIN_SMOOTH_FRAMES, axis=0, mode="nearest") if GAIN_SMOOTH_FRAMES > 1 else log_gain
    )


def _stft_filter(y: np.ndarray, log_gain: np.ndarray | None) -> np.ndarray:
    """`y` filtered frame by frame: frame i (centred on i * hop) scaled by exp(log_gain[i]) per bin.

    Weighted overlap-add with a sqrt-Hann window on both sides; with no gain it gives `y` back
    (to float32 rounding: the transforms run in float32, the overlap-add in float64). The gains
    come from smooth envelopes, so their impulse responses are short and a 21 ms window with a
    43 ms FFT holds them without wrap-around.
    """
    n_fft = _fft_size()
    hop = int(round(TRANSFER_SR_HZ * FRAME_PERIOD_MS / 1000.0))
    win_len = STFT_WINDOW
    win = np.sqrt(np.hanning(win_len + 2)[1:-1])
    n = len(y)
    n_frames = n // hop + 1
    half = win_len // 2
    padded = np.pad(np.asarray(y, dtype=np.float32), (half, half + hop + win_len))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win_len)[::hop][:n_frames] * win.astype(np.float32)
    spec = sp_fft.rfft(frames, n=n_fft, axis=1)
    if log_gain is not None:
        g = log_gain
        if len(g) < n_frames:
            g = np.pad(g, ((0, n_frames - len(g)), (0, 0)), mode="edge")
        spec *= np.exp(g[:n_frames].astype(np.float32))
    frames = (
        sp_fft.irfft(spec, n=n_fft, axis=1)[:, :win_len] * win
    )  # synthesis window (a short tail past it is dropped)
    # Overlap-add: frame k starts at k * hop; cut every frame into `parts` hop-long pieces and add
    # piece m of all frames at once, `m` blocks later.
    parts = -(-win_len // hop)
    pieces = np.zeros((n_frames, parts * hop))
    pieces[:, :win_len] = frames
    pieces = pieces.reshape(n_frames, parts, hop)
    wins = np.zeros(parts * hop)
    wins[:win_len] = win * win
    wins = wins.reshape(parts, hop)
    out = np.zeros((n_frames + parts, hop))
    norm = np.zeros((n_frames + parts, hop))
    for m in range(parts):
        out[m : m + n_frames] += pieces[:, m]
        norm[m : m + n_frames] += wins[m]
    out, norm = out.ravel(), norm.ravel()
    norm = np.where(norm > 1e-6, norm, 1.0)
    return (out / norm)[half : half + n]


def resynthesise(samples: np.ndarray, *, sr: int, method: str | None = None) -> np.ndarray:
    """The same chain with no persona data: its own sound, for the stock row (the filter's is its STFT round trip)."""
    x = np.asarray(samples, dtype=np.float32)
    y = _to_rate(x, sr)
    if (method or METHOD) == "filter":
        return _from_rate(_stft_filter(y, None), sr, len(x))
    f0, sp, ap = _analyse(y)
    out = pyworld.synthesize(f0, sp, ap, TRANSFER_SR_HZ, FRAME_PERIOD_MS)
    return _from_rate(out, sr, len(x))
