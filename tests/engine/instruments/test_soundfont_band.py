"""The sampled band: FluidSynth plays the arrangement's General MIDI voices from the SoundFont."""

import numpy as np
import pytest

from personastudio.engine.dsp import arrangement
from personastudio.engine.dsp.band import band_length_samples
from personastudio.engine.dsp.composer import GENRES, GM_PROGRAMS, Note, compose, style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics
from personastudio.engine.instruments import soundfont
from personastudio.engine.instruments.band import sampled_parts
from personastudio.engine.song import render_song

SR = 22050
LYRICS = "[Verse]\nSilver rain on the harbour wall\n[Chorus]\nSing it out sing it out"

needs_soundfont = pytest.mark.skipif(
    not soundfont.available(), reason="FluidSynth or a GM SoundFont is missing: " + soundfont.INSTALL_HINT
)


def _score(genre: str):
    return compose(parse_lyrics(LYRICS), style_from_tags(genre, 4), seed=4)


def _f0_hz(x: np.ndarray, sr: int, fmin_hz: float = 80, fmax_hz: float = 500) -> float:
    """The fundamental by autocorrelation (a bass's strongest partial is often its third)."""
    x = x - x.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo, hi = int(sr / fmax_hz), int(sr / fmin_hz)
    return sr / (lo + int(np.argmax(ac[lo:hi])))


def test_every_genre_names_a_program_for_each_part_and_its_comping_stays_on_the_keyboard():
    assert set(GM_PROGRAMS) == set(GENRES)
    for genre in GENRES:
        score = _score(genre)
        voices = arrangement.chord_voices(score)
        assert voices and all(v.notes for v in voices)
        assert all(0 <= n.midi <= 127 and n.dur_s > 0 for v in voices for n in v.notes)
        assert arrangement.drum_voice(score).bank == arrangement.DRUM_BANK
        assert arrangement.chords_stem_name(score) == ("guitars" if genre in ("rock", "folk") else "keys")


@needs_soundfont
def test_a_bass_note_sounds_at_its_pitch_and_a_kick_where_it_is_struck():
    bass = arrangement.Voice(program=33, notes=[Note(0.5, 1.0, 45, 0.8)])  # A2, 110 Hz
    audio = soundfont.render_voice_stereo(bass, sr=SR, n_samples=2 * SR)
    assert audio.shape == (2 * SR, 2)
    assert np.abs(audio[: int(0.45 * SR)]).max() < 1e-3  # silent before the note
    assert abs(_f0_hz(audio[int(0.6 * SR) : int(1.4 * SR)].mean(axis=1), SR) - 110) < 4
    kick = arrangement.Voice(program=0, bank=arrangement.DRUM_BANK, notes=[Note(1.0, 0.1, 36, 1.0)])
    hit = np.abs(soundfont.render_voice_stereo(kick, sr=SR, n_samples=2 * SR)).max(axis=1)
    onset_s = np.argmax(hit > 0.1 * hit.max()) / SR
    assert 0.99 <= onset_s <= 1.03


@needs_soundfont
def test_a_part_is_the_same_samples_whatever_was_played_before():
    chords = arrangement.Voice(program=0, notes=[Note(0.1, 0.5, 60, 0.8), Note(0.6, 0.5, 64, 0.8)])
    first = soundfont.render_voice_stereo(chords, sr=SR, n_samples=SR)
    soundfont.render_voice_stereo(arrangement.Voice(program=33, notes=[Note(0.0, 0.5, 40, 1.0)]), sr=SR, n_samples=SR)
    assert np.array_equal(first, soundfont.render_voice_stereo(chords, sr=SR, n_samples=SR))


@needs_soundfont
def test_the_sampled_parts_follow_the_score_and_the_song_uses_them():
    score = _score("folk")
    parts = sampled_parts(score, sr=SR, play_melody=True)
    n = band_length_samples(score, sr=SR)
    assert set(parts) == {"drums", "bass", "chords", "counter", "melody"} - (
        {"counter"} if not score.counter else set()
    )
    assert all(p.shape == (n, 2) and np.abs(p).max() > 0.01 for p in parts.values())
    song = render_song(lyrics=LYRICS, tags="folk", seed=4, sr=SR, singer_name="formant")
    assert song.band_instruments == "sampled" and "guitars" in song.stems
