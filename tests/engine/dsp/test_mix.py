"""Mastering in blocks: the same figures as the whole array, the true-peak ceiling held across block edges,
and memory that grows by a float32 gain curve with the song's length, not by copies of the mix."""

import tracemalloc

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from personastudio.engine.dsp import mix

SR = 22050


def _music_like(seconds: float, *, sr: int = SR, seed: int = 5) -> np.ndarray:
    """Stereo float32: chords, noise and loud bursts with inter-sample overs (a tone at sr/4, 45° off the
    sample grid), the bursts placed across the mastering blocks' edges."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    chord = sum(np.sin(2 * np.pi * f * t + p) for f, p in ((220, 0), (277, 1), (330, 2))) * 0.15
    x = np.stack([chord + 0.05 * rng.standard_normal(n), 0.8 * chord + 0.05 * rng.standard_normal(n)], axis=1)
    over = np.sin(2 * np.pi * (sr / 4) * t + np.pi / 4)[:, None] * 0.9
    for edge in range(4096 * 3, n - 3000, 4096 * 5):
        x[edge - 1500 : edge + 1500] += over[edge - 1500 : edge + 1500]
    return x.astype(np.float32)


def _whole_array_true_peak_dbtp(x: np.ndarray) -> float:
    up = signal.resample_poly(np.asarray(x, dtype=np.float64), 4, 1, axis=0)
    return float(20 * np.log10(max(np.abs(up).max(), np.abs(x).max())))


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 4 x 4096 samples, so a few seconds of audio crosses many block edges."""
    monkeypatch.setattr(mix, "MASTER_BLOCK_SAMPLES", 4 * 4096)


def test_loudness_fed_in_blocks_is_pyloudnorms_figure(small_blocks):
    x = _music_like(7.3)
    expected = pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64))
    assert mix.integrated_lufs(x, sr=SR) == pytest.approx(expected, abs=1e-6)
    assert mix.integrated_lufs(x[:, 0], sr=SR) == pytest.approx(
        pyloudnorm.Meter(SR).integrated_loudness(x[:, 0].astype(np.float64)), abs=1e-6
    )


def test_true_peak_in_blocks_is_the_whole_arrays(small_blocks):
    x = _music_like(7.3)
    assert mix.true_peak_dbtp(x, sr=SR) == pytest.approx(_whole_array_true_peak_dbtp(x), abs=1e-6)
    assert mix.true_peak_dbtp(np.zeros((SR, 2)), sr=SR) == -120.0


def test_mastering_in_blocks_gives_the_whole_array_result(monkeypatch):
    x = _music_like(7.3)
    monkeypatch.setattr(mix, "MASTER_BLOCK_SAMPLES", 1 << 30)  # one block: the whole array at once
    whole, whole_gain = mix.master_curve(x, sr=SR)
    monkeypatch.setattr(mix, "MASTER_BLOCK_SAMPLES", 4 * 4096)
    blocks, block_gain = mix.master_curve(x, sr=SR)
    assert blocks.dtype == whole.dtype == np.float32 and blocks.shape == x.shape
    assert np.abs(block_gain - whole_gain).max() <= 1e-6 * whole_gain.max()
    assert np.abs(blocks - whole).max() <= 1e-6
    assert np.all(block_gain[block_gain < block_gain.max() * 0.99] > 0)  # the limiter did work here


def test_the_block_paths_true_peak_stays_under_the_ceiling_at_the_target_loudness(small_blocks):
    x = _music_like(9.0)
    assert _whole_array_true_peak_dbtp(x * 3) > 0  # loud enough that the limiter must act
    mastered, gain = mix.master_curve(x * 3, sr=SR)
    assert _whole_array_true_peak_dbtp(mastered) <= -1.0
    assert abs(mix.integrated_lufs(mastered, sr=SR) - (-14.0)) <= 0.5
    assert np.allclose(mastered, (x * 3) * gain[:, None], atol=1e-6)


def test_mastering_can_overwrite_the_mix_and_scales_mono_alike():
    x = _music_like(3.0)
    expected, expected_gain = mix.master_curve(x, sr=SR)
    mastered, gain = mix.master_curve(x, sr=SR, overwrite_input=True)
    assert mastered is x and np.array_equal(mastered, expected) and np.array_equal(gain, expected_gain)
    assert gain.dtype == np.float32
    mono, mono_gain = mix.master_curve(_music_like(3.0)[:, 0], sr=SR)
    assert mono.ndim == 1 and mono.dtype == np.float32 and len(mono_gain) == len(mono)
    silent, silent_gain = mix.master_curve(np.zeros((SR, 2)), sr=SR)
    assert not silent.any() and np.all(silent_gain == 1)


def _mastering_peak_bytes(x: np.ndarray) -> int:
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        mix.master_curve(x, sr=SR, overwrite_input=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_mastering_memory_grows_by_a_float32_gain_curve_not_by_copies_of_the_mix():
    short, long = _music_like(60.0), _music_like(240.0)
    growth = _mastering_peak_bytes(long) - _mastering_peak_bytes(short)
    mix_growth = long.nbytes - short.nbytes  # the whole-array path made several float64 copies of this
    assert growth <= 0.6 * mix_growth  # the gain curve is half of it (n float32 against n x 2)


def test_mastering_a_song_kept_in_a_file_finds_the_gain_of_mastering_the_array():
    from personastudio.engine.dsp.mix import master_curve, master_gain
    from personastudio.engine.dsp.rowfile import RowFile

    sr = 22050
    rng = np.random.default_rng(4)
    t = np.arange(40 * sr) / sr
    loud = (0.9 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 0.3 * t)))[:, None] * [1.0, 0.8]
    song = (loud + 0.05 * rng.standard_normal((len(t), 2))).astype(np.float32)  # peaks far over the ceiling
    mastered, gain = master_curve(song, sr=sr)
    with RowFile(song.shape) as samples, RowFile((len(song),), fill=1.0) as curve:
        samples[:] = song
        scale = master_gain(samples, curve, sr=sr)
        np.testing.assert_array_equal((curve[:].astype(np.float64) * scale).astype(np.float32), gain)
        np.testing.assert_array_equal(
            (samples[:] * (curve[:].astype(np.float64) * scale)[:, None]).astype(np.float32), mastered
        )
