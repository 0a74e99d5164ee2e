"""What a voice is like, measured from a clip: how much of it sings, where, with what vibrato.

Pitch comes from WORLD (pyworld: DIO refined by StoneMask) at 16 kHz, which is
fast enough for a ten-minute clip. A frame counts as voiced only when DIO finds
a pitch, the frame is loud enough, and the signal really repeats at that pitch
(normalised autocorrelation), so noise and silence measure as ~0 s voiced.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pyworld
from scipy.signal import resample_poly

from .errors import ParameterError

ANALYSIS_SR = 16000
FRAME_PERIOD_MS = 10.0
F0_FLOOR_HZ, F0_CEIL_HZ = 65.0, 1100.0
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass
class VoiceProfile:
    voiced_s: float = 0.0
    median_hz: float = 0.0
    low_hz: float = 0.0  # 5th percentile of voiced pitch: the bottom of the comfortable range
    high_hz: float = 0.0  # 95th percentile
    vibrato_rate_hz: float = 0.0
    vibrato_depth_cents: float = 0.0
    histogram: dict[str, int] = field(default_factory=dict)  # MIDI note number -> voiced frames

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> VoiceProfile:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def hz_to_midi(hz: float) -> float:
    if hz <= 0:
        raise ParameterError("frequency must be positive")
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def hz_to_note_name(hz: float) -> str:
    """440 -> 'A4' (scientific pitch notation, nearest semitone)."""
    midi = round(hz_to_midi(hz))
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def note_name_range(low_hz: float, high_hz: float) -> str:
    return f"{hz_to_note_name(low_hz)}–{hz_to_note_name(high_hz)}"


def voice_profile(samples: np.ndarray, *, sr: int) -> VoiceProfile:
    """Measure the voice in mono `samples`; an empty profile (voiced_s 0) when nothing sings."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if sr <= 0:
        raise ParameterError("sr must be positive")
    if len(samples) < sr * 0.1 or not np.any(samples):
        return VoiceProfile()
    x = _to_analysis_rate(samples, sr)
    f0 = voiced_f0(x)
    voiced = f0[f0 > 0]
    if len(voiced) == 0:
        return VoiceProfile()
    midi = 69.0 + 12.0 * np.log2(voiced / 440.0)
    notes, counts = np.unique(np.round(midi).astype(int), return_counts=True)
    rate, depth = _vibrato(f0)
    return VoiceProfile(
        voiced_s=round(len(voiced) * FRAME_PERIOD_MS / 1000.0, 2),
        median_hz=round(float(np.median(voiced)), 2),
        low_hz=round(float(np.percentile(voiced, 5)), 2),
        high_hz=round(float(np.percentile(voiced, 95)), 2),
        vibrato_rate_hz=round(rate, 2),
        vibrato_depth_cents=round(depth, 1),
        histogram={str(n): int(c) for n, c in zip(notes, counts)},
    )


def _to_analysis_rate(samples: np.ndarray, sr: int) -> np.ndarray:
    if sr == ANALYSIS_SR:
        return samples
    g = math.gcd(int(sr), ANALYSIS_SR)
    return resample_poly(samples, ANALYSIS_SR // g, int(sr) // g)


def voiced_f0(x: np.ndarray) -> np.ndarray:
    """F0 per 10 ms frame of 16 kHz audio, 0 where the frame is not clearly voiced."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    f0, times = pyworld.dio(x, ANALYSIS_SR, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=FRAME_PERIOD_MS)
    f0 = pyworld.stonemask(x, f0, times, ANALYSIS_SR)
    centres = np.round(times * ANALYSIS_SR).astype(int)
    rms = _frame_rms(x, centres, half=int(0.015 * ANALYSIS_SR))
    loud = rms > max(10 ** (-50 / 20), rms.max() * 10 ** (-35 / 20))
    periodic = _periodicity(x, centres, f0) > 0.6
    return np.where((f0 > 0) & loud & periodic, f0, 0.0)


def _windows(x: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    padded = np.pad(x, (half, half))
    idx = centres[:, None] + np.arange(2 * half)[None, :]
    return padded[np.clip(idx, 0, len(padded) - 1)]


def _frame_rms(x: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    return np.sqrt(np.mean(_windows(x, centres, half) ** 2, axis=1))


def _periodicity(x: np.ndarray, centres: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation at the pitch period, per frame (1 = perfectly periodic)."""
    out = np.zeros(len(f0))
    has = np.flatnonzero(f0 > 0)
    if not len(has):
        return out
    half = int(0.02 * ANALYSIS_SR)
    lags = np.round(ANALYSIS_SR / f0[has]).astype(int)
    windows = _windows(x, centres[has], half + int(ANALYSIS_SR / F0_FLOOR_HZ) + 1)
    n = 2 * half
    base = windows[:, :n]
    rows = np.arange(len(has))[:, None]
    shifted = windows[rows, lags[:, None] + np.arange(n)[None, :]]
    num = np.sum(base * shifted, axis=1)
    den = np.sqrt(np.sum(base ** 2, axis=1) * np.sum(shifted ** 2, axis=1)) + 1e-12
    out[has] = num / den
    return out


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
