"""REPET-SIM: a repeating backing and a non-repeating voice come apart."""

import numpy as np
from synth import SR, sung_line, tone

from personastudio.engine.dsp import separate


def _energy(x):
    return float(np.sum(np.asarray(x, dtype=np.float64) ** 2))


def test_the_voice_goes_to_vocals_and_the_loop_to_the_instrumental():
    voice = sung_line(seconds=12, low_hz=300, high_hz=600)
    bar = np.concatenate([tone(seconds=0.25, hz=110, amplitude=0.4), tone(seconds=0.25, hz=82.4, amplitude=0.4)])
    loop = np.tile(bar, 30)[: len(voice)]
    vocals, instrumental = separate.separate_vocals(voice + loop, sr=SR)
    assert vocals.shape == instrumental.shape == voice.shape
    np.testing.assert_allclose(vocals + instrumental, voice + loop, atol=1e-4)
    # Signal-to-distortion of each estimate against its truth: better than leaving the mix alone.
    sdr_vocals = 10 * np.log10(_energy(voice) / _energy(vocals - voice))
    sdr_mix = 10 * np.log10(_energy(voice) / _energy(loop))
    assert sdr_vocals > sdr_mix + 3


def test_a_clip_of_exactly_2_width_plus_2_frames_separates():
    # 173 hops = 174 frames = 2 * 86 + 2 (86 frames = 2 s): librosa's neighbour search refused the 2 s width there.
    mix = np.random.default_rng(0).standard_normal(173 * 512).astype(np.float32) * 0.1
    vocals, instrumental = separate.separate_vocals(mix, sr=SR)
    assert vocals.shape == instrumental.shape == mix.shape
    assert np.all(np.isfinite(vocals))
    assert np.any(vocals != 0)
