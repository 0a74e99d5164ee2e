"""Move a sung voice's spectral envelope toward the persona's own frames (a k-nearest-neighbour transfer).

The persona's clip is analysed once with WORLD: every voiced frame's spectral envelope, coded as a
mel-cepstrum, goes into a small bank (a k-means codebook, so it fits in the persona's record). A
line the engine sings is analysed the same way; each voiced frame is matched to its k nearest
bank frames by its mean-normalised cepstrum (what is said, roughly, not who says it), and its
envelope is replaced by theirs, keeping its own loudness, F0 and aperiodicity. WORLD then
resynthesises it. This is kNN-VC's idea (Baas et al., 2023) on WORLD envelopes instead of WavLM
features: modest, and measured in the likeness report.

No Django here: numpy, scipy and pyworld only.
"""

from __future__ import annotations

import numpy as np
import pyworld
from scipy.cluster.vq import kmeans2
from scipy.signal import resample_poly

from ..dsp.errors import ParameterError

TRANSFER_SR_HZ = 24000  # the neural voice's own rate
FRAME_PERIOD_MS = 5.0
CEPSTRUM_ORDER = 40  # coded envelope kept in the bank
MATCH_ORDER = 24  # cepstral coefficients 1..MATCH_ORDER-1 used for matching
BANK_SIZE = 512
NEIGHBOURS = 4
MIN_BANK_FRAMES = 200


def _to_rate(samples: np.ndarray, sr: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != TRANSFER_SR_HZ:
        g = np.gcd(int(sr), TRANSFER_SR_HZ)
        x = resample_poly(x, TRANSFER_SR_HZ // g, int(sr) // g)
    return np.ascontiguousarray(x)


def _analyse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f0, t = pyworld.dio(x, TRANSFER_SR_HZ, frame_period=FRAME_PERIOD_MS, f0_floor=60.0, f0_ceil=1100.0)
    f0 = pyworld.stonemask(x, f0, t, TRANSFER_SR_HZ)
    sp = pyworld.cheaptrick(x, f0, t, TRANSFER_SR_HZ)
    ap = pyworld.d4c(x, f0, t, TRANSFER_SR_HZ)
    return f0, sp, ap


def _code(sp: np.ndarray) -> np.ndarray:
    return pyworld.code_spectral_envelope(np.ascontiguousarray(sp), TRANSFER_SR_HZ, CEPSTRUM_ORDER)


def _fft_size() -> int:
    return pyworld.get_cheaptrick_fft_size(TRANSFER_SR_HZ)


def build_bank(samples: np.ndarray, *, sr: int, seed: int = 0) -> dict | None:
    """The persona's envelope bank from its clip's voice: a JSON-able dict, or None if too little voice.

    ``{"cepstra": (BANK_SIZE, CEPSTRUM_ORDER) list, "match_mean": (MATCH_ORDER - 1,) list}``
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    x = _to_rate(samples, sr)
    if len(x) < TRANSFER_SR_HZ:
        return None
    f0, sp, _ap = _analyse(x)
    voiced = f0 > 0
    if int(voiced.sum()) < MIN_BANK_FRAMES:
        return None
    cepstra = _code(sp[voiced])
    size = min(BANK_SIZE, len(cepstra) // 4)
    centroids, _labels = kmeans2(cepstra, size, seed=seed, minit="++")
    match_mean = cepstra[:, 1:MATCH_ORDER].mean(axis=0)
    return {"cepstra": np.round(centroids, 5).tolist(), "match_mean": np.round(match_mean, 5).tolist()}


def transfer(samples: np.ndarray, *, sr: int, bank: dict | None, amount: float = 1.0) -> np.ndarray:
    """Sing `samples` (mono, at `sr`) with the bank's envelopes; returns float32 at `sr`, same length.

    `amount` (0..1) blends the log envelopes: 0 leaves the line as it is (not even resynthesised).
    """
    x = np.asarray(samples, dtype=np.float32)
    if bank is None or amount <= 0.0 or len(x) < sr // 20:
        return x
    y = _to_rate(x, sr)
    f0, sp, ap = _analyse(y)
    voiced = f0 > 0
    if voiced.any():
        bank_cep = np.asarray(bank["cepstra"], dtype=np.float64)
        bank_match = bank_cep[:, 1:MATCH_ORDER] - np.asarray(bank["match_mean"], dtype=np.float64)
        own_cep = _code(sp[voiced])
        own_match = own_cep[:, 1:MATCH_ORDER] - own_cep[:, 1:MATCH_ORDER].mean(axis=0)
        dist = ((own_match ** 2).sum(1)[:, None] - 2.0 * own_match @ bank_match.T
                + (bank_match ** 2).sum(1)[None, :])
        k = min(NEIGHBOURS, len(bank_cep))
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        new_cep = bank_cep[nearest].mean(axis=1)
        new_cep[:, 0] = own_cep[:, 0]  # the line keeps its own loudness
        blended = (1.0 - amount) * own_cep + amount * new_cep
        sp = sp.copy()
        sp[voiced] = pyworld.decode_spectral_envelope(np.ascontiguousarray(blended), TRANSFER_SR_HZ, _fft_size())
    out = pyworld.synthesize(np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(ap),
                             TRANSFER_SR_HZ, FRAME_PERIOD_MS)
    if sr != TRANSFER_SR_HZ:
        g = np.gcd(int(sr), TRANSFER_SR_HZ)
        out = resample_poly(out, int(sr) // g, TRANSFER_SR_HZ // g)
    out = out[: len(x)]
    if len(out) < len(x):
        out = np.pad(out, (0, len(x) - len(out)))
    return out.astype(np.float32)


def resynthesise(samples: np.ndarray, *, sr: int) -> np.ndarray:
    """The same WORLD analysis and synthesis with no persona data: the chain's own sound, for the stock row."""
    x = np.asarray(samples, dtype=np.float32)
    y = _to_rate(x, sr)
    f0, sp, ap = _analyse(y)
    out = pyworld.synthesize(f0, sp, ap, TRANSFER_SR_HZ, FRAME_PERIOD_MS)
    if sr != TRANSFER_SR_HZ:
        g = np.gcd(int(sr), TRANSFER_SR_HZ)
        out = resample_poly(out, int(sr) // g, TRANSFER_SR_HZ // g)
    out = out[: len(x)]
    return np.pad(out, (0, max(len(x) - len(out), 0))).astype(np.float32)
