"""Extending a song from a chosen second: the source kept exactly, a clean join, mastered, in time and key."""

import numpy as np
import pytest

from personastudio.engine.dsp import composer, extend
from personastudio.engine.dsp.mix import integrated_lufs, true_peak_dbtp
from personastudio.engine.song import render_song

SR = 44100
SOURCE_LYRICS = "[Verse]\nCity lights are calling me\nCounting every step I take\n[Chorus]\nHold on to the night"
NEW_LYRICS = "[Verse]\nMorning comes and we are home\n[Chorus]\nSing it loud and clear"


def _click_free(mix: np.ndarray, at: int, fade: int) -> tuple[float, float]:
    """(largest sample step around the join, the song's own 99.9th percentile step)."""
    steps = np.abs(np.diff(mix, axis=0)).max(axis=1)
    return float(steps[at - 2048 : at + fade + 2048].max()), float(np.percentile(steps, 99.9))


@pytest.fixture(scope="module")
def extended():
    # The join is the subject, whoever sings: the formant voice (the neural one is measured in test_quality.py).
    source = render_song(lyrics=SOURCE_LYRICS, tags="pop upbeat", seed=3, singer_name="formant")
    style = composer.style_from_tags("pop upbeat", 3)  # what the engine finds for its own songs
    new = render_song(lyrics=NEW_LYRICS, tags="pop upbeat", seed=11, style=style, singer_name="formant")
    at_s = 8.0
    joined = extend.join_song(
        source_mix=source.mix,
        continuation_mix=new.mix,
        sr=SR,
        at_s=at_s,
        source_vocal=source.vocal,
        source_band=source.band,
        continuation_vocal=new.vocal,
        continuation_band=new.band,
        source_stems=source.stems,
        continuation_stems=new.stems,
        skip_s=extend.grid_offset_s(at_s, new.style.bar_s),
    )
    return source, new, joined, at_s


def test_the_first_seconds_are_the_source_and_the_song_goes_on(extended):
    source, new, joined, at_s = extended
    n = int(at_s * SR)
    r = np.corrcoef(source.mix[:n].ravel(), joined.mix[:n].ravel())[0, 1]
    assert r > 0.99
    assert joined.duration_s > at_s + 5
    # the new part is the continuation, not more of the source
    tail = joined.mix[n + SR : n + 4 * SR].ravel()
    assert abs(np.corrcoef(tail, source.mix[n + SR : n + 4 * SR].ravel())[0, 1]) < 0.5


