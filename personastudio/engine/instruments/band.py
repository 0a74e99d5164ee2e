"""The band on a General MIDI SoundFont: the score's parts as the arrangement voices them, rendered by FluidSynth."""

from __future__ import annotations

import numpy as np

from ..dsp import arrangement
from ..dsp.band import band_length_samples, lead_melody
from ..dsp.composer import Score
from .soundfont import render_voice_stereo, render_voices_stereo


def sampled_parts(score: Score, *, sr: int, play_melody: bool = False) -> dict[str, np.ndarray]:
    """Unlevelled stereo "drums", "bass", "chords", "counter", "melody", as engine.dsp.band.oscillator_parts."""
    n = band_length_samples(score, sr=sr)
    parts = {
        "drums": render_voice_stereo(arrangement.drum_voice(score), sr=sr, n_samples=n),
        "bass": render_voice_stereo(arrangement.bass_voice(score), sr=sr, n_samples=n),
        "chords": render_voices_stereo(arrangement.chord_voices(score), sr=sr, n_samples=n),
    }
    if score.counter:
        parts["counter"] = render_voice_stereo(
            arrangement.lead_voice(score.counter, score, pan=-0.3), sr=sr, n_samples=n
        )
    if play_melody and score.melody:
        parts["melody"] = render_voice_stereo(
            arrangement.lead_voice(lead_melody(score), score, pan=0.1), sr=sr, n_samples=n
        )
    return parts
