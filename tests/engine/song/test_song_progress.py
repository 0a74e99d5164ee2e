"""render_song says how far it is: the band, each sung line of the song, then the mix."""

import numpy as np
import pytest
from synth import SHORT_LYRICS as LYRICS
from synth import SR

from personastudio.engine.dsp.composer import style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics
from personastudio.engine.song import render_song


@pytest.mark.parametrize("singer_name", ["formant", "neural"])
def test_a_render_reports_the_band_every_sung_line_then_the_mix(singer_name):
    reports = []
    rendered = render_song(
        lyrics=LYRICS,
        tags="punk",  # 146 bpm: the three lines last 8.4 s instead of pop's 12.4 (the neural voice's cost)
        seed=7,
        sr=SR,
        singer_name=singer_name,
        band_name="oscillators",
        on_progress=lambda *report: reports.append(report),
    )
    lines = len(rendered.score.sung_lines)
    assert lines >= 3
    assert reports[0] == ("band", 0, 1)
    assert reports[1:-1] == [("singing", k, lines) for k in range(lines + 1)]
    assert reports[-1] == ("mixing", 0, 1)


def test_reporting_progress_changes_nothing_in_the_song():
    quiet = render_song(lyrics=LYRICS, tags="folk", seed=3, sr=SR, singer_name="formant", band_name="oscillators")
    told = render_song(
        lyrics=LYRICS,
        tags="folk",
        seed=3,
        sr=SR,
        singer_name="formant",
        band_name="oscillators",
        on_progress=lambda *report: None,
    )
    assert np.array_equal(quiet.mix, told.mix)


def test_an_instrumental_reports_no_singing():
    reports = []
    render_song(
        lyrics=LYRICS,
        tags="rock",
        seed=3,
        sr=SR,
        make_instrumental=True,
        band_name="oscillators",
        style=style_from_tags("rock", 3),
        on_progress=lambda *report: reports.append(report),
    )
    assert [stage for stage, _done, _total in reports] == ["band", "mixing"]
    assert parse_lyrics(LYRICS)  # the lyric has lines; they are just not sung
