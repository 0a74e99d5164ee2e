"""End-to-end song rendering: lyrics + tags (+ a persona's voice profile) + seed → mastered mix and stems.

``render_song`` parses the lyrics, derives a style from the tags, lets eSpeak NG
count each line's syllables (so every sung syllable gets exactly one note group),
composes a score, renders the band, sings the words with the WORLD-based voice
shaped by the persona (or a default voice chosen by the tags), mixes (ducking,
width), masters to -14 LUFS / ≤ -1 dBTP, and scales the stems with the very same
per-sample mastering gain so that ``vocal`` (dual-mono) + ``band`` ≈ ``mix``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .dsp import voice as singer
from .dsp.band import band_length_samples, band_stems, oscillator_parts
from .dsp.composer import Score, Style, compose, style_from_tags
from .dsp.errors import ParameterError
from .dsp.lyrics import parse_lyrics
from .dsp.mix import MixedSong, master_curve, mix_song
from .dsp.profile import hz_to_midi
from .instruments import soundfont
from .instruments.band import sampled_parts
from .voice import kokoro
from .voice import singer as neural_singer


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
    # Every stem, (n, 2) float32, mastered with the mix's own gain so they sum to it: "lead vocal",
    # "backing vocals", "drums", "bass", "keys" or "guitars", "lead"; only those that sound.
    stems: dict[str, np.ndarray] = field(default_factory=dict)
    band_instruments: str = "oscillators"  # or "sampled" (the General MIDI SoundFont)


SINGERS = ("auto", "neural", "formant")
# The neural voice sings in a thread of its own while the band is rendered (both only read the
# score): the band's FluidSynth and numpy work is on one core, the voice's graph keeps the other
# busy meanwhile (scripts/bench_singer.py). False: the band, then the voice.
VOICE_WITH_BAND = True
BANDS = ("auto", "sampled", "oscillators")


def render_song(
    *,
    lyrics: str,
    tags: str,
    seed: int,
    voice_profile: dict | None = None,
    vocal_range_midi: tuple[float, float] | None = None,
    make_instrumental: bool = False,
    sr: int = 44100,
    style: Style | None = None,
    singer_name: str = "auto",
    influence: float = 1.0,
    band_name: str = "auto",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> RenderedSong:
    """Render a song: lyrics + tags (+ a persona's voice profile) + seed -> mastered mix and stems.

    Parameters
    ----------
    lyrics : str
        The lyrics, ``[Verse]``-style tags optional; empty for an instrumental.
    tags : str
        Style text; with ``seed`` it gives the style unless ``style`` is given.
    seed : int
        Makes the render repeatable: the same inputs give the same song.
    voice_profile : dict or None
        A persona's ``VoiceProfile`` dict (plus its fitted neural voice); None for a voice chosen by the tags.
    vocal_range_midi : tuple of (float, float) or None
        The melody's (low, high) range in MIDI notes; by default the profile's range, or C3-D4 for a male voice.
    make_instrumental : bool
        Play the melody on the lead instrument instead of singing it.
    sr : int
        Sample rate of the result in Hz.
    style : Style or None
        Overrides the one the tags and seed would give (an extension keeps its source's tempo and key).
    singer_name : str
        "neural" (Kokoro, fitted to the persona), "formant" (eSpeak NG + WORLD, the fallback that always
        works) or "auto" (neural when its weights are installed and no line is Chinese).
    influence : float
        0..1: how much of the persona's fitted voice the neural singer uses.
    band_name : str
        "sampled" (a General MIDI SoundFont through FluidSynth), "oscillators" (synthesised here, the
        fallback) or "auto" (sampled when FluidSynth and a SoundFont are installed).
    on_progress : callable or None
        ``on_progress(stage, done, total)`` hears how far the render is: ("band", 0, 1), then
        ("singing", k, n) as each of the n sung lines starts and ("singing", n, n) after the last, then
        ("mixing", 0, 1).

    Returns
    -------
    RenderedSong
        At ``sr`` Hz, float32: the mix (n, 2) mastered to -14 LUFS and <= -1 dBTP, the vocal (n,), the band
        (n, 2) and every stem (n, 2), all scaled by the mix's mastering gain; with the style and score.

    Raises
    ------
    ParameterError
        When ``singer_name`` or ``band_name`` is not one of ``SINGERS`` / ``BANDS``.
    """
    if singer_name not in SINGERS:
        raise ParameterError(f"singer_name must be one of {SINGERS}")
    if band_name not in BANDS:
        raise ParameterError(f"band_name must be one of {BANDS}")
    seed = int(seed)
    style = style if style is not None else style_from_tags(tags or "", seed)
    sections = parse_lyrics(lyrics or "")
    neural = _sings_neural(sections, singer_name=singer_name)
    voice = singer.voice_for(voice_profile, tags or "")
    vocal_range_midi = _vocal_range_midi(vocal_range_midi, voice_profile=voice_profile, voice=voice)
    if not make_instrumental:
        _count_syllables(sections, neural=neural)
        if neural:
            vocal_range_midi = neural_singer.melody_range_midi(vocal_range_midi, voice=voice)
    score = compose(sections, style, seed=seed, vocal_range_midi=vocal_range_midi)
    sing = bool(score.sung_lines) and not make_instrumental
    sampled = band_name == "sampled" or (band_name == "auto" and soundfont.available())
    report = on_progress or _no_progress
    n = band_length_samples(score, sr=sr)
    sing_neural = (
        _neural_lines_singer(score, voice=voice, sr=sr, n_samples=n, influence=influence) if sing and neural else None
    )
    voice_job = _Background(sing_neural) if sing_neural is not None and VOICE_WITH_BAND else None
    report("band", 0, 1)
    band = _band_stems(
        score, sr=sr, seed=seed, sampled=sampled, play_melody=not sing and bool(score.melody), voice_job=voice_job
    )
    if voice_job is not None:
        lead, backing = voice_job.result(report)
    elif sing_neural is not None:
        lead, backing = sing_neural(report)
    elif sing:
        lead, backing = _sing_formant(score, report, voice=voice, sr=sr, n_samples=n)
    else:
        lead, backing = np.zeros(n, dtype=np.float32), None
    report("mixing", 0, 1)
    mixed = mix_song(lead, band, sr=sr, backing_stereo=backing, overwrite_band=True)
    del band, lead, backing
    return RenderedSong(
        mix=_master_in_place(mixed, sr=sr),
        band=mixed.band,
        vocal=mixed.vocal.mean(axis=1, dtype=np.float32) if sing else np.zeros(n, dtype=np.float32),
        sr=sr,
        duration_s=n / sr,
        style=score.style,
        score=score,
        voice=voice if sing else None,
        stems=mixed.stems,
        band_instruments="sampled" if sampled else "oscillators",
    )


def _sings_neural(sections: list, *, singer_name: str) -> bool:
    """Whether the neural voice sings: asked for, or "auto" with its weights installed and no Chinese line."""
    # Mandarin through the neural voice still breaks syllables apart (49 level onsets for 34 sung
    # syllables in tests/engine/dsp/test_quality.py), so songs with Chinese lines keep the formant voice.
    has_mandarin = any(line.language == "zh" for section in sections for line in section.lines)
    return singer_name == "neural" or (
        singer_name == "auto" and not has_mandarin and neural_singer.neural_voice_available()
    )


def _vocal_range_midi(
    vocal_range_midi: tuple[float, float] | None, *, voice_profile: dict | None, voice: singer.VoiceSettings
) -> tuple[float, float] | None:
    """The melody's (low, high) range in MIDI notes: the one asked for, else the persona's, else C3-D4 for
    the default male voice; None leaves it to the composer."""
    if vocal_range_midi is not None:
        return vocal_range_midi
    if voice_profile and voice_profile.get("low_hz") and voice_profile.get("high_hz"):
        return (hz_to_midi(voice_profile["low_hz"]), hz_to_midi(voice_profile["high_hz"]))
    if voice.register == "male":
        return (48.0, 62.0)  # where the default male voice sits comfortably
    return None


def _count_syllables(sections: list, *, neural: bool) -> None:
    """Set each line's ``syllables`` to what its singer counts, which decides how many notes it gets."""
    count_syllables = kokoro.syllable_count if neural else singer.syllable_count
    for section in sections:
        for line in section.lines:
            count = count_syllables(line.sung_text, line.language)
            if count:
                line.syllables = count


def _neural_lines_singer(
    score: Score, *, voice: singer.VoiceSettings, sr: int, n_samples: int, influence: float
) -> Callable[[Callable[[str, int, int], None]], tuple]:
    """``sing(report)``: the neural voice sings the score's lines, giving (lead, backing) at ``sr`` Hz."""
    lines = [(line.text, line.language, line.notes, line.backing) for line in score.sung_lines]

    def sing_lines(tell):
        return neural_singer.sing(_counted(lines, tell), voice=voice, sr=sr, n_samples=n_samples, influence=influence)

    return sing_lines


def _band_stems(
    score: Score, *, sr: int, seed: int, sampled: bool, play_melody: bool, voice_job: _Background | None
) -> dict[str, np.ndarray]:
    """The band's stems; when it fails, the voice singing beside it is waited for before the failure is raised."""
    try:
        raw_parts = (
            sampled_parts(score, sr=sr, play_melody=play_melody)
            if sampled
            else oscillator_parts(score, sr=sr, seed=seed, play_melody=play_melody)
        )
        # The raw parts go when this returns, before the singing and the mix (a long song's are hundreds of MB).
        return band_stems(raw_parts, score, sr=sr)
    except BaseException:
        if voice_job is not None:
            voice_job.abandon()
        raise


def _sing_formant(
    score: Score, report: Callable[[str, int, int], None], *, voice: singer.VoiceSettings, sr: int, n_samples: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(lead, backing) at ``sr`` Hz: the formant voice speaks each line, then sings it."""
    lines = (
        (singer.speak_line(line.text, line.language, voice=voice.register), line.notes, line.backing)
        for line in score.sung_lines
    )
    return singer.sing(_counted(lines, report, total=len(score.sung_lines)), voice=voice, sr=sr, n_samples=n_samples)


def _master_in_place(mixed: MixedSong, *, sr: int) -> np.ndarray:
    """The mix mastered in place, and every stem scaled in place by the very same gain: no second copy of any."""
    mastered, curve = master_curve(mixed.mix, sr=sr, overwrite_input=True)
    for stem in mixed.stems.values():
        stem *= curve[:, None]
    return mastered


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _counted(lines: Iterable, report: Callable[[str, int, int], None], *, total: int | None = None) -> Iterator:
    """`lines`, one at a time, reporting ("singing", k, n) as line k is handed to the singer and (n, n) after
    the last: the singers take each line once, in order, so this is how far the singing is."""
    total = len(lines) if total is None else total
    for done, line in enumerate(lines):
        report("singing", done, total)
        yield line
    report("singing", total, total)


class _Background:
    """``fn(tell)`` run in a thread of its own. What it tells (``tell(*report)``) waits in a queue and is
    passed on by the thread that calls ``result``: progress is reported where it always was (a worker's
    database connection belongs to its own thread) and in the order it happened."""

    def __init__(self, fn: Callable) -> None:
        self._told: queue.SimpleQueue = queue.SimpleQueue()
        self._out = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), name="render-voice", daemon=True)
        self._thread.start()

    def _run(self, fn: Callable) -> None:
        try:
            self._out = fn(lambda *report: self._told.put(report))
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self._told.put(None)

    def result(self, report: Callable[[str, int, int], None]):
        """Wait for ``fn``, passing on what it tells to ``report``; its return value, or its exception raised here."""
        while (told := self._told.get()) is not None:
            report(*told)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._out

    def abandon(self) -> None:
        """Wait for ``fn`` to end (its result and reports unused): the render failed elsewhere."""
        self._thread.join()