def test_the_join_has_no_click_and_no_gap(extended):
    _source, _new, joined, at_s = extended
    at, fade = int(at_s * SR), int(extend.CROSSFADE_S * SR)
    near, typical = _click_free(joined.mix, at, fade)
    assert near <= typical * 1.5
    window = int(0.05 * SR)
    levels = [np.sqrt(np.mean(joined.mix[i : i + window] ** 2)) for i in range(at - SR // 2, at + SR, window // 2)]
    overall = np.sqrt(np.mean(joined.mix**2))
    assert min(levels) > overall * 0.1  # no silence between the two parts


def test_the_extension_is_mastered_like_every_song(extended):
    joined = extended[2]
    assert abs(integrated_lufs(joined.mix, sr=SR) - (-14.0)) <= 0.5
    assert true_peak_dbtp(joined.mix, sr=SR) <= -1.0
    # the stems still add up to the mix, so separating an extension stays exact
    assert np.abs(joined.vocal[:, None] + joined.band - joined.mix).max() < 0.1


def test_the_extensions_stems_cover_the_whole_track_and_sum_to_it(extended):
    source, new, joined, at_s = extended
    assert set(joined.stems) == set(source.stems) | set(new.stems)
    total = np.sum(list(joined.stems.values()), axis=0)
    assert 10 * np.log10(np.sum(joined.mix**2) / np.sum((total - joined.mix) ** 2)) >= 40
    drums = joined.stems["drums"]
    n = int(at_s * SR)  # the kept part's drums are the source's, the rest the new part's
    assert np.corrcoef(drums[:n].ravel(), source.stems["drums"][:n].ravel())[0, 1] > 0.99


def test_the_extensions_score_is_the_source_up_to_the_cut_then_the_new_part(extended):
    source, new, joined, at_s = extended
    score = extend.join_scores(source.score, new.score, at_s=joined.at_s, skip_s=joined.skip_s)
    shift = at_s - joined.skip_s
    assert score.style == source.style and score.duration_s == pytest.approx(joined.duration_s, abs=0.1)
    kept = [n for n in source.score.bass if n.start_s < at_s]
    assert score.bass[: len(kept)] == [
        n if n.start_s + n.dur_s <= at_s else type(n)(n.start_s, at_s - n.start_s, n.midi, n.velocity) for n in kept
    ]
    added = score.bass[len(kept) :]
    assert (
        added
        and added[0].start_s >= at_s
        and added[0].midi == [n for n in new.score.bass if n.start_s >= joined.skip_s][0].midi
    )
    assert all(n.start_s + n.dur_s <= at_s + 1e-9 for n in score.melody if n.start_s < at_s)
    assert [line.text for line in score.sung_lines][-1] == new.score.sung_lines[-1].text
    assert score.sung_lines[-1].notes[0][0] == pytest.approx(new.score.sung_lines[-1].notes[0][0] + shift)


def test_extending_from_the_very_end_crossfades_over_the_last_half_second():
    head = np.full((SR, 2), 0.3, np.float32)
    tail = np.full((SR, 2), -0.3, np.float32)
    fade = int(extend.CROSSFADE_S * SR)
    out = extend.crossfade_join(head, tail, sr=SR, at_s=5.0)  # past the end: from the end
    assert len(out) == 2 * SR - fade and np.allclose(out[: SR - fade], head[: SR - fade])
    assert np.abs(np.diff(out, axis=0)).max() < 0.01  # no step where the source stops


def test_an_equal_power_crossfade_of_two_unrelated_tones_is_smooth_and_keeps_its_level():
    t = np.arange(3 * SR) / SR
    a = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    b = (0.5 * np.sin(2 * np.pi * 331 * t + 1.0)).astype(np.float32)
    out = extend.crossfade_join(a, b, sr=SR, at_s=1.0)
    assert np.array_equal(out[:SR], a[:SR]) and len(out) == SR + len(b)
    assert np.abs(np.diff(out)).max() < 0.06  # the tones' own steepest step is ≈0.026
    mid = out[SR + SR // 4 - 2205 : SR + SR // 4 + 2205]
    assert np.sqrt(np.mean(mid**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.15)


def test_the_grid_offset_lines_the_new_bars_up_with_the_old():
    assert extend.grid_offset_s(8.0, 2.0) == pytest.approx(0.0)
    assert extend.grid_offset_s(9.0, 2.0) == pytest.approx(1.0)
    assert extend.grid_offset_s(9.0, 0.5, phase_s=0.2) == pytest.approx(0.3)
    assert extend.grid_offset_s(3.0, 0.0) == 0.0


def _clicks(bpm: float, seconds: float = 12.0) -> np.ndarray:
    x = np.zeros(int(seconds * SR), np.float32)
    click = (np.sin(2 * np.pi * 1500 * np.arange(800) / SR) * np.exp(-np.arange(800) / 150)).astype(np.float32)
    for start in np.arange(0.25, seconds - 0.1, 60.0 / bpm):
        i = int(start * SR)
        x[i : i + 800] += click[: len(x) - i]
    return x


def test_an_unknown_songs_tempo_is_measured():
    bpm, phase = extend.estimate_tempo(_clicks(120.0), sr=SR)
    assert bpm == pytest.approx(120.0, rel=0.04)
    assert 0 <= phase < 0.5
    assert extend.estimate_tempo(np.zeros(SR * 3, np.float32), sr=SR) == (0.0, 0.0)


@pytest.mark.parametrize(
    "chords, expected",
    [
        ([(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)], (0, "major")),  # C F G C
        ([(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)], (9, "minor")),  # Am Dm E Am
    ],
)
def test_an_unknown_songs_key_is_estimated(chords, expected):
    t = np.arange(SR) / SR
    bars = [sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in chord) for chord in chords]
    x = (0.2 * np.concatenate(bars * 2)).astype(np.float32)
    assert extend.estimate_key(x, sr=SR) == expected
