"""The long-term envelope of a voice and the EQ that moves one voice's toward another's."""

import numpy as np
import pytest

from personastudio.engine.dsp import timbre
from personastudio.engine.dsp.errors import ParameterError

SR = 22050


def vowel(*, f0_hz: float, formants_hz: tuple[float, ...], seconds: float = 1.5, seed: int = 0) -> np.ndarray:
    """A sung vowel: harmonics of f0 shaped by resonances at `formants_hz` (known answer for the envelope)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = f0_hz * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    y = np.zeros_like(t)
    for k in range(1, int(7000 / f0_hz)):
        hz = k * f0_hz
        amp = sum(1.0 / (1.0 + ((hz - fc) / 90.0) ** 2) for fc in formants_hz) + 0.02
        y += amp * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    return (0.1 * y / np.max(np.abs(y))).astype(np.float32)


def test_the_envelope_hardly_moves_with_pitch():
    low = timbre.long_term_envelope_db(vowel(f0_hz=180, formants_hz=(700, 1200, 2600)), sr=SR)
    high = timbre.long_term_envelope_db(vowel(f0_hz=260, formants_hz=(700, 1200, 2600)), sr=SR)
    other = timbre.long_term_envelope_db(vowel(f0_hz=180, formants_hz=(300, 2300, 3000)), sr=SR)
    assert np.abs(low - high).mean() < 0.5 * np.abs(low - other).mean()


def test_the_matching_eq_moves_one_vowel_toward_another():
    source = vowel(f0_hz=200, formants_hz=(300, 2300, 3000))
    target = vowel(f0_hz=200, formants_hz=(700, 1200, 2600), seed=1)
    source_db = timbre.long_term_envelope_db(source, sr=SR)
    target_db = timbre.long_term_envelope_db(target, sr=SR)
    eq = timbre.matching_eq_db(target_db=target_db, source_db=source_db)
    moved_db = timbre.long_term_envelope_db(timbre.apply_eq_db(source, sr=SR, eq_db=eq), sr=SR)
    assert np.abs(moved_db - target_db).mean() < 0.6 * np.abs(source_db - target_db).mean()
    assert np.all(np.abs(eq) <= timbre.EQ_MAX_DB)


def test_no_eq_or_zero_amount_leaves_the_signal_alone():
    x = vowel(f0_hz=200, formants_hz=(500, 1500))
    assert np.array_equal(timbre.apply_eq_db(x, sr=SR, eq_db=None), x)
    eq = np.full(timbre.N_EQ_BANDS, 6.0)
    assert np.array_equal(timbre.apply_eq_db(x, sr=SR, eq_db=eq, amount=0.0), x)
    flat = timbre.apply_eq_db(x, sr=SR, eq_db=np.zeros(timbre.N_EQ_BANDS))
    assert np.array_equal(flat, x)  # a flat EQ (a persona with an envelope bank) is no filter at all


def test_silence_has_no_envelope():
    assert timbre.long_term_envelope_db(np.zeros(SR), sr=SR) is None


def test_mismatched_bands_are_a_parameter_error():
    with pytest.raises(ParameterError):
        timbre.matching_eq_db(target_db=np.zeros(3), source_db=np.zeros(4))
