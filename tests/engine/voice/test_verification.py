"""The consent check: the clip's own singer passes, another voice of the same register does not.

The voices are real speakers (MBROLA diphone voices made to sing, `reference_speakers`); the tests
skip when they or the encoder's weights are not installed. The calibration behind the threshold is
`python -m personastudio.engine.voice_check_report`.
"""

import functools
import os

import numpy as np
import pytest

from personastudio.engine.voice import embedding, reference_speakers, verification
from personastudio.engine.voice.verification import PhraseTooShort, voice_check

SR = 22050  # the app's analysis rate
PHRASE = "I agree that Persona Studio may learn my singing voice today, the second of December 2026."
PHRASE_SEED = 50  # the tune the phrase is sung on (the report's phrase 0)


@pytest.fixture(scope="module", autouse=True)
def encoder():
    try:
        return embedding.encoder()
    except embedding.WeightsMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def _speaker(name):
    try:
        return reference_speakers.speaker(name)
    except LookupError as exc:
        pytest.skip(f"{exc} (scripts/install_reference_voices.sh)")


@functools.cache
def clip(name):
    """`name` singing the persona lines a cappella: about 30 s."""
    return reference_speakers.sung_clip(_speaker(name), lines=reference_speakers.FIT_LINES, seed=0, sr=SR)


@functools.cache
def sung_phrase(name):
    """`name` singing the consent phrase to the page's tune, as VOICE_CHECK_PROTOCOL asks."""
    return reference_speakers.sung_clip(_speaker(name), lines=[PHRASE], seed=PHRASE_SEED, sr=SR)


def check(clip_of, phrase_of):
    return voice_check(clip(clip_of), voice_sr=SR, phrase_samples=sung_phrase(phrase_of), phrase_sr=SR)


def test_the_public_settings_are_what_the_app_expects():
    assert verification.VOICE_CHECK_PROTOCOL in ("spoken", "sung")
    assert 0.0 < verification.VOICE_CHECK_THRESHOLD < 1.0
    assert verification.MIN_PHRASE_VOICED_S > 0
    assert issubclass(PhraseTooShort, ValueError)


@pytest.mark.parametrize("name", ["us2", "us1"])  # a man and a woman
def test_the_same_voice_singing_the_phrase_passes(name):
    result = check(name, name)
    assert result.passed, result
    assert result.similarity >= verification.VOICE_CHECK_THRESHOLD and result.similarity <= 1.0


@pytest.mark.parametrize("clip_of, phrase_of", [
    ("us2", "us3"),  # two American men in the same register (the app's own tests use this pair)
    ("us1", "de1"),  # two women in the same register
])
def test_another_voice_of_the_same_register_is_refused(clip_of, phrase_of):
    result = check(clip_of, phrase_of)
    assert not result.passed, result
    assert result.similarity < verification.VOICE_CHECK_THRESHOLD


def test_the_closest_rendition_of_the_clip_counts():
    silent = np.zeros(5 * SR, np.float32)
    alone = check("us2", "us2")
    both = voice_check([silent, clip("us2")], voice_sr=SR, phrase_samples=sung_phrase("us2"), phrase_sr=SR)
    assert both == alone
    nothing = voice_check([silent], voice_sr=SR, phrase_samples=sung_phrase("us2"), phrase_sr=SR)
    assert not nothing.passed and nothing.similarity == 0.0


@pytest.mark.parametrize("phrase", [
    np.zeros(6 * SR, np.float32),  # the microphone was muted
    np.zeros(0, np.float32),  # nothing recorded
    (0.05 * np.random.default_rng(0).standard_normal(6 * SR)).astype(np.float32),  # only hiss
], ids=["silence", "empty", "noise"])
def test_a_phrase_without_voice_is_too_short(phrase):
    with pytest.raises(PhraseTooShort) as exc:
        voice_check(np.zeros(SR, np.float32), voice_sr=SR, phrase_samples=phrase, phrase_sr=SR)
    message = str(exc.value)
    assert message.endswith(".") and "seconds of voice" in message and "phrase" in message


def test_a_phrase_of_one_word_is_too_short():
    yes = reference_speakers.spoken_clip(_speaker("us2"), text="Yes.", sr=SR)
    with pytest.raises(PhraseTooShort):
        voice_check(clip("us2"), voice_sr=SR, phrase_samples=yes, phrase_sr=SR)
