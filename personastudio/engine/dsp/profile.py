"""What a voice is like, measured from a clip: how much of it sings, where, with what vibrato.

Timbre: on up to 200 voiced frames, CheapTrick gives the spectral envelope and
D4C the aperiodicity. ``breathiness`` is the mean aperiodicity below 4 kHz.
``formant_ratio`` is the frequency scaling that best maps the built-in voice's
long-term envelope (eSpeak NG speaking a reference sentence, same register,
measured the same way) onto the clip's: both mean log envelopes, tilt removed,
correlated over 300-4500 Hz for ratios 0.80-1.25. It is what the singing voice
(voice.py) should warp its envelope by to sound like the clip; rough, as the
two long-term spectra hold different vowels and sources.

Pitch comes from WORLD (pyworld: DIO refined by StoneMask) at 16 kHz, which is
fast enough for a ten-minute clip. A frame counts as voiced only when DIO finds
a pitch, the frame is loud enough, and the signal really repeats at that pitch
(normalised autocorrelation), so noise and silence measure as ~0 s voiced.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pyworld

from .audio_io import resample
from .errors import ParameterError

# Re-exported: the profile as data and pitch names live in pitch.py, which the web pages import without numpy.
from .pitch import NOTE_NAMES, VoiceProfile, hz_to_midi, hz_to_note_name, midi_to_hz, note_name_range  # noqa: F401

PROFILE_SR_HZ = 16000
FRAME_PERIOD_MS = 10.0
F0_FLOOR_HZ, F0_CEIL_HZ = 65.0, 1100.0
# dio analyses at 16 kHz / DIO_SPEED (8 kHz, still 7 times the F0 ceiling; stonemask then refines at 16 kHz):
# the reference voices' profiles came out the same (median, range and vibrato rate to 0.01 Hz, voiced
# seconds to 0.02 s) in 20-30 % less time than at speed 1.
DIO_SPEED = 2
MIN_SAMPLES_S = 0.1  # shorter audio has no profile


def voice_profile(samples: np.ndarray, *, sr: int) -> VoiceProfile:
    """Measure the voice in a clip: how much of it sings, its range, vibrato and timbre (see module docstring).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz (any other shape is flattened).
    sr : int
        Sample rate in Hz (> 0); the audio is resampled to ``PROFILE_SR_HZ`` for analysis.

    Returns
    -------
    VoiceProfile
        Voiced seconds, median/low/high F0 in Hz, vibrato, pitch histogram, formant ratio, breathiness,
        register; an empty profile (``voiced_s`` 0) for under 0.1 s, silence or nothing voiced.

    Raises
    ------
    ParameterError
        When ``sr`` is not positive.
    """
    analysed = _analysed_f0(samples, sr=sr)
    if analysed is None:
        return VoiceProfile()
    x, f0 = analysed
    voiced = f0[f0 > 0]
    if len(voiced) == 0:
        return VoiceProfile()
    midi = 69.0 + 12.0 * np.log2(voiced / 440.0)
    notes, counts = np.unique(np.round(midi).astype(int), return_counts=True)
    rate, depth = _vibrato(f0)
    formant_ratio, breathiness, register = _timbre(x, f0)
    return VoiceProfile(
        voiced_s=_voiced_s(f0),
        median_hz=round(float(np.median(voiced)), 2),
        low_hz=round(float(np.percentile(voiced, 5)), 2),
        high_hz=round(float(np.percentile(voiced, 95)), 2),
        vibrato_rate_hz=round(rate, 2),
        vibrato_depth_cents=round(depth, 1),
        histogram={str(n): int(c) for n, c in zip(notes, counts)},
        formant_ratio=formant_ratio,
        breathiness=breathiness,
        register=register,
    )


def voiced_seconds(samples: np.ndarray, *, sr: int) -> float:
    """Measure how long the voice in a clip is clearly voiced, without the rest of the profile.

    The same figure as ``voice_profile(samples, sr=sr).voiced_s``, without its timbre and vibrato.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz (any other shape is flattened).
    sr : int
        Sample rate in Hz (> 0).

    Returns
    -------
    float
        Voiced seconds, to 0.01 s; 0 for under 0.1 s or silence.

    Raises
    ------
    ParameterError
        When ``sr`` is not positive.
    """
    analysed = _analysed_f0(samples, sr=sr)
    return 0.0 if analysed is None else _voiced_s(analysed[1])


def _analysed_f0(samples: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The audio at PROFILE_SR_HZ and its voiced F0, or None for under MIN_SAMPLES_S or silence."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if sr <= 0:
        raise ParameterError("sr must be positive")
    if len(samples) < sr * MIN_SAMPLES_S or not np.any(samples):
        return None
    x = _to_analysis_rate(samples, sr=sr)
    return x, voiced_f0(x, sr=PROFILE_SR_HZ)


def _voiced_s(f0: np.ndarray) -> float:
    """Seconds of voiced frames (F0 > 0), to 0.01 s."""
    return round(int(np.count_nonzero(f0)) * FRAME_PERIOD_MS / 1000.0, 2)


def _to_analysis_rate(samples: np.ndarray, *, sr: int) -> np.ndarray:
    return resample(samples, sr_from=sr, sr_to=PROFILE_SR_HZ)


def voiced_f0(samples: np.ndarray, *, sr: int) -> np.ndarray:
    """Track F0 where the voice is clearly voiced, at the profile's frame rate.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` Hz.
    sr : int
        Sample rate in Hz; the audio is resampled to ``PROFILE_SR_HZ`` first when it differs.

    Returns
    -------
    np.ndarray [shape=(frames,)]
        F0 in Hz per ``FRAME_PERIOD_MS`` frame, 0 where the frame is quiet, unpitched or aperiodic.
    """
    x = np.ascontiguousarray(_to_analysis_rate(samples, sr=sr), dtype=np.float64)
    f0, times = pyworld.dio(
        x, PROFILE_SR_HZ, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=FRAME_PERIOD_MS, speed=DIO_SPEED
    )
    f0 = pyworld.stonemask(x, f0, times, PROFILE_SR_HZ)
    centres = np.round(times * PROFILE_SR_HZ).astype(int)
    rms = _frame_rms(x, centres, half=int(0.015 * PROFILE_SR_HZ))
    loud = rms > max(10 ** (-50 / 20), rms.max() * 10 ** (-35 / 20))
    periodic = _periodicity(x, centres, f0) > 0.6
    return np.where((f0 > 0) & loud & periodic, f0, 0.0)


def _windows(x: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    padded = np.pad(x, (half, half))
    idx = centres[:, None] + np.arange(2 * half)[None, :]
    return padded[np.clip(idx, 0, len(padded) - 1)]


# Frames analysed at once: a window matrix of a whole long song is hundreds of MB (issue 15's ceiling).
CHUNK_FRAMES = 2048


def _frame_rms(x: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    return np.concatenate(
        [
            np.sqrt(np.mean(_windows(x, centres[i : i + CHUNK_FRAMES], half) ** 2, axis=1))
            for i in range(0, len(centres), CHUNK_FRAMES)
        ]
        or [np.zeros(0)]
    )


def _periodicity(x: np.ndarray, centres: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation at the pitch period, per frame (1 = perfectly periodic)."""
    out = np.zeros(len(f0))
    has = np.flatnonzero(f0 > 0)
    for i in range(0, len(has), CHUNK_FRAMES):
        chunk = has[i : i + CHUNK_FRAMES]
        out[chunk] = _periodicity_of(x, centres[chunk], f0[chunk])
    return out


