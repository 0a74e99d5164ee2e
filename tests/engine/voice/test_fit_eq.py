"""The fit's static EQ is for clips too short for an envelope bank: with a bank it would mostly hear pitch."""

import numpy as np

from personastudio.engine.dsp import timbre
from personastudio.engine.voice import fit

SR = fit._Probe.sr


def _tone(f0_hz: float, *, brightness: float) -> np.ndarray:
    t = np.arange(int(2.0 * SR)) / SR
    harmonics = [brightness**k * np.sin(2 * np.pi * f0_hz * (k + 1) * t) for k in range(30) if f0_hz * (k + 1) < SR / 2]
    return (0.1 * np.sum(harmonics, axis=0)).astype(np.float32)


def _probe(bank) -> fit._Probe:
    target = timbre.long_term_envelope_db(_tone(330.0, brightness=0.9), sr=SR)
    return fit._Probe(texts=("la",), centre_midi=60.0, target_env_db=target, bank=bank)


def test_a_clip_without_a_bank_gets_a_matching_eq():
    eq = _probe(None).eq_for(_tone(220.0, brightness=0.5))
    assert eq.shape == (timbre.N_EQ_BANDS,) and np.max(np.abs(eq)) > 1.0


def test_a_clip_with_a_bank_gets_no_eq():
    bank = {"cepstra": [[0.0] * 40], "aperiodicity": [[0.0] * 3], "match_mean": [0.0] * 23}
    eq = _probe(bank).eq_for(_tone(220.0, brightness=0.5))
    assert eq.shape == (timbre.N_EQ_BANDS,) and not np.any(eq)
