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
    """Convert a frequency to a (fractional) MIDI note number.

    Parameters
    ----------
    hz : float
        Frequency in Hz (> 0).

    Returns
    -------
    float
        MIDI number, 69 for A4 = 440 Hz, 12 per octave.

    Raises
    ------
    ParameterError
        When ``hz`` is not positive.
    """
    if hz <= 0:
        raise ParameterError("frequency must be positive")
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def midi_to_hz(midi: float) -> float:
    """Convert a (fractional) MIDI note number to a frequency.

    Parameters
    ----------
    midi : float
        MIDI number, 69 for A4.

    Returns
    -------
    float
        Frequency in Hz (440 for 69).
    """
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def hz_to_note_name(hz: float) -> str:
    """Name the nearest semitone in scientific pitch notation (440 -> "A4").

    Parameters
    ----------
    hz : float
        Frequency in Hz (> 0).

    Returns
    -------
    str
        Note name with octave, sharps for black keys ("C#3").
    """
    midi = round(hz_to_midi(hz))
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def note_name_range(low_hz: float, high_hz: float) -> str:
    """Name a range of frequencies as "low–high" notes ("A2–E4").

    Parameters
    ----------
    low_hz : float
        Low end in Hz (> 0).
    high_hz : float
        High end in Hz (> 0).

    Returns
    -------
    str
        The two note names joined by an en dash.
    """
    return f"{hz_to_note_name(low_hz)}–{hz_to_note_name(high_hz)}"