def _periodicity_of(x: np.ndarray, centres: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """_periodicity for frames that all have an F0."""
    half = int(0.02 * PROFILE_SR_HZ)
    lags = np.round(PROFILE_SR_HZ / f0).astype(int)
    windows = _windows(x, centres, half + int(PROFILE_SR_HZ / F0_FLOOR_HZ) + 1)
    n = 2 * half
    base = windows[:, :n]
    rows = np.arange(len(f0))[:, None]
    shifted = windows[rows, lags[:, None] + np.arange(n)[None, :]]
    num = np.sum(base * shifted, axis=1)
    den = np.sqrt(np.sum(base**2, axis=1) * np.sum(shifted**2, axis=1)) + 1e-12
    return num / den


def _vibrato(f0: np.ndarray) -> tuple[float, float]:
    """Rate and depth of the pitch wobble in voiced runs of at least 0.6 s."""
    frame_rate = 1000.0 / FRAME_PERIOD_MS
    rates, depths = [], []
    voiced = f0 > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(int), [0]])))
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start < 60:
            continue
        cents = 1200 * np.log2(f0[start:end] / np.median(f0[start:end]))
        trend = np.convolve(cents, np.ones(25) / 25, mode="same")  # removes note changes slower than 4 Hz
        wobble = (cents - trend)[12:-12]
        if len(wobble) < 32:
            continue
        spectrum = np.abs(np.fft.rfft(wobble * np.hanning(len(wobble)), n=512))
        freqs = np.fft.rfftfreq(512, 1 / frame_rate)
        band = (freqs >= 3.5) & (freqs <= 8.5)
        rates.append(float(freqs[band][np.argmax(spectrum[band])]))
        depths.append(float(np.std(wobble) * math.sqrt(2)))
    if not rates:
        return 0.0, 0.0
    return float(np.median(rates)), float(np.median(depths))


