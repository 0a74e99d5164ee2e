"""The persona fit: a small search returns a profile the singer can use, with a likeness, the same for a seed.

Needs the neural voice's and the speaker encoder's weights, and an MBROLA reference voice for
the clip; skipped cleanly without them. The search is cut to a handful of probes (a 2-D
subspace, a population of 3: 2 stock styles and one generation) and the held-back check to one
line, sung at three times the tempo, so that each fit sings 7 lines of 1.4 s (~7 s of CPU); the
likeness report runs the full search.
"""

import json
import math
import os

import numpy as np
import pytest
from content_cache import once_per_content

from personastudio.engine.dsp.profile import voice_profile
from personastudio.engine.voice import embedding, fit, kokoro, reference_speakers, weights

SR = 16000
PROFILE_KEYS = {
    "voice_model",
    "style",
    "envelope_bank",
    "eq_db",
    "likeness",
    "likeness_raw",
    "similarity",
    "stock_similarity",
    "self_similarity",
    "stock_kept",
}


def _needs_weights():
    try:
        kokoro.session()
        kokoro.load_styles()
        embedding.encoder()
    except weights.WeightsMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture(scope="module", autouse=True)
def each_step_once():
    """In this module, the fit's deterministic steps that its tests repeat give what they gave before for
    the same content (as copies): Kokoro speaking a sentence (the stock voice's words are heard in two
    tests, once plain and once through the bank), PocketSphinx's transcript, the clip's envelope bank and
    the speaker embeddings of the clip's parts and of probes already heard. The tests that refit from the
    same probes are about what the fit decides, not about computing them again; the determinism test
    clears these (with Kokoro's own caches) and computes everything afresh. Returns the caches."""
    from personastudio.engine.voice import envelope_transfer, intelligibility

    caches: list[dict] = []
    with pytest.MonkeyPatch.context() as mp:
        for module, name in (
            (kokoro, "speak"),
            (intelligibility, "transcribe_en"),
            (envelope_transfer, "build_bank"),
            (embedding, "embed_utterance"),
        ):
            cache: dict = {}
            caches.append(cache)
            mp.setattr(module, name, once_per_content(getattr(module, name), cache=cache))
        yield caches


@pytest.fixture(scope="module")
def clip():
    _needs_weights()
    male = [s for s in reference_speakers.available_speakers() if s.register == "male"]
    if not male:
        pytest.skip("MBROLA reference voices are not installed (Debian: sudo scripts/install_reference_voices.sh)")
    # Two lines (~15 s): long enough to split into a target and a held-back part of over MIN_PART_S each.
    samples = reference_speakers.sung_clip(male[0], lines=reference_speakers.FIT_LINES[:2], seed=0, sr=SR)
    return samples, voice_profile(samples, sr=SR)


SMALL_BUDGET = 5


def _small(mp):
    """A 2-D search with a population of 3: 5 probes (of one line) are 2 stock styles and one generation; the
    held-back check sings one of its lines (the likeness's three terms are measured as in a full fit)."""
    mp.setattr(
        fit, "STYLE_SEARCH", True
    )  # the search, off by default, is still an option (ENGINE_PERSONA_FIT_EVALUATIONS)
    mp.setattr(fit, "SEARCH_DIMENSIONS", 2)
    mp.setattr(fit, "POPULATION", 3)
    mp.setattr(fit, "PROBE_LINES", fit.PROBE_LINES[:1])
    mp.setattr(fit, "CHECK_LINES", fit.CHECK_LINES[:1])
    mp.setattr(fit, "WER_CANDIDATES", 0)  # the words check has its own test
    mp.setattr(fit, "KEEP_STOCK_BELOW", -math.inf)  # keep what was fitted, however close (its own test)
    _quick_tune(mp)


def _quick_tune(mp):
    """The probe and check lines are sung three times as fast (sixteenths at 133 bpm: 1.4 s instead of 4 s each):
    Kokoro's render costs in proportion to the audio, and these tests are about what the fit decides and returns,
    not the tune's tempo."""
    mp.setattr(fit, "NOTE_S", fit.NOTE_S / 3)


