"""The voice profile: how much sings, where, and note names."""

import numpy as np
import pytest
from synth import SR, sung_line

from personastudio.engine.dsp import profile


@pytest.mark.parametrize("low_hz, high_hz", [(110.0, 220.0), (220.0, 440.0), (330.0, 660.0)])
def test_a_sung_line_is_measured_in_its_register(low_hz, high_hz):
    voice = profile.voice_profile(sung_line(seconds=12, low_hz=low_hz, high_hz=high_hz), sr=SR)
    assert voice.voiced_s > 10
    assert low_hz * 0.94 < voice.low_hz < voice.median_hz < voice.high_hz < high_hz * 1.06
    assert 5 < voice.vibrato_rate_hz < 6.5  # synth sings with a 5.5 Hz vibrato
    assert sum(voice.histogram.values()) == pytest.approx(voice.voiced_s * 100, abs=1)


def test_noise_and_silence_have_no_voice():
    noise = np.random.default_rng(1).normal(0, 0.3, SR * 8).astype(np.float32)
    assert profile.voice_profile(noise, sr=SR).voiced_s < 0.5
    assert profile.voice_profile(np.zeros(SR * 3, np.float32), sr=SR).voiced_s == 0


def test_voiced_seconds_are_the_profiles_without_the_rest_of_it():
    line = sung_line(seconds=6, low_hz=220.0, high_hz=440.0)
    assert profile.voiced_seconds(line, sr=SR) == profile.voice_profile(line, sr=SR).voiced_s > 4
    assert profile.voiced_seconds(line[: int(SR * 0.09)], sr=SR) == 0.0  # too short for a profile
    assert profile.voiced_seconds(np.zeros(SR * 2, np.float32), sr=SR) == 0.0


def test_profile_survives_a_round_trip_through_json_data():
    voice = profile.voice_profile(sung_line(seconds=4), sr=SR)
    assert profile.VoiceProfile.from_dict(voice.to_dict()) == voice


@pytest.mark.parametrize("hz, name", [(440.0, "A4"), (261.63, "C4"), (82.41, "E2"), (466.16, "A#4")])
def test_note_names(hz, name):
    assert profile.hz_to_note_name(hz) == name
    assert profile.midi_to_hz(profile.hz_to_midi(hz)) == pytest.approx(hz)


def test_range_reads_like_a_singer_would_say_it():
    assert profile.note_name_range(220.0, 659.26) == "A3–E5"
