"""End-to-end song rendering: lyrics + tags (+ a persona's voice profile) + seed → mastered mix and stems.

``render_song`` parses the lyrics, derives a style from the tags, lets eSpeak NG
count each line's syllables (so every sung syllable gets exactly one note group),
composes a score, renders the band, sings the words with the WORLD-based voice
shaped by the persona (or a default voice chosen by the tags), mixes (ducking,
width), masters to -14 LUFS / ≤ -1 dBTP, and scales the stems with the very same
per-sample mastering gain so that ``vocal`` (dual-mono) + ``band`` ≈ ``mix``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..voice import kokoro
from ..voice import singer as neural_singer
from . import voice as singer
from .band import render_band
from .composer import Score, Style, compose, style_from_tags
from .errors import ParameterError
from .lyrics import parse_lyrics
from .mix import master_curve, mix_song
from .profile import hz_to_midi


@dataclass
class RenderedSong:
    mix: np.ndarray  # (n, 2) float32
    vocal: np.ndarray  # (n,) float32, zeros when instrumental
    band: np.ndarray  # (n, 2) float32
    sr: int
    duration_s: float
    style: Style
    score: Score
    voice: singer.VoiceSettings | None = None


SINGERS = ("auto", "neural", "formant")


def render_song(*, lyrics: str, tags: str, seed: int, voice_profile: dict | None = None,
                vocal_range_midi: tuple[float, float] | None = None,
                make_instrumental: bool = False, sr: int = 44100, style: Style | None = None,
                singer_name: str = "auto", influence: float = 1.0) -> RenderedSong:
    """``style`` overrides the one the tags and seed would give (an extension keeps its source's tempo and key).

    ``singer_name``: "neural" (Kokoro, fitted to the persona), "formant" (eSpeak NG + WORLD, the
    fallback that always works) or "auto" (neural when its weights are installed). ``influence``
    (0..1): how much of the persona's fitted voice the neural singer uses.
    """
    if singer_name not in SINGERS:
        raise ParameterError(f"singer_name must be one of {SINGERS}")
    seed = int(seed)
    style = style if style is not None else style_from_tags(tags or "", seed)
    sections = parse_lyrics(lyrics or "")
    # Mandarin through the neural voice still breaks syllables apart (49 level onsets for 34 sung
    # syllables in tests/engine/dsp/test_quality.py), so songs with Chinese lines keep the formant voice.
    has_mandarin = any(line.language == "zh" for section in sections for line in section.lines)
    neural = singer_name == "neural" or (singer_name == "auto" and not has_mandarin
                                         and neural_singer.neural_voice_available())
    count_syllables = kokoro.syllable_count if neural else singer.syllable_count
    voice = singer.voice_for(voice_profile, tags or "")
    if vocal_range_midi is None and voice_profile and voice_profile.get("low_hz") and voice_profile.get("high_hz"):
        vocal_range_midi = (hz_to_midi(voice_profile["low_hz"]), hz_to_midi(voice_profile["high_hz"]))
    elif vocal_range_midi is None and voice.register == "male":
        vocal_range_midi = (48.0, 62.0)  # C3–D4: where the default male voice sits comfortably
    if not make_instrumental:
        # The singer's own syllable count decides how many notes each line gets.
        for section in sections:
            for line in section.lines:
                count = count_syllables(line.sung_text, line.language)
                if count:
                    line.syllables = count
    score = compose(sections, style, seed=seed, vocal_range_midi=vocal_range_midi)
    sing = bool(score.sung_lines) and not make_instrumental
    band = render_band(score, sr=sr, seed=seed, play_melody=not sing and bool(score.melody))
    n = band.shape[0]
    if sing and neural:
        lines = [(line.text, line.language, line.notes, line.backing) for line in score.sung_lines]
        lead, backing = neural_singer.sing(lines, voice=voice, sr=sr, n_samples=n, influence=influence)
    elif sing:
        lines = [(singer.speak_line(line.text, line.language, voice=voice.register), line.notes, line.backing)
                 for line in score.sung_lines]
        lead, backing = singer.sing(lines, voice=voice, sr=sr, n_samples=n)
    else:
        lead, backing = np.zeros(n, dtype=np.float32), None
    mix, vocal_st, band_st = mix_song(lead, band, sr=sr, backing_stereo=backing)
    mastered, curve = master_curve(mix, sr=sr)
    band_out = (band_st * curve[:, None]).astype(np.float32)
    vocal_out = (vocal_st.mean(axis=1) * curve).astype(np.float32) if sing else np.zeros(n, dtype=np.float32)
    return RenderedSong(mix=np.ascontiguousarray(mastered, dtype=np.float32), vocal=vocal_out,
                        band=np.ascontiguousarray(band_out), sr=sr, duration_s=n / sr,
                        style=score.style, score=score, voice=voice if sing else None)
