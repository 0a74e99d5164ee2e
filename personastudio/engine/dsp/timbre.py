"""A voice's long-term spectral envelope, and the static EQ that moves one voice's toward another's.

A persona's fit measures the clip's average spectral envelope over its voiced frames (WORLD's
CheapTrick, which follows the vocal tract rather than the harmonics, so the figure hardly moves
with pitch) and the same for the singing voice; the difference, smoothed and limited, is a gain
per band that the engine applies to everything the persona sings.

No Django here: numpy, scipy and pyworld only.
"""

from __future__ import annotations

import numpy as np
import pyworld

from .audio_io import resample
from .errors import ParameterError

ENVELOPE_SR_HZ = 16000  # the speaker embedding's rate: what lies above 8 kHz does not count
ENVELOPE_FRAME_MS = 10.0
N_EQ_BANDS = 24
EQ_LOW_HZ = 80.0
EQ_MAX_DB = 12.0  # a larger correction sounds like a telephone, not like a person
MIN_VOICED_FRAMES = 20


def eq_band_centres_hz(
    *, n_bands: int = N_EQ_BANDS, low_hz: float = EQ_LOW_HZ, high_hz: float = ENVELOPE_SR_HZ / 2 * 0.95
) -> np.ndarray:
    """Space EQ band centres evenly on the mel scale.

    Parameters
    ----------
    n_bands : int
        Number of bands.
    low_hz : float
        Centre of the lowest band in Hz.
    high_hz : float
        Centre of the highest band in Hz (default just under the envelope rate's Nyquist).

    Returns
    -------
    np.ndarray [shape=(n_bands,)]
        Centre frequencies in Hz, ascending.
    """
    mel = np.linspace(_hz_to_mel(low_hz), _hz_to_mel(high_hz), n_bands)
    return _mel_to_hz(mel)


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=float) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=float) / 2595.0) - 1.0)


def _to_envelope_rate(samples: np.ndarray, *, sr: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    return np.ascontiguousarray(resample(x, sr_from=sr, sr_to=ENVELOPE_SR_HZ))


def long_term_envelope_db(samples: np.ndarray, *, sr: int, n_bands: int = N_EQ_BANDS) -> np.ndarray | None:
    """Measure the mean spectral envelope of the voiced frames (WORLD CheapTrick), per mel band.

    Levels are relative (the mean over bands is 0 dB), so loudness does not count.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        A voice at ``sr`` Hz; stereo is averaged to mono.
    sr : int
        Sample rate in Hz (> 0).
    n_bands : int
        Number of mel bands (centres from :func:`eq_band_centres_hz`).

    Returns
    -------
    np.ndarray [shape=(n_bands,)] or None
        Level per band in dB, mean 0; None for under 0.1 s or fewer than MIN_VOICED_FRAMES voiced frames.

    Raises
    ------
    ParameterError
        When ``sr`` is not positive.
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    x = _to_envelope_rate(samples, sr=sr)
    if len(x) < ENVELOPE_SR_HZ // 10:
        return None
    f0, t = pyworld.dio(x, ENVELOPE_SR_HZ, frame_period=ENVELOPE_FRAME_MS, f0_floor=60.0, f0_ceil=1100.0)
    f0 = pyworld.stonemask(x, f0, t, ENVELOPE_SR_HZ)
    voiced = f0 > 0
    if int(voiced.sum()) < MIN_VOICED_FRAMES:
        return None
    sp = pyworld.cheaptrick(x, f0, t, ENVELOPE_SR_HZ)[voiced]
    # Loud frames count as much as soft ones: average the shapes, not the powers.
    sp_db = 10.0 * np.log10(sp + 1e-20)
    sp_db -= sp_db.mean(axis=1, keepdims=True)
    mean_db = sp_db.mean(axis=0)
    freqs = np.linspace(0.0, ENVELOPE_SR_HZ / 2.0, len(mean_db))
    bands = np.interp(eq_band_centres_hz(n_bands=n_bands), freqs, mean_db)
    return bands - bands.mean()


def matching_eq_db(*, target_db: np.ndarray, source_db: np.ndarray, max_db: float = EQ_MAX_DB) -> np.ndarray:
    """Find the gain per band that moves ``source_db``'s envelope toward ``target_db``'s.

    Neighbouring bands are smoothed together (a 1-2-1 kernel) so no single band rings, and the mean gain
    is removed (level is the mix's business, not the EQ's).

    Parameters
    ----------
    target_db : np.ndarray [shape=(n_bands,)]
        The envelope to match, dB per band (from :func:`long_term_envelope_db`).
    source_db : np.ndarray [shape=(n_bands,)]
        The envelope to change, dB per band.
    max_db : float
        Largest boost or cut in dB.

    Returns
    -------
    np.ndarray [shape=(n_bands,)]
        Gain per band in dB, within +-``max_db``.

    Raises
    ------
    ParameterError
        When the two envelopes are not 1-D arrays of the same length.
    """
    target_db = np.asarray(target_db, dtype=float)
    source_db = np.asarray(source_db, dtype=float)
    if target_db.shape != source_db.shape or target_db.ndim != 1:
        raise ParameterError("target_db and source_db must be 1-D arrays of the same length")
    diff = target_db - source_db
    padded = np.pad(diff, 1, mode="edge")
    smooth = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
    smooth -= smooth.mean()  # level is the mix's business, not the EQ's
    return np.clip(smooth, -max_db, max_db)


def apply_eq_db(samples: np.ndarray, *, sr: int, eq_db: np.ndarray | None, amount: float = 1.0) -> np.ndarray:
    """Filter a mono signal by per-band gains (zero phase, one FFT).

    Below the first band the first band's gain holds; above the last (up to Nyquist) the last's.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz.
    sr : int
        Sample rate in Hz.
    eq_db : np.ndarray [shape=(n_bands,)] or None
        Gain per band in dB at :func:`eq_band_centres_hz` centres; None (or all zeros) for no filtering.
    amount : float
        Scale of the gains (0 leaves the audio as it is, 1 applies them fully).

    Returns
    -------
    np.ndarray [shape=(n,)]
        float32 at ``sr`` Hz.
    """
    x = np.asarray(samples, dtype=np.float32)
    if eq_db is None or not len(x) or amount == 0.0 or not np.any(eq_db):
        return x  # a persona fitted with an envelope bank has a flat EQ: no FFT round trip for nothing
    eq_db = np.asarray(eq_db, dtype=float) * float(amount)
    n_fft = 1 << int(np.ceil(np.log2(len(x) + 1)))
    spectrum = np.fft.rfft(x, n=n_fft)
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    centres = eq_band_centres_hz(n_bands=len(eq_db))
    gain_db = np.interp(_hz_to_mel(freqs), _hz_to_mel(centres), eq_db)
    y = np.fft.irfft(spectrum * (10.0 ** (gain_db / 20.0)), n=n_fft)[: len(x)]
    return y.astype(np.float32)
