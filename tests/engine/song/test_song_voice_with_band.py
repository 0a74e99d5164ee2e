"""render_song lets the neural voice sing in a thread of its own while the band is rendered: the song is the
same, progress is reported by the caller's thread in the same order, and a failure of either side fails
the render.

The neural singer is replaced by a stand-in that sings from the lines it is handed (tests/engine/song/
test_song_progress.py and tests/engine/dsp/test_quality.py render with the real one)."""

import threading

import numpy as np
import pytest
from synth import SHORT_LYRICS as LYRICS
from synth import SR

from personastudio.engine import song as song_mod
from personastudio.engine.dsp.voice import place_lines


class FakeSinger:
    """Stands in for voice.singer.sing: a tone per line at its first note, made from the line's notes."""

    def __init__(self, *, fail: bool = False) -> None:
        self.threads: set[str] = set()
        self.fail = fail

    def __call__(self, lines, *, voice, sr, n_samples, influence=1.0):
        self.threads.add(threading.current_thread().name)
        rendered = []
        for _text, _language, notes, is_backing in lines:
            if self.fail:
                raise RuntimeError("the voice failed")
            t = np.arange(int(0.5 * sr)) / sr
            hz = 440.0 * 2.0 ** ((notes[0][2] - 69.0) / 12.0)
            rendered.append((notes[0][0], (0.1 * np.sin(2 * np.pi * hz * t)).astype(np.float32), is_backing))
        return place_lines(rendered, sr=sr, n_samples=n_samples)


def _render(monkeypatch, *, with_band: bool, singer: FakeSinger, reports: list | None = None):
    monkeypatch.setattr(song_mod, "VOICE_WITH_BAND", with_band)
    monkeypatch.setattr(song_mod.neural_singer, "sing", singer)
    told_by = set()

    def on_progress(*report):
        told_by.add(threading.current_thread().name)
        if reports is not None:
            reports.append(report)

    rendered = song_mod.render_song(
        lyrics=LYRICS, tags="pop", seed=5, sr=SR, singer_name="neural", band_name="oscillators", on_progress=on_progress
    )
    return rendered, told_by


def test_the_voice_sung_beside_the_band_makes_the_same_song(monkeypatch):
    reports_serial, reports_beside = [], []
    serial, _ = _render(monkeypatch, with_band=False, singer=FakeSinger(), reports=reports_serial)
    beside_singer = FakeSinger()
    beside, told_by = _render(monkeypatch, with_band=True, singer=beside_singer, reports=reports_beside)
    assert beside_singer.threads == {"render-voice"}, "the voice sang in a thread of its own"
    np.testing.assert_array_equal(serial.mix, beside.mix)
    np.testing.assert_array_equal(serial.vocal, beside.vocal)
    assert reports_beside == reports_serial
    assert reports_beside[0] == ("band", 0, 1) and reports_beside[-1] == ("mixing", 0, 1)
    assert told_by == {threading.current_thread().name}, "progress is told by the caller's thread"


def test_a_voice_that_fails_beside_the_band_fails_the_render(monkeypatch):
    with pytest.raises(RuntimeError, match="the voice failed"):
        _render(monkeypatch, with_band=True, singer=FakeSinger(fail=True))


def test_a_band_that_fails_waits_for_the_voice_and_fails_the_render(monkeypatch):
    singer = FakeSinger()

    def broken_band(*args, **kwargs):
        raise RuntimeError("the band failed")

    monkeypatch.setattr(song_mod, "oscillator_parts", broken_band)
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="the band failed"):
        _render(monkeypatch, with_band=True, singer=singer)
    assert singer.threads == {"render-voice"}
    assert "render-voice" not in {t.name for t in threading.enumerate()} - before, "no voice thread is left running"
