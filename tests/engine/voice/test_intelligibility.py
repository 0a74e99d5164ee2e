"""Intelligibility: PocketSphinx (its bundled en-us model) reads MBROLA speech; word error rate."""

import numpy as np
import pytest

from personastudio.engine.voice import reference_speakers as rs
from personastudio.engine.voice.intelligibility import normalise_text, transcribe_en, word_error_rate

SR = 16000


def test_wer_of_identical_words_is_zero_whatever_the_case_and_punctuation():
    assert word_error_rate("Hold my hand, and we'll find the way!", "hold my hand and we'll find the way") == 0.0
    assert normalise_text("  It's   a DOG-day. ") == "it's a dog day"


def test_wer_of_disjoint_words_is_one():
    assert word_error_rate("the cat sat on the mat", "a dog ran in my yard") == 1.0
    assert word_error_rate("the cat sat", "") == 1.0


def test_wer_counts_edits_over_reference_words():
    assert word_error_rate("one two three four", "one too three") == pytest.approx(0.5)  # 1 sub + 1 del
    assert word_error_rate("one two", "one two three four") == pytest.approx(1.0)  # 2 insertions


def _english_speaker():
    for name in ("us3", "us2", "en1", "us1"):
        try:
            return rs.speaker(name)
        except LookupError:
            continue
    pytest.skip("no English MBROLA voice installed (Debian: sudo scripts/install_reference_voices.sh)")


def test_mbrola_speech_is_transcribed():
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is a test extra")
    spk = _english_speaker()
    phrases = rs.PHRASES[:3]
    hyps = [transcribe_en(rs.spoken_clip(spk, text=p, sr=22050), sr=22050) for p in phrases]
    # corpus WER (all phrases' words together)
    assert word_error_rate(" ".join(phrases), " ".join(hyps)) <= 0.25, hyps


def test_singing_is_not_readable_by_the_recogniser():
    """Documents the limit: PocketSphinx's speech model does not read sung words (use speech for WER)."""
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is a test extra")
    spk = _english_speaker()
    line = rs.HELDOUT_LINES[0]
    hyp = transcribe_en(rs.sung_clip(spk, lines=[line], seed=3, sr=SR), sr=SR)
    assert word_error_rate(line, hyp) > 0.5


def test_silence_transcribes_to_nothing():
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is a test extra")
    assert transcribe_en(np.zeros(SR, np.float32), sr=SR) == ""


def test_a_check_reuses_speech_already_spoken_with_the_same_style(monkeypatch):
    """voice_wer's `spoken`: a fit checks one style with and without the persona's data, and speaking is
    most of a check's cost; what is spoken is kept by (sentence, style), and the WER is the same."""
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is a test extra")
    from personastudio.engine.voice import kokoro
    from personastudio.engine.voice.intelligibility import FIT_SENTENCES, voice_wer

    spk = _english_speaker()
    said = []

    def speak(text, lang, *, style, sr):  # an MBROLA voice stands in for Kokoro: the bookkeeping is tested
        said.append((text, style.tobytes()))
        return rs.spoken_clip(spk, text=text, sr=sr)

    monkeypatch.setattr(kokoro, "speak", speak)
    sentences, style, other = FIT_SENTENCES[:1], np.zeros(256, np.float32), np.ones(256, np.float32)
    spoken = {}
    first = voice_wer(style, sentences=sentences, spoken=spoken)
    assert len(said) == 1
    assert voice_wer(style, sentences=sentences, spoken=spoken, eq_db=np.zeros(8)) == first
    assert len(said) == 1  # the same style: nothing spoken again
    voice_wer(other, sentences=sentences, spoken=spoken)
    assert len(said) == 2  # another style is spoken
    assert voice_wer(style, sentences=sentences) == first and len(said) == 3  # without `spoken`, as before