@pytest.fixture
def small_search(monkeypatch):
    _small(monkeypatch)
    return SMALL_BUDGET


def _fit(clip, evaluations, seed=0):
    samples, profile = clip
    progress = []
    fitted = fit.fit_persona_voice(
        samples,
        sr=SR,
        median_hz=profile.median_hz,
        register=profile.register,
        evaluations=evaluations,
        seed=seed,
        on_progress=progress.append,
    )
    return fitted, progress


@pytest.fixture(scope="module")
def first_fit(clip):
    with pytest.MonkeyPatch.context() as mp:
        _small(mp)
        return _fit(clip, SMALL_BUDGET)


def test_fit_returns_a_profile_with_a_likeness(first_fit):
    fitted, progress = first_fit
    assert fitted is not None and fitted.evaluations == SMALL_BUDGET
    prof = fitted.to_profile()
    assert set(prof) >= PROFILE_KEYS
    json.dumps(prof)  # the persona stores it as JSON
    assert prof["voice_model"] == kokoro.MODEL_NAME
    assert len(prof["style"]) == 256 and np.all(np.isfinite(prof["style"]))
    assert len(prof["eq_db"]) == len(fitted.eq_db) and max(abs(v) for v in prof["eq_db"]) <= 12.0
    bank = prof["envelope_bank"]
    assert bank and len(bank["cepstra"]) == len(bank["aperiodicity"]) > 0
    assert 0.0 <= prof["likeness"] <= 1.0 and np.isfinite(prof["likeness_raw"])
    for key in ("similarity", "stock_similarity", "self_similarity"):
        assert -1.0 <= prof[key] <= 1.0
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_fit_is_deterministic_for_a_seed(first_fit, clip, small_search, each_step_once):
    kokoro._LINE_CACHE.clear()  # sing, speak and embed everything again, not from the caches
    kokoro._NATURAL_CACHE.clear()
    for cache in each_step_once:
        cache.clear()
    again, _progress = _fit(clip, small_search)
    first = first_fit[0].to_profile()
    second = again.to_profile()
    assert first == second


def test_the_default_fit_chooses_among_the_registers_stock_styles_with_the_clips_envelopes_and_its_words_checked(
    clip, monkeypatch
):
    """What a persona sings with by default: the closest understood of the register's stock styles, heard
    singing several lines, with the clip's envelope bank unless the held-back check or the words say the
    stock voice alone is better. Cut here to two styles and two probe lines."""
    from personastudio.engine.voice import intelligibility

    assert fit.FIT_EVALUATIONS >= 14 and not fit.STYLE_SEARCH and len(fit.PROBE_LINES) > 1
    monkeypatch.setattr(fit, "PROBE_LINES", fit.PROBE_LINES[:2])
    _quick_tune(monkeypatch)  # as the small search's: the first line of both styles and the stock check were sung
    monkeypatch.setattr(fit, "CHECK_LINES", fit.CHECK_LINES[:1])
    monkeypatch.setattr(intelligibility, "FIT_SENTENCES", intelligibility.FIT_SENTENCES[:1])  # 8 words a check
    sung = []
    monkeypatch.setattr(kokoro, "sing_line", _recording(kokoro.sing_line, sung))
    fitted, _progress = _fit(clip, 2)
    register = clip[1].register
    assert fitted.evaluations == 2
    assert sum(text in fit.PROBE_LINES for text in sung) == 2 * 2  # two styles, each heard on both lines
    own = [name for name, style in kokoro.load_styles().items() if kokoro.style_register(name) == register]
    assert any(np.allclose(fitted.style, kokoro.load_styles()[name], atol=1e-6) for name in own)
    prof = fitted.to_profile()
    assert "fit_wer" in prof  # the words were checked
    assert (prof["envelope_bank"] is None) == prof["stock_kept"]


def _recording(sing_line, texts: list):
    def wrapper(text, *args, **kwargs):
        texts.append(text)
        return sing_line(text, *args, **kwargs)

    return wrapper


