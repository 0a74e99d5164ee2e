"""Reference speakers: real people's MBROLA voices sing the tests' lines on exact notes."""

import numpy as np
import pytest
from scipy import signal
from scipy.fft import dct

from personastudio.engine.dsp import measure
from personastudio.engine.voice import reference_speakers as rs

pytestmark = pytest.mark.skipif(
    not rs.available_speakers(),
    reason="MBROLA reference voices are not installed (Debian: sudo scripts/install_reference_voices.sh)",
)

SR = 16000


def _installed(*names):
    have = {s.name: s for s in rs.available_speakers()}
    return [have[n] for n in names if n in have]


def _one(register):
    for s in rs.available_speakers():
        if s.register == register:
            return s
    pytest.skip(f"no {register} MBROLA voice installed")


def test_available_speakers_are_installed_and_described():
    speakers = rs.available_speakers()
    assert len({s.name for s in speakers}) == len(speakers)
    for s in speakers:
        assert s.database.is_file()
        assert s.register in ("female", "male")
        assert s.low_midi + 12 <= s.high_midi
    assert rs.speaker(speakers[0].name) == speakers[0]
    with pytest.raises(LookupError):
        rs.speaker("zz9")


@pytest.mark.parametrize("register", ["female", "male"])
def test_a_sung_clip_is_on_its_notes(register):
    spk = _one(register)
    take = rs.sung_take(spk, lines=rs.HELDOUT_LINES, seed=7, sr=SR)
    assert take.sr == SR and take.samples.dtype == np.float32
    assert 90 <= take.bpm <= 110
    assert 14 < len(take.samples) / SR < 22
    midis = [m for _, _, m in take.notes]
    assert spk.low_midi <= min(midis) and max(midis) <= spk.high_midi
    beat = 60.0 / take.bpm
    assert all(0.99 * beat <= d <= 2.01 * beat for _, d, _ in take.notes)

    track = measure.f0_track(take.samples, sr=SR)
    assert measure.pitch_accuracy(take.samples, sr=SR, melody_notes=take.notes, track=track) >= 0.9  # within 50 cents
    times, f0 = track
    inside = np.zeros(len(times), bool)  # the singing is where the notes are: the note middles are voiced
    for start, dur, _ in take.notes:
        inside |= (times >= start + 0.05) & (times < start + dur - 0.1)
    assert np.mean(f0[inside] > 0) >= 0.85
    assert abs(measure.median_f0_midi(None, sr=SR, track=track) - np.median(midis)) < 2.0


def test_same_seed_same_clip_other_seed_other_tune():
    spk = rs.available_speakers()[0]
    a = rs.sung_take(spk, lines=rs.OTHER_WORDS_LINES, seed=3, sr=SR)
    b = rs.sung_take(spk, lines=rs.OTHER_WORDS_LINES, seed=3, sr=SR)
    c = rs.sung_take(spk, lines=rs.OTHER_WORDS_LINES, seed=4, sr=SR)
    assert np.array_equal(a.samples, b.samples) and a.notes == b.notes
    assert a.notes != c.notes


def test_the_fit_lines_make_a_clip_of_about_30_seconds():
    spk = rs.available_speakers()[0]
    x = rs.sung_clip(spk, lines=rs.FIT_LINES, seed=11, sr=44100)
    assert 26 < len(x) / 44100 < 38


def _mfcc_mean(x, sr=SR):
    """Mean MFCC 1–19 over the louder frames: a crude speaker fingerprint (no model)."""
    f, _, z = signal.stft(x, sr, nperseg=512, noverlap=352)
    power = np.abs(z) ** 2
    mel = lambda hz: 2595 * np.log10(1 + hz / 700)  # noqa: E731
    edges = 700 * (10 ** (np.linspace(mel(60), mel(7600), 42) / 2595) - 1)
    bank = np.array(
        [
            np.clip(np.minimum((f - lo) / (c - lo), (hi - f) / (hi - c)), 0, None)
            for lo, c, hi in zip(edges, edges[1:], edges[2:])
        ]
    )
    logmel = np.log(bank @ power + 1e-10)
    energy = logmel.max(axis=0)
    return dct(logmel[:, energy > np.percentile(energy, 40)], axis=0, norm="ortho")[1:20].mean(axis=1)


def test_speakers_differ_and_each_stays_themselves_with_other_words():
    speakers = rs.available_speakers()
    if len({s.register for s in speakers}) < 2:
        pytest.skip("needs a female and a male MBROLA voice")
    a = {s.name: _mfcc_mean(rs.sung_clip(s, lines=rs.HELDOUT_LINES, seed=1, sr=SR)) for s in speakers}
    b = {s.name: _mfcc_mean(rs.sung_clip(s, lines=rs.OTHER_WORDS_LINES, seed=2, sr=SR)) for s in speakers}
    for s in speakers:  # the same speaker singing other words on another tune
        dist = {o.name: float(np.linalg.norm(a[s.name] - b[o.name])) for o in speakers}
        assert dist[s.name] < min(dist[o.name] for o in speakers if o.register != s.register), (s.name, dist)
        if s.register == "male":  # the male voices are apart even by this crude measure (the female ones are not)
            assert min(dist, key=dist.get) == s.name, (s.name, dist)


def test_two_male_speakers_clips_differ():
    pair = _installed("us2", "us3", "en1", "de2")[:2]
    if len(pair) < 2:
        pytest.skip("needs two male MBROLA voices")
    x, y = (rs.sung_clip(s, lines=rs.HELDOUT_LINES[:1], seed=5, sr=SR) for s in pair)
    assert not np.array_equal(x[: min(len(x), len(y))], y[: min(len(x), len(y))])
    assert np.linalg.norm(_mfcc_mean(x) - _mfcc_mean(y)) > 3.0


def test_spoken_clip_is_speech_of_the_text():
    spk = rs.available_speakers()[0]
    x = rs.spoken_clip(spk, text=rs.PHRASES[0], sr=22050)
    assert x.dtype == np.float32 and 1.5 < len(x) / 22050 < 6
    assert 0.5 < float(np.max(np.abs(x))) <= 1.0
