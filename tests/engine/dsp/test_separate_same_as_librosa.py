"""The fast REPET-SIM path gives what librosa's plain nn_filter call gives, bit for bit."""

import librosa
import numpy as np
import pytest
from synth import sung_line, tone

from personastudio.engine.dsp import separate


def _mix(*, seconds, sr):
    voice = sung_line(seconds=seconds, low_hz=300, high_hz=600, sr=sr)
    bar = np.concatenate([tone(seconds=0.25, hz=110, amplitude=0.4, sr=sr), tone(seconds=0.25, hz=82.4, sr=sr)])
    return voice + np.tile(bar, int(seconds * 2) + 1)[: len(voice)]


def _vocals_by_librosa(piece, sr):
    """separate._vocals_of as it was: the plain librosa call."""
    n_fft = 2048 if sr <= 24000 else 4096
    hop = n_fft // 4
    spectrum = librosa.stft(piece, n_fft=n_fft, hop_length=hop)
    magnitude, phase = np.abs(spectrum), np.exp(1j * np.angle(spectrum))
    width = int(librosa.time_to_frames(separate.MIN_REPEAT_S, sr=sr, hop_length=hop))
    if magnitude.shape[1] <= 2 * width + 2:  # our rule (separate._vocals_of), not librosa's
        width = max(1, magnitude.shape[1] // 4)
    repeating = librosa.decompose.nn_filter(magnitude, aggregate=np.median, metric="cosine", width=width)
    repeating = np.minimum(magnitude, repeating)
    mask = librosa.util.softmask(magnitude - repeating, separate.MARGIN_VOCALS * repeating, power=separate.POWER)
    return librosa.istft(mask * magnitude * phase, hop_length=hop, n_fft=n_fft, length=len(piece)).astype(np.float32)


@pytest.mark.parametrize(("seconds", "sr"), [(7.0, 44100), (9.0, 22050), (2.5, 44100)])
def test_vocals_and_band_are_those_of_the_plain_librosa_call(seconds, sr):
    mix = _mix(seconds=seconds, sr=sr)
    vocals, band = separate.separate_vocals(mix, sr=sr)
    expected_vocals = _vocals_by_librosa(mix, sr)
    np.testing.assert_array_equal(vocals, expected_vocals)
    np.testing.assert_array_equal(band, (mix - expected_vocals).astype(np.float32))


@pytest.mark.parametrize("width_frames", [1, 10, 86])
def test_the_recurrence_matrix_has_librosa_s_links(width_frames):
    magnitude = np.abs(librosa.stft(_mix(seconds=6.0, sr=22050), n_fft=2048, hop_length=512))
    expected = librosa.segment.recurrence_matrix(magnitude, metric="cosine", width=width_frames, sparse=True)
    got = separate._recurrence_csc(magnitude, width_frames=width_frames)
    expected.sort_indices()
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    assert got.dtype == expected.dtype == bool


def test_a_width_librosa_refuses_is_refused():
    magnitude = np.abs(librosa.stft(_mix(seconds=1.0, sr=22050), n_fft=2048, hop_length=512))
    with pytest.raises(librosa.ParameterError):
        separate._recurrence_csc(magnitude, width_frames=magnitude.shape[1] // 2)


@pytest.mark.parametrize("n_neighbours", [1, 2, 7, 68, 69])
def test_the_median_is_numpy_s(n_neighbours):
    rng = np.random.default_rng(n_neighbours)
    neighbours = rng.random((n_neighbours, 300)).astype(np.float32)
    neighbours[:, :20] = np.round(neighbours[:, :20], 1)  # ties
    neighbours[0, 20] = np.nan
    neighbours[:, 21] = np.float32(3e38)  # two middle values whose sum overflows float32
    with np.errstate(over="ignore"):
        expected = np.median(neighbours, axis=0)
        got = separate._median_of_rows(neighbours, axis=0)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
