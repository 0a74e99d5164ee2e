"""The mastering's first gain allows for the limiter's loss of loudness (a preview on chunk peaks), so a mix the
limiter takes 0.5 LU from is mastered in one limiter round; the pre-pass's chunk figures are the signal's."""

import numpy as np
import pytest
from scipy import signal

from personastudio.engine.dsp import mix

SR = 22050


def _punchy(seconds: float, *, hit: float, every_s: float = 1.0, seed: int = 3) -> np.ndarray:
    """Stereo float32: a quiet pad and loud, short noise hits, which the limiter must pull down."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    pad = 0.05 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.standard_normal(n)
    x = np.stack([pad, 0.9 * pad], axis=1)
    decay = np.exp(-np.arange(1500) / 200.0)
    for s in range(0, n - 2000, int(every_s * SR)):
        x[s : s + 1500] += (hit * decay * rng.standard_normal(1500))[:, None]
    return x.astype(np.float32)


@pytest.mark.parametrize("reduce", [np.add.reduceat, np.maximum.reduceat])
def test_chunks_fed_in_uneven_pieces_are_the_whole_signals(reduce):
    values = np.random.default_rng(0).standard_normal(1000)
    chunks = mix._ChunkReducer(64, reduce)
    for a, b in [(0, 10), (10, 200), (200, 201), (201, 777), (777, 1000)]:
        chunks.add(values[a:b])
    np.testing.assert_allclose(chunks.result(), reduce(values, np.arange(0, 1000, 64)), rtol=1e-12)


def test_the_pre_pass_gives_the_loudness_and_each_chunks_weighted_energy_and_peak(monkeypatch):
    monkeypatch.setattr(mix, "MASTER_BLOCK_SAMPLES", 1000)  # blocks that cut chunks
    x = _punchy(3.0, hit=0.3)
    lufs, energy, peak = mix._lufs_and_chunks(x, sr=SR, chunk=128)
    assert lufs == mix.integrated_lufs(x, sr=SR)
    meter = mix._LoudnessMeter(sr=SR, channels=2, n_samples=len(x))
    weighted = np.zeros(len(x))
    for ch in range(2):
        y = x[:, ch].astype(np.float64)
        for b, a, gain in meter.coefficients:
            y = gain * signal.lfilter(b, a, y)
        weighted += y * y
    starts = np.arange(0, len(x), 128)
    np.testing.assert_allclose(energy, np.add.reduceat(weighted, starts), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(peak, np.maximum.reduceat(np.abs(x).max(axis=1).astype(np.float64), starts))


def _limiter_rounds(monkeypatch, x: np.ndarray) -> tuple[int, np.ndarray]:
    rounds = []
    limit = mix._limit_in_blocks

    def counted(*args, **kwargs):
        rounds.append(1)
        return limit(*args, **kwargs)

    monkeypatch.setattr(mix, "_limit_in_blocks", counted)
    mastered, _gain = mix.master_curve(x, sr=SR)
    return len(rounds), mastered


def test_a_mix_the_limiter_takes_loudness_from_is_mastered_in_one_round(monkeypatch):
    x = _punchy(8.0, hit=0.3)
    rounds, mastered = _limiter_rounds(monkeypatch, x)
    assert rounds == 1
    assert abs(mix.integrated_lufs(mastered, sr=SR) - (-14.0)) <= 0.4
    assert mix.true_peak_dbtp(mastered, sr=SR) <= -1.0
    # Without the preview the first gain is the unlimited mix's, the limiter takes more than 0.4 LU: two rounds.
    monkeypatch.setattr(mix, "PREVIEW_ITERATIONS", 0)
    assert _limiter_rounds(monkeypatch, x)[0] == 2


def test_the_preview_predicts_the_limiters_loss():
    x = _punchy(8.0, hit=0.3)
    lufs, energy, peak = mix._lufs_and_chunks(x, sr=SR, chunk=mix.PREVIEW_CHUNK_SAMPLES)
    scale = 10 ** ((-14.0 - lufs) / 20)
    ceiling = 10 ** (-1.25 / 20)
    predicted = mix._limiter_loss_db(energy, peak, scale, sr=SR, ceiling_lin=ceiling)
    curve = np.ones(len(x), dtype=np.float32)
    mix._limit_in_blocks(x, curve, scale, sr=SR, ceiling_lin=ceiling)
    actual = -14.0 - mix._measure_in_blocks(x, curve, scale, sr=SR, peak_floor=10 ** (-1 / 20))[0]
    assert actual > 0.4  # the limiter does take loudness here
    assert abs(predicted - actual) < 0.15
    assert mix._limiter_loss_db(energy, peak, 0.1 * scale, sr=SR, ceiling_lin=ceiling) == 0.0  # nothing to limit