def test_words_decide_between_similar_styles(clip, monkeypatch):
    """The fit keeps a style whose words it measured, no harder to understand than the stock voice (+ slack).

    Unless no candidate is: then every WER it heard is over that bar, and the persona sings as the stock voice.
    """
    pytest.importorskip("pocketsphinx")
    from personastudio.engine.voice import intelligibility

    _small(monkeypatch)
    monkeypatch.setattr(fit, "WER_CANDIDATES", 2)
    monkeypatch.setattr(intelligibility, "FIT_SENTENCES", intelligibility.FIT_SENTENCES[:1])  # 8 words a check
    calls = []
    real = intelligibility.voice_wer

    def spy(style, **kwargs):
        calls.append((kwargs.get("bank") is None, real(style, **kwargs)))
        return calls[-1][1]

    monkeypatch.setattr(intelligibility, "voice_wer", spy)
    # 2 stock styles, then one generation of 3: the start is chosen by words among the 2, the end among
    # the 2 most similar styles heard, the start and the stock style (none is transcribed twice).
    fitted, progress = _fit(clip, 5)
    plain = [wer for no_persona, wer in calls if no_persona]
    heard = [wer for no_persona, wer in calls if not no_persona]
    assert len(plain) == 1  # the stock voice's own words: the bar, measured once
    bar = plain[0] + fit.WER_SLACK
    assert 1 <= len(heard) <= 2 + fit.WER_CANDIDATES + 2
    assert 0.0 <= fitted.to_profile()["fit_wer"] <= 2.0
    if fitted.stock_kept:
        assert fitted.wer == plain[0] and all(wer > bar for wer in heard)
    else:
        assert fitted.wer in heard and fitted.wer <= bar
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_a_fit_whose_words_are_harder_than_the_stock_voices_keeps_the_stock_voice(clip, monkeypatch):
    """However close it comes, a persona nobody can understand is not kept: the stock voice sings."""
    from personastudio.engine.voice import intelligibility

    _small(monkeypatch)
    monkeypatch.setattr(fit, "WER_CANDIDATES", 2)
    monkeypatch.setattr(fit, "_asr_available", lambda: True)
    # The stock voice's own words: 10 %; anything sung through the persona's bank: 90 %.
    monkeypatch.setattr(intelligibility, "voice_wer", lambda style, **kw: 0.1 if kw.get("bank") is None else 0.9)
    fitted, _progress = _fit(clip, SMALL_BUDGET)
    prof = fitted.to_profile()
    assert prof["stock_kept"] is True and prof["envelope_bank"] is None and prof["likeness"] == 0.0
    assert fitted.wer == 0.1


def test_probes_are_sung_under_the_voices_ceiling():
    """A persona whose median is above the stock voice's ceiling is probed lower, where its songs are sung."""
    _needs_weights()
    ceiling = kokoro.singable_range_midi(kokoro.stock_style("female"))[1]
    high = fit.probe_centre_midi(440.0 * 2 ** ((ceiling + 3 - 69) / 12), register="female", vibrato_depth_cents=40)
    assert high + max(fit.PROBE_SHAPE) + 1 + 0.4 <= ceiling + 1e-9
    low_hz = 440.0 * 2 ** ((ceiling - 12 - 69) / 12)
    assert fit.probe_centre_midi(low_hz, register="female") == pytest.approx(ceiling - 12)
    top = max(m for line in fit.probe_notes(high, lines=2) for _s, _d, m in line)
    assert top + 0.4 <= ceiling + 1e-9


def test_a_fit_further_from_the_clip_than_the_stock_voice_keeps_the_stock_voice(clip, monkeypatch):
    """Below KEEP_STOCK_BELOW the persona sings with the stock style, no envelope bank, a flat EQ: likeness 0."""
    _small(monkeypatch)
    monkeypatch.setattr(fit, "KEEP_STOCK_BELOW", math.inf)  # every fit counts as further than the stock voice
    fitted, _progress = _fit(clip, SMALL_BUDGET)
    prof = fitted.to_profile()
    assert prof["stock_kept"] is True and prof["envelope_bank"] is None and prof["eq_db"] is None
    np.testing.assert_allclose(fitted.style, kokoro.stock_style(clip[1].register), atol=1e-6)
    assert not np.any(fitted.eq_db) and prof["likeness"] == 0.0
    assert prof["similarity"] == prof["stock_similarity"]
