"""The singing voice: eSpeak NG speech, syllables, and WORLD singing on a melody."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import pyworld

from personastudio.engine.dsp import espeak, profile, voice
from personastudio.engine.dsp.voice import VoiceSettings, sing, sing_line, speak_line, syllable_count, voice_for

SR = 44100
LINES = {"en": "City lights are calling me", "zh": "夜空中最亮的星"}
SHAPE = [0, 2, 4, 5, 7, 4, 2]  # semitones above the base
DURS = [0.4, 0.3, 0.5, 0.35, 0.6, 0.4, 1.0]


def melody(base_midi: float, start_s: float = 1.0, shape=SHAPE, durs=DURS) -> list[tuple[float, float, float]]:
    notes, t = [], start_s
    for step, dur in zip(shape, durs):
        notes.append((t, dur, base_midi + step))
        t += dur
    return notes


def f0_track(start_s: float, samples: np.ndarray, sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(samples, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=60.0, f0_ceil=1100.0, frame_period=5.0)
    return t + start_s, pyworld.stonemask(x, f0, t, sr)


def pitch_accuracy(start_s, samples, notes) -> float:
    """Share of voiced frames inside the notes that are within 50 cents of their note."""
    t, f0 = f0_track(start_s, samples)
    errors = []
    for s, d, m in notes:
        sel = (t >= s) & (t < s + d) & (f0 > 0)
        errors.append(1200 * np.log2(f0[sel] / profile.midi_to_hz(m)))
    errors = np.concatenate(errors)
    assert len(errors) > 0.6 * sum(d for _, d, _ in notes) / 0.005  # most of the note time is sung
    return float(np.mean(np.abs(errors) < 50))


def centroid(samples: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / sr)
    band = freqs < 6000
    return float(np.sum(freqs[band] * spectrum[band]) / np.sum(spectrum[band]))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_lines_are_spoken_with_one_syllable_per_vowel_or_character(language):
    spoken = speak_line(LINES[language], language)
    assert len(spoken.syllables) == 7
    assert syllable_count(LINES[language], language) == 7
    assert spoken.sr > 0 and spoken.samples.dtype == np.float64 and len(spoken.samples) > spoken.sr * 0.8
    previous_end = 0.0
    for syl in spoken.syllables:
        assert previous_end - 1e-9 <= syl.start_s <= syl.nucleus_start_s < syl.nucleus_end_s <= syl.end_s
        previous_end = syl.end_s
    assert previous_end <= len(spoken.samples) / spoken.sr + 1e-6


@pytest.mark.parametrize(
    "text, language",
    [
        ("我爱你 baby 2024年", "zh"),
        ("Hello 世界 123", "en"),
        ("", "en"),
        ("...!?", "zh"),
        ("hmm", "en"),
        ("第1名", "zh-CN"),
    ],
)
def test_digits_mixed_scripts_and_empty_lines_do_not_crash(text, language):
    spoken = speak_line(text, language)
    assert syllable_count(text, language) == len(spoken.syllables)
    notes = [(0.5 + 0.3 * i, 0.3, 64.0) for i in range(len(spoken.syllables))]
    start, samples = sing_line(spoken, notes, voice=VoiceSettings(), sr=SR)
    assert samples.dtype == np.float32 and np.all(np.isfinite(samples))
    if "年" in text:
        assert len(spoken.syllables) >= 5


@pytest.mark.parametrize(
    "language, register, base", [("en", "female", 64), ("zh", "female", 64), ("en", "male", 48), ("zh", "male", 50)]
)
def test_the_line_is_sung_on_the_melody_in_its_register(language, register, base):
    spoken = speak_line(LINES[language], language, voice=register)
    notes = melody(base)
    start, samples = sing_line(spoken, notes, voice=VoiceSettings(register=register), sr=SR)
    assert samples.dtype == np.float32 and np.max(np.abs(samples)) <= 1.0
    assert notes[0][0] - 0.3 <= start <= notes[0][0]  # consonants lead in just before the first note
    end = notes[-1][0] + notes[-1][1]
    assert abs(start + len(samples) / SR - end) < 0.1
    assert pitch_accuracy(start, samples, notes) >= 0.85
    _, f0 = f0_track(start, samples)
    sung_median = 69 + 12 * np.log2(np.median(f0[f0 > 0]) / 440)
    assert abs(sung_median - np.median([m for _, _, m in notes])) < 2


def test_formant_ratio_moves_the_spectrum_the_right_way():
    spoken = speak_line(LINES["en"], "en")
    notes = melody(62)
    centroids = [
        centroid(sing_line(spoken, notes, voice=VoiceSettings(formant_ratio=r), sr=SR)[1]) for r in (0.88, 1.0, 1.12)
    ]
    assert centroids[0] < centroids[1] * 0.97 and centroids[2] > centroids[1] * 1.03


def test_breathiness_adds_aperiodicity():
    spoken = speak_line(LINES["en"], "en")
    notes = melody(62)
    plain = sing_line(spoken, notes, voice=VoiceSettings(), sr=SR)[1]
    breathy = sing_line(spoken, notes, voice=VoiceSettings(breathiness=0.8), sr=SR)[1]
    assert profile.voice_profile(breathy, sr=SR).breathiness > profile.voice_profile(plain, sr=SR).breathiness + 0.03


@pytest.mark.parametrize("n_notes", [1, 3, 6, 8, 12])
def test_a_melody_with_more_or_fewer_notes_than_syllables_still_sings(n_notes):
    spoken = speak_line(LINES["en"], "en")
    notes = [(2.0 + 0.25 * i, 0.25, 60.0 + i % 5) for i in range(n_notes)]
    start, samples = sing_line(spoken, notes, voice=VoiceSettings(), sr=SR)
    assert len(samples) > 0.2 * SR and np.all(np.isfinite(samples))
    assert start <= 2.0 and abs(start + len(samples) / SR - (2.0 + 0.25 * n_notes)) < 0.1
    assert sing_line(spoken, [], voice=VoiceSettings(), sr=SR)[1].size == 0


def test_sing_places_lead_and_panned_softer_backing():
    spoken = speak_line(LINES["en"], "en")
    n = 12 * SR
    lines = [
        (spoken, melody(60, start_s=0.0), False),  # starts at 0: its lead-in is cut, not a crash
        (spoken, melody(64, start_s=4.0), True),
        (spoken, melody(67, start_s=8.0), True),
    ]
    lead, backing = sing(lines, voice=VoiceSettings(), sr=SR, n_samples=n)
    assert lead.shape == (n,) and backing.shape == (n, 2)
    assert lead.dtype == np.float32 and backing.dtype == np.float32
    first, second = slice(4 * SR, 8 * SR), slice(8 * SR, 12 * SR)
    assert np.abs(lead[: 4 * SR]).max() > 0.1 and np.abs(lead[4 * SR :]).max() == 0
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert rms(backing[first, 0]) > 1.5 * rms(backing[first, 1])  # first backing line left
    assert rms(backing[second, 1]) > 1.5 * rms(backing[second, 0])  # the next one right
    assert rms(backing[first].sum(axis=1)) < rms(lead[: 4 * SR])


def test_speech_from_worker_threads_matches_the_main_thread():
    # eSpeak NG's waveform carries a little state from call to call (glottal flutter), so
    # compare syllables and lengths (within 5%), not samples. speak_line caches; espeak.synthesize does not.
    texts = [
        ("Running through the summer rain", "en+f3", "en"),
        ("你是我心中最美的云彩", "cmn+f3", "zh"),
        ("We were dancing under neon skies", "en+m3", "en"),
    ]

    def shape(job):
        text, name, language = job
        audio, sr, events = espeak.synthesize(text, name)
        return len(audio), len(voice._syllables_from_events(events, len(audio) / sr, text, language))

    expected = [shape(job) for job in texts]
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(shape, texts * 3))
    assert [g[1] for g in got] == [e[1] for e in expected] * 3
    assert all(abs(g[0] - e[0]) < 0.05 * e[0] for g, e in zip(got, expected * 3)), (got, expected)
    assert [e[1] for e in expected] == [7, 9, 9]


def test_voice_follows_tags_without_a_persona():
    assert voice_for(None, "pop, male vocals").register == "male"
    assert voice_for(None, "民谣, 男声").register == "male"
    assert voice_for(None, "female vocals, synthwave").register == "female"
    assert voice_for(None, "女声").register == "female"
    assert voice_for(None, "").register == "female"


def test_voice_follows_a_persona_profile():
    low = voice_for({"median_hz": 130.0, "vibrato_rate_hz": 6.2, "vibrato_depth_cents": 45.0}, "female vocals")
    assert low.register == "male" and low.vibrato_rate_hz == 6.2 and low.vibrato_depth_cents == 45.0
    assert low.formant_ratio == 1.0 and low.breathiness == 0.0  # old profiles lack the new fields
    high = voice_for({"median_hz": 330.0, "formant_ratio": 1.1, "breathiness": 0.3, "register": "female"}, "")
    assert high.register == "female" and high.formant_ratio == 1.1 and high.breathiness > 0.5


def test_profile_measures_the_formants_and_register_of_a_sung_voice():
    """A persona learned from this voice's own singing asks for the warp it was sung with."""
    lines = ["City lights are calling me", "Hold me close and never let me go", "Running through the summer rain"]
    for register, base, ratio in (("female", 62, 1.1), ("male", 50, 0.92)):
        clip = []
        for text in lines:
            spoken = speak_line(text, "en", voice=register)
            notes = [(0.3 + 0.5 * i, 0.5, base + SHAPE[i % 7]) for i in range(len(spoken.syllables))]
            clip.append(sing_line(spoken, notes, voice=VoiceSettings(register=register, formant_ratio=ratio), sr=SR)[1])
        measured = profile.voice_profile(np.concatenate(clip), sr=SR)
        assert measured.register == register
        assert measured.formant_ratio == pytest.approx(ratio, abs=0.04)
        assert voice_for(measured.to_dict(), "").register == register
