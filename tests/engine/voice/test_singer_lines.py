"""The neural singer sings up to LINE_WORKERS lines at once: the song is the same, a repeated line is sung
once, a line is taken from the caller only when a worker is free, and a failing line fails the song.

The model itself is replaced by a stand-in that takes a while and returns samples made from its
arguments (tests/engine/voice/test_kokoro.py sings with the real one)."""

import threading
import time

import numpy as np
import pytest

from personastudio.engine.dsp.voice import VoiceSettings
from personastudio.engine.voice import kokoro, singer

SR = 16000
N_SAMPLES = 8 * SR
LINES = [
    ("one two three", "en", [(0.5, 0.4, 60.0), (0.9, 0.4, 62.0), (1.3, 0.6, 64.0)], False),
    ("four five", "en", [(2.0, 0.5, 62.0), (2.5, 0.7, 60.0)], False),
    ("ooh", "en", [(2.0, 1.2, 67.0)], True),
    ("one two three", "en", [(3.5, 0.4, 60.0), (3.9, 0.4, 62.0), (4.3, 0.6, 64.0)], False),  # a repeat
    ("six seven", "en", [(5.0, 0.5, 59.0), (5.5, 0.5, 57.0)], False),
]


class FakeVoice:
    """Stands in for kokoro.sing_line: counts calls and how many run at once, sleeps, returns samples."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.calls: list[str] = []
        self.running = 0
        self.most = 0
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, text, language, notes, *, style, vibrato_rate_hz, vibrato_depth_cents, sr):
        with self.lock:
            self.calls.append(text)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            if text == self.fail_on:
                raise RuntimeError("the voice failed")
            seed = sum(map(ord, text)) + int(notes[0][2])
            y = np.random.default_rng(seed).standard_normal(int(0.8 * sr)).astype(np.float32) * 0.1
            return notes[0][0] - 0.05, y
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def fake(monkeypatch):
    voice = FakeVoice()
    monkeypatch.setattr(kokoro, "sing_line", voice)
    monkeypatch.setattr(singer, "style_for", lambda voice, influence=1.0: np.zeros(256, dtype=np.float32))
    return voice


def _sing(lines=LINES):
    return singer.sing(lines, voice=VoiceSettings(register="female"), sr=SR, n_samples=N_SAMPLES)


def test_lines_sung_at_once_make_the_same_song_as_one_at_a_time(fake, monkeypatch):
    monkeypatch.setattr(singer, "LINE_WORKERS", 1)
    lead_1, backing_1 = _sing()
    assert fake.most == 1
    fake.most = 0
    monkeypatch.setattr(singer, "LINE_WORKERS", 2)
    lead_2, backing_2 = _sing()
    assert fake.most == 2
    np.testing.assert_array_equal(lead_1, lead_2)
    np.testing.assert_array_equal(backing_1, backing_2)
    assert np.any(lead_2) and np.any(backing_2)


def test_a_repeated_line_is_sung_once(fake, monkeypatch):
    monkeypatch.setattr(singer, "LINE_WORKERS", 2)
    _sing()
    assert sorted(fake.calls) == sorted(["one two three", "four five", "ooh", "six seven"])


def test_a_line_is_taken_only_when_a_worker_is_free(fake, monkeypatch):
    monkeypatch.setattr(singer, "LINE_WORKERS", 2)
    busy_when_taken = []

    def handed_over():
        for line in LINES:
            busy_when_taken.append(fake.running)
            yield line

    _sing(handed_over())
    assert len(busy_when_taken) == len(LINES)
    assert max(busy_when_taken) < 2


def test_a_line_that_fails_fails_the_song_and_no_more_lines_are_begun(monkeypatch):
    voice = FakeVoice(fail_on="four five")
    monkeypatch.setattr(kokoro, "sing_line", voice)
    monkeypatch.setattr(singer, "style_for", lambda voice, influence=1.0: np.zeros(256, dtype=np.float32))
    monkeypatch.setattr(singer, "LINE_WORKERS", 2)
    with pytest.raises(RuntimeError, match="the voice failed"):
        _sing()
    assert "six seven" not in voice.calls
