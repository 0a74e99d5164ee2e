"""Mastering's faster reductions give, to the bit, what the plain numpy ones gave: the gating blocks' sums,
each sample's peak over channels, and the 4x oversampled peak of runs of loud blocks in one call."""

import numpy as np
import pytest
from scipy import signal

from personastudio.engine.dsp import mix


def _block_by_block_peak_env(x2: np.ndarray, floor: float) -> np.ndarray:
    """The oversampled peak envelope as it was computed before: one resample_poly call per 4096 samples."""
    n = x2.shape[0]
    env = np.abs(x2).max(axis=1)
    blk, pad = 4096, 64
    nb = (n + blk - 1) // blk
    bmax = np.pad(env, (0, nb * blk - n)).reshape(nb, blk).max(axis=1)
    for b in np.nonzero(bmax > floor * 10 ** (-4 / 20))[0]:
        s0, s1 = b * blk, min(n, (b + 1) * blk)
        a0, a1 = max(0, s0 - pad), min(n, s1 + pad)
        up = np.abs(signal.resample_poly(x2[a0:a1], 4, 1, axis=0))
        up = up[(s0 - a0) * 4 : (s1 - a0) * 4].reshape(s1 - s0, 4, -1).max(axis=(1, 2))
        env[s0:s1] = np.maximum(env[s0:s1], up)
    return env


def _music_like(n: int, channels: int, seed: int) -> np.ndarray:
    """Noise with loud and quiet stretches, so that some blocks are oversampled and some are not."""
    rng = np.random.default_rng(seed)
    level = np.repeat(rng.choice([0.02, 0.3, 0.9], size=n // 3000 + 1), 3000)[:n]
    return rng.standard_normal((n, channels)) * level[:, None]


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_gating_block_sums_are_numpys_to_the_bit(channels):
    part = np.random.default_rng(channels).random((17640, channels)) ** 4
    expected = np.sum(part, axis=0)
    got = mix._row_sums(np.ascontiguousarray(part.T))
    assert np.array_equal(got, expected)
    assert np.array_equal(mix._row_sums(np.zeros((channels, 0))), np.zeros(channels))


@pytest.mark.parametrize("channels", [1, 2, 8])
def test_peak_over_channels_is_numpys_to_the_bit(channels):
    x2 = np.random.default_rng(7).standard_normal((5001, channels))
    assert np.array_equal(mix._abs_max_rows(x2), np.abs(x2).max(axis=1))


@pytest.mark.parametrize(("n", "channels", "floor"), [(100_003, 2, 0.5), (200_000, 1, 0.0), (70_001, 2, 0.9)])
def test_oversampled_peak_of_loud_runs_is_the_block_by_blocks(n, channels, floor):
    x2 = _music_like(n, channels, seed=n)
    expected = _block_by_block_peak_env(x2, floor)
    got = mix._oversampled_peak_env(x2, floor)
    assert np.array_equal(got, expected)
    assert np.any(got > np.abs(x2).max(axis=1)), "some inter-sample peaks were found"