TIMBRE_FRAMES = 200
_RATIOS = np.round(np.arange(0.80, 1.2501, 0.005), 3)


def _timbre(x: np.ndarray, f0: np.ndarray) -> tuple[float, float, str]:
    """(formant_ratio, breathiness, register) of 16 kHz audio from its voiced frames.

    Register: male below 175 Hz median, female above 260 Hz; in between, male when the
    formants sit well below the female built-in voice's (ratio <= 0.88).
    """
    median = float(np.median(f0[f0 > 0]))
    register = "male" if median < 175.0 else "female"
    envelope, breath = _mean_envelope(x, f0)
    if envelope is None:
        return 1.0, 0.0, register
    reference = _reference_envelope(register)
    ratio = 1.0 if reference is None else _best_ratio(envelope, reference)
    if register == "female" and median < 260.0 and ratio <= 0.88:
        male_ref = _reference_envelope("male")
        if male_ref is not None:
            register, ratio = "male", _best_ratio(envelope, male_ref)
    return round(ratio, 3), round(breath, 3), register


def _mean_envelope(x: np.ndarray, f0: np.ndarray) -> tuple[np.ndarray | None, float]:
    voiced = np.flatnonzero(f0 > 0)
    if len(voiced) < 10:
        return None, 0.0
    pick = voiced[np.linspace(0, len(voiced) - 1, min(TIMBRE_FRAMES, len(voiced))).astype(int)]
    f0_sel = np.ascontiguousarray(f0[pick])
    times = np.ascontiguousarray(pick * FRAME_PERIOD_MS / 1000.0)
    x = np.ascontiguousarray(x, dtype=np.float64)
    sp = pyworld.cheaptrick(x, f0_sel, times, PROFILE_SR_HZ)
    ap = pyworld.d4c(x, f0_sel, times, PROFILE_SR_HZ, threshold=0.0)
    freqs = np.linspace(0, PROFILE_SR_HZ / 2, sp.shape[1])
    breath = float(np.clip(np.mean(ap[:, freqs <= 4000]), 0.0, 1.0))
    return np.mean(10 * np.log10(sp + 1e-20), axis=0), breath


def _best_ratio(envelope: np.ndarray, reference: np.ndarray) -> float:
    """Scaling r such that reference(f / r) looks most like envelope(f), tilt removed."""
    freqs = np.linspace(0, PROFILE_SR_HZ / 2, len(envelope))
    band = (freqs >= 300) & (freqs <= 4500)
    f = freqs[band]
    target = _detilt(envelope[band], f)
    scores = np.array([np.dot(target, _detilt(np.interp(f / r, freqs, reference), f)) for r in _RATIOS])
    best = int(np.argmax(scores))
    neutral = int(np.argmin(np.abs(_RATIOS - 1.0)))
    if scores[best] <= 0 or scores[best] - scores[neutral] < 0.02 * abs(scores[best]):
        return 1.0  # no formant structure worth following
    return float(_RATIOS[best])


def _detilt(db: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    logf = np.log(freqs)
    a, b = np.polyfit(logf, db, 1)
    rest = db - (a * logf + b)
    return rest / (np.linalg.norm(rest) + 1e-12)


@functools.lru_cache(maxsize=2)
def _reference_envelope(register: str) -> np.ndarray | None:
    """Mean log envelope of the built-in voice, measured like a clip."""
    try:
        from .voice import speak_line

        spoken = speak_line(REFERENCE_SENTENCE, "en", voice=register)
    except Exception:  # no eSpeak NG: keep formant_ratio at 1.0
        return None
    x = _to_analysis_rate(np.asarray(spoken.samples, dtype=np.float64), sr=spoken.sr)
    envelope, _ = _mean_envelope(x, voiced_f0(x, sr=PROFILE_SR_HZ))
    return envelope


REFERENCE_SENTENCE = (
    "The quick brown fox jumps over the lazy dog, and we sing about the sea, the moon, the rain and a blue guitar."
)
