"""The neural singer's `influence` (the API's persona_influence): 0 sings exactly as the stock voice of the
persona's register, 1 as the fitted persona (its style, envelopes and EQ), and between moves the style part way.

Needs the model's packages (skipped without them outside CI, as tests/engine/voice/test_kokoro.py).
"""

import numpy as np
import pytest

pytest.importorskip("pyworld")

from personastudio.engine.dsp import timbre  # noqa: E402
from personastudio.engine.dsp.voice import VoiceSettings  # noqa: E402
from personastudio.engine.voice import envelope_transfer, kokoro, singer  # noqa: E402

SR = 22050
N_SAMPLES = 2 * SR
LINES = [("la la la", "en", [(0.2, 0.4, 62.0), (0.6, 0.4, 64.0), (1.0, 0.6, 65.0)], False)]


@pytest.fixture(scope="module")
def persona(kokoro_styles):
    """A female persona unlike the stock voice: another style, the envelopes of a third voice, a tilted EQ."""
    stock = kokoro.stock_style_name("female")
    style_name, bank_name = [name for name in ("af_bella", "jf_alpha", "af_heart") if name != stock][:2]
    _start, clip = kokoro.sing_line(
        "la la la la la la",
        "en",
        [(0.2 + 0.4 * k, 0.4, 60.0 + 2 * k) for k in range(6)],
        style=kokoro_styles[bank_name],
        sr=envelope_transfer.TRANSFER_SR_HZ,
    )
    bank = envelope_transfer.build_bank(clip, sr=envelope_transfer.TRANSFER_SR_HZ)
    assert bank is not None
    return VoiceSettings(
        register="female",
        style=kokoro_styles[style_name],
        eq_db=np.linspace(-6.0, 6.0, len(timbre.eq_band_centres_hz())),
        envelope_bank=bank,
    )


def _sing(voice: VoiceSettings, **kwargs) -> np.ndarray:
    lead, _backing = singer.sing(LINES, voice=voice, sr=SR, n_samples=N_SAMPLES, **kwargs)
    return lead


def test_the_style_moves_from_the_stock_voice_to_the_persona(persona):
    stock = kokoro.stock_style("female")
    np.testing.assert_array_equal(singer.style_for(persona, influence=0.0), stock)
    np.testing.assert_allclose(singer.style_for(persona, influence=1.0), persona.style, atol=1e-6)
    np.testing.assert_allclose(
        singer.style_for(persona, influence=0.6), stock + 0.6 * (persona.style - stock), atol=1e-6
    )


def test_influence_0_sings_as_the_stock_voice_and_1_as_the_persona(persona):
    stock_voice = VoiceSettings(register="female")  # no style, envelopes or EQ: the register's stock voice
    none_of_it = _sing(persona, influence=0.0)
    all_of_it = _sing(persona, influence=1.0)
    np.testing.assert_allclose(none_of_it, _sing(stock_voice), atol=1e-6)
    np.testing.assert_allclose(all_of_it, _sing(persona), atol=1e-6)  # 1 is the default: the persona as fitted
    assert np.sqrt(np.mean(all_of_it**2)) > 0.01 and np.sqrt(np.mean(none_of_it**2)) > 0.01
    difference = np.sqrt(np.mean((all_of_it - none_of_it) ** 2)) / np.sqrt(np.mean(none_of_it**2))
    assert difference > 0.3, "the persona sings audibly unlike the stock voice"
