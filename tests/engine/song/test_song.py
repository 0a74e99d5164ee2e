import time

import numpy as np
import pytest

from personastudio.engine.dsp.band import render_band
from personastudio.engine.dsp.composer import compose, style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics
from personastudio.engine.dsp.mix import integrated_lufs, master, true_peak_dbtp
from personastudio.engine.song import render_song

SHORT = """[Verse]
walking down the empty street
counting every step I take
[Chorus]
la la la la love
sing it loud and clear tonight
"""

SR = 22050
# render_song's mix, stems, mastering and seeds are the subject here, whoever sings: the formant voice. The
# neural voice's songs are measured in test_quality.py and test_song_progress.py (and a fit sings the same
# twice for a seed in tests/engine/voice/test_fit.py); backing lines alone below are sung by the default voice.
SINGER = "formant"


@pytest.fixture(scope="module")
def song():
    t = time.time()
    r = render_song(lyrics=SHORT, tags="pop", seed=7, sr=SR, singer_name=SINGER)
    r.elapsed = time.time() - t
    return r


def test_loudness_peak_and_shape(song):
    assert song.mix.dtype == np.float32 and song.mix.ndim == 2 and song.mix.shape[1] == 2
    assert song.band.shape == song.mix.shape
    assert song.vocal.ndim == 1 and len(song.vocal) == len(song.mix)
    assert abs(integrated_lufs(song.mix, sr=SR) - (-14.0)) <= 1.0
    assert true_peak_dbtp(song.mix, sr=SR) <= -1.0
    assert 20 <= song.duration_s <= 60
    assert abs(song.duration_s - len(song.mix) / SR) < 1e-6
    assert song.vocal.any()
    # stems carry the mastering gain: vocal (dual mono) + band ≈ mix
    resid = song.mix - (song.band + song.vocal[:, None])
    assert np.sqrt(np.mean(resid**2)) < 0.12 * np.sqrt(np.mean(song.mix**2))


def _snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(reference**2) / max(np.sum((estimate - reference) ** 2), 1e-30)))


def test_the_per_instrument_stems_sum_to_the_mix(song):
    assert list(song.stems)[0] == "lead vocal" and {"drums", "bass", "keys"} <= set(song.stems)
    assert all(stem.shape == song.mix.shape and stem.dtype == np.float32 for stem in song.stems.values())
    assert _snr_db(song.mix, sum(song.stems.values())) >= 40


def test_an_instrumental_on_the_oscillators_keeps_only_the_stems_that_sound():
    r = render_song(lyrics=SHORT, tags="rock", seed=3, sr=SR, make_instrumental=True, band_name="oscillators")
    assert r.band_instruments == "oscillators"
    assert set(r.stems) == {"drums", "bass", "guitars", "lead"}  # the tune on the lead instrument, no voice
    assert _snr_db(r.mix, sum(r.stems.values())) >= 40


def test_instrumental_has_silent_vocal():
    r = render_song(lyrics=SHORT, tags="rock", seed=3, make_instrumental=True, sr=SR, singer_name=SINGER)
    assert not r.vocal.any()
    assert abs(integrated_lufs(r.mix, sr=SR) + 14.0) <= 1.0
    assert true_peak_dbtp(r.mix, sr=SR) <= -1.0
    r = render_song(lyrics="", tags="", seed=3, sr=SR, singer_name=SINGER)
    assert not r.vocal.any()
    assert 24 <= r.duration_s <= 40


def test_seeds_differ_and_reproduce(song):
    # The module's song (pop, seed 7) rendered again, and with another seed: two renders, not three.
    again = render_song(lyrics=SHORT, tags="pop", seed=7, sr=SR, singer_name=SINGER)
    other = render_song(lyrics=SHORT, tags="pop", seed=8, sr=SR, singer_name=SINGER)
    assert np.array_equal(song.mix, again.mix)
    assert song.mix.shape != other.mix.shape or not np.allclose(song.mix, other.mix, atol=1e-3)


@pytest.mark.parametrize("genre", ["pop", "rock", "ballad", "folk", "electronic", "hip-hop", "jazz", "古风"])
def test_every_genre_renders(genre):
    style = style_from_tags(genre, 5)
    score = compose(parse_lyrics(SHORT), style, seed=5)
    band = render_band(score, sr=SR, seed=5)
    assert band.dtype == np.float32 and band.shape[1] == 2
    assert np.isfinite(band).all() and np.abs(band).max() <= 1.0
    assert np.sqrt(np.mean(band**2)) > 0.01


def test_master_handles_silence_and_mono():
    out, g = master(np.zeros((SR, 2), dtype=np.float32), sr=SR)
    assert not out.any() and g == 1.0
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((SR * 3, 2)) * 0.01).astype(np.float32)
    x[1000] = 0.9
    out, g = master(x, sr=SR)
    assert abs(integrated_lufs(out, sr=SR) + 14) <= 1.0 and true_peak_dbtp(out, sr=SR) <= -1.0


def test_lyrics_of_backing_lines_only_are_still_sung():
    from personastudio.engine.song import render_song

    rendered = render_song(lyrics="(ooh)\n(aah la la)", tags="pop", seed=1)  # whichever voice sings
    assert np.sqrt(np.mean(rendered.vocal**2)) > 0.01
