"""A measured voice as data, and pitch names: plain Python, no numpy.

The web pages read these (a persona's range and median, the range keyboard) without loading the DSP;
``profile.py`` measures a ``VoiceProfile`` from audio and re-exports everything here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .errors import ParameterError

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
    # How the clip's formants sit against the built-in voice (eSpeak NG, same register):
    # >1 = higher/brighter (smaller vocal tract), <1 = lower/darker. See profile._formant_ratio.
    formant_ratio: float = 1.0
    breathiness: float = 0.0  # mean D4C aperiodicity 0-4 kHz over voiced frames, 0..1
    register: str = ""  # "female" | "male" ("" = not measured): which built-in voice fits

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
