"""The melody a neural persona sings stays under its style's ceiling (above it the voice is resampled up).

Needs the model's packages (skipped without them outside CI, as tests/engine/voice/test_kokoro.py).
"""

import pytest

from personastudio.engine.dsp.voice import VoiceSettings
from personastudio.engine.voice import kokoro, singer


@pytest.fixture(scope="module")
def ceiling(kokoro_styles):
    return kokoro.singable_range_midi(kokoro.stock_style("female"))


def test_a_range_under_the_ceiling_is_kept(ceiling):
    floor, top = ceiling
    assert singer.melody_range_midi((top - 10, top - 1), voice=VoiceSettings(register="female")) == (top - 10, top - 1)


def test_a_high_range_is_written_lower_keeping_an_octave(ceiling):
    floor, top = ceiling
    low, high = singer.melody_range_midi((top - 2, top + 8), voice=VoiceSettings(register="female"))
    assert high == top
    assert high - low == singer.MIN_MELODY_SPAN_SEMITONES


def test_no_range_means_the_composers_default_under_the_ceiling(ceiling):
    floor, top = ceiling
    low, high = singer.melody_range_midi(None, voice=VoiceSettings(register="female"))
    assert high <= top and low >= floor
