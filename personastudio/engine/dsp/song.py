"""End-to-end song rendering: lyrics + tags + seed → mastered mix and stems.

``render_song`` parses the lyrics, derives a style from the tags, composes a
score, renders the band and the wordless lead voice, mixes (ducking, width),
masters to -14 LUFS / ≤ -1 dBTP, and scales the stems with the very same
per-sample mastering gain so that ``vocal`` (dual-mono) + ``band`` ≈ ``mix``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .band import render_band, render_lead
from .composer import Score, Style, compose, style_from_tags
from .lyrics import parse_lyrics
from .mix import master_curve, mix_song


@dataclass
class RenderedSong:
    mix: np.ndarray  # (n, 2) float32
    vocal: np.ndarray  # (n,) float32, zeros when instrumental
    band: np.ndarray  # (n, 2) float32
    sr: int
    duration_s: float
    style: Style
    score: Score


def render_song(*, lyrics: str, tags: str, seed: int,
                vocal_range_midi: tuple[float, float] | None = None,
                make_instrumental: bool = False, sr: int = 44100) -> RenderedSong:
    seed = int(seed)
    style = style_from_tags(tags or "", seed)
    sections = parse_lyrics(lyrics or "")
    score = compose(sections, style, seed=seed, vocal_range_midi=vocal_range_midi)
    sing = bool(score.melody) and not make_instrumental
    band = render_band(score, sr=sr, seed=seed, play_melody=(not sing and bool(score.melody)))
    n = band.shape[0]
    if sing:
        vocal = render_lead(score, sr=sr)[:n]
    else:
        vocal = np.zeros(n, dtype=np.float32)
    mix, vocal_st, band_st = mix_song(vocal, band, sr=sr)
    mastered, curve = master_curve(mix, sr=sr)
    band_out = (band_st * curve[:, None]).astype(np.float32)
    if sing:
        vocal_out = (vocal_st.mean(axis=1) * curve).astype(np.float32)
    else:
        vocal_out = np.zeros(n, dtype=np.float32)
    return RenderedSong(mix=np.ascontiguousarray(mastered, dtype=np.float32), vocal=vocal_out,
                        band=np.ascontiguousarray(band_out), sr=sr, duration_s=n / sr,
                        style=score.style, score=score)
