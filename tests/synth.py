"""Test audio made here, no Django: tones, voice-like sung lines, and a short lyric for quick renders."""

from __future__ import annotations

import math

import numpy as np

SR = 22050
# Three sung lines in two sections: enough for a render's every stage, quick to sing.
SHORT_LYRICS = """[Verse]
walking down the empty street
counting every step I take
[Chorus]
la la la la love
"""


def tone(*, seconds: float = 2.0, hz: float = 440.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def sung_line(
    *, seconds: float = 14.0, low_hz: float = 220.0, high_hz: float = 440.0, sr: int = SR, seed: int = 0
) -> np.ndarray:
    """A voice-like signal: notes between low_hz and high_hz, harmonics, vibrato, short breaths between notes."""
    rng = np.random.default_rng(seed)
    note_s = 0.5
    n_notes = int(seconds / note_s)
    midi_low, midi_high = 12 * np.log2(low_hz / 440) + 69, 12 * np.log2(high_hz / 440) + 69
    # Touch both ends of the range, the rest in between.
    midis = np.concatenate([[midi_low, midi_high], rng.uniform(midi_low, midi_high, n_notes - 2)])
    t_note = np.arange(int(note_s * sr)) / sr
    out = []
    phase = 0.0
    for midi in midis:
        f0 = 440 * 2 ** ((midi - 69) / 12) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t_note))
        inst_phase = phase + 2 * np.pi * np.cumsum(f0) / sr
        phase = inst_phase[-1]
        note = sum((0.6 / k) * np.sin(k * inst_phase) for k in range(1, 8))
        envelope = np.minimum(1, np.minimum(t_note / 0.03, (note_s - t_note) / 0.06))
        out.append(note * envelope)
    signal = np.concatenate(out) * 0.4
    return signal.astype(np.float32)


def synth_sung_line(
    midis,
    *,
    sr: int = 44100,
    note_s: float = 0.5,
    gap_s: float = 0.06,
    vibrato_hz: float = 5.5,
    vibrato_cents: float = 35.0,
    seed: int = 0,
) -> np.ndarray:
    """A harmonic "voice" singing `midis`: 1/k harmonics with a vowel-ish tilt, vibrato, soft attacks."""
    rng = np.random.default_rng(seed)
    parts = []
    for m in midis:
        n = int(note_s * sr)
        t = np.arange(n) / sr
        ramp = np.clip((t - 0.12) / 0.2, 0, 1)
        cents = vibrato_cents * ramp * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi))
        f = 440.0 * 2 ** ((m - 69) / 12 + cents / 1200)
        phase = 2 * np.pi * np.cumsum(f) / sr
        x = np.zeros(n)
        f0 = 440.0 * 2 ** ((m - 69) / 12)
        for k in range(1, 16):
            if f0 * k > sr / 2 * 0.9:
                break
            # a gentle "ah" tilt: strong fundamental and a bump around 700-1200 Hz
            formant = 1.0 + 1.5 * math.exp(-(((f0 * k - 900.0) / 400.0) ** 2))
            x += formant / k * np.sin(k * phase)
        env = np.minimum(1, t / 0.03) * np.minimum(1, (note_s - t) / 0.05)
        parts.append(x * env * (0.8 + 0.2 * rng.random()))
        parts.append(np.zeros(int(gap_s * sr)))
    y = np.concatenate(parts)
    return (0.5 * y / (np.max(np.abs(y)) + 1e-9)).astype(np.float32)
