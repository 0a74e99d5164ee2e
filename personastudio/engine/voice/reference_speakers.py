"""Reference speakers for the tests: MBROLA diphone voices of real people, made to sing.

A persona (a singer fitted to a user's clip) is judged by how much it sounds
like the person in the clip. To test that without recordings of people, the
tests synthesise clips of several real speakers: MBROLA's diphone databases are
cut from recordings of one real speaker each, and MBROLA renders any phoneme
durations and pitch points it is given, so the speaker can sing exact notes.

Debian packages (``scripts/install_reference_voices.sh``): ``espeak-ng``,
``mbrola`` (contrib) and the voices ``mbrola-us1``/``us2``/``us3``/``en1``/
``de1``/``fr4``/``de2`` (non-free). They are test data only: except ``en1``
(BSD-like) their licences say they may not be sold or be part of a product
that is sold.

How a clip is sung (``sung_take``):

1. eSpeak NG writes the MBROLA phoneme file of each line (``espeak-ng -v mb-us1
   -q --pho``): phonemes with durations and pitch points. The German and French
   voices read English through eSpeak's ``mb-de1-en``-style tables (accented,
   but the speaker is real).
2. Every vowel phoneme (with an r-colouring that follows it in some tables) is
   the nucleus of a syllable; each syllable gets one note of a simple tune in
   the speaker's range (major scale, mostly stepwise, the line ending on the
   tonic or fifth), 1–2 beats at 90–110 bpm, one beat of rest between lines.
3. Consonants keep eSpeak's durations: those before a vowel are placed just
   before its note so the vowel starts on the beat; the vowel is stretched to
   fill the rest of the note. eSpeak's pauses inside a line are dropped (legato).
4. The pitch points are replaced by the tune: the note's pitch, short glides
   between notes, delayed vibrato (5–6 Hz, ±20–30 cents).
5. ``mbrola`` renders the WAV; it is read, peak-normalised and resampled.

Everything is deterministic for a given speaker, line set and seed. A 30 s
clip takes a few tenths of a second (eSpeak + MBROLA are both tiny).

No Django here: numpy, scipy and subprocess only.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from ..dsp.audio_io import resample

__all__ = [
    "Speaker",
    "SungTake",
    "available_speakers",
    "speaker",
    "sung_clip",
    "sung_take",
    "spoken_clip",
    "FIT_LINES",
    "HELDOUT_LINES",
    "OTHER_WORDS_LINES",
    "PHRASES",
    "MBROLA_DIR",
]

MBROLA_DIR = Path(os.environ.get("MBROLA_VOICES", "/usr/share/mbrola"))

# --------------------------------------------------------------------------- lines

#: The persona's clip: 28–36 s when sung, 31 s on average (38 syllables at 90–110 bpm; 0.9 s of lead-in and tail).
FIT_LINES = [
    "Walking down the river in the light",
    "Every window has a story to tell",
    "I can hear the music from the hill",
    "Hold my hand and we will find the way home",
]

#: The held-back reference (other words, never used in fitting): 15–20 s sung.
HELDOUT_LINES = [
    "Yellow leaves are dancing in the autumn breeze",
    "Nobody remembers what the old man said",
]

#: A third set, "the speaker singing other words", for the likeness normaliser: 14–20 s sung.
OTHER_WORDS_LINES = [
    "Candles burning softly by the kitchen door",
    "Seven horses running through the open field",
]

#: Spoken phrases of 8–12 common words (intelligibility checks).
PHRASES = [
    "The weather will be cold and windy all day tomorrow",
    "Please call the office before you leave the building",
    "She bought three apples and a loaf of bread",
    "We need to finish the report by next Monday",
    "The children played in the park after school",
]

# --------------------------------------------------------------------------- speakers


@dataclass(frozen=True)
class Speaker:
    """One real speaker's MBROLA voice.

    ``low_midi``..``high_midi`` is the range the tunes stay in (a comfortable
    singing range for the register, near the pitch the voice was recorded at,
    where MBROLA's resynthesis sounds natural).
    """

    name: str  # MBROLA database name, e.g. "us1"
    register: str  # "female" | "male"
    language: str  # language of the recording, e.g. "en-US", "de"
    low_midi: int
    high_midi: int
    espeak_voice: str  # eSpeak NG voice that writes English .pho files for this database
    merge_after_vowel: frozenset[str] = frozenset()  # phonemes that colour the vowel before them

    @property
    def database(self) -> Path:
        return MBROLA_DIR / self.name / self.name


_GERMAN_R = frozenset({"6"})  # German vocalic r: "Morning" -> m O 6 n I N
_FRENCH_R = frozenset({"@"})  # the French table's r after a vowel: m O @ n i N

#: Every speaker this module knows; ``available_speakers`` keeps the installed ones.
SPEAKERS = (
    Speaker("us1", "female", "en-US", 55, 72, "mb-us1"),
    Speaker("us2", "male", "en-US", 43, 60, "mb-us2"),
    Speaker("us3", "male", "en-US", 45, 62, "mb-us3"),
    Speaker("en1", "male", "en-GB", 43, 60, "mb-en1"),
    Speaker("de1", "female", "de", 55, 72, "mb-de1-en", _GERMAN_R),
    Speaker("fr4", "female", "fr", 57, 74, "mb-fr4-en", _FRENCH_R),
    Speaker("de2", "male", "de", 43, 60, "mb-de2-en", _GERMAN_R),
)


def tools_available() -> bool:
    """Are the ``espeak-ng`` and ``mbrola`` programs on PATH?"""
    return shutil.which("espeak-ng") is not None and shutil.which("mbrola") is not None


def available_speakers() -> list[Speaker]:
    """The speakers whose MBROLA database is installed (empty without espeak-ng/mbrola)."""
    if not tools_available():
        return []
    return [s for s in SPEAKERS if s.database.is_file()]


def speaker(name: str) -> Speaker:
    """The installed speaker called ``name`` (LookupError when it is not installed)."""
    for s in available_speakers():
        if s.name == name:
            return s
    raise LookupError(f"MBROLA voice {name!r} is not installed (scripts/install_reference_voices.sh)")


# --------------------------------------------------------------------------- eSpeak: phonemes

Phone = tuple[str, float, tuple[tuple[float, float], ...]]  # (phoneme, duration_ms, ((percent, hz), ...))

_VOWEL_START = set("aeiouAEIOUVQY@{23679&")


def _is_vowel(ph: str) -> bool:
    return ph[0] in _VOWEL_START or "=" in ph  # "=": syllabic consonant (r=, l=)


SPEECH_WPM = 150  # eSpeak's default 175 was harder to recognise (PocketSphinx WER 18 % vs 10 % at 150)


@functools.lru_cache(maxsize=512)
def _phonemes(espeak_voice: str, text: str, wpm: int = SPEECH_WPM) -> tuple[Phone, ...]:
    """eSpeak NG's MBROLA phonemes for ``text`` at ``wpm`` words a minute (pauses included)."""
    out = subprocess.run(
        ["espeak-ng", "-v", espeak_voice, "-s", str(int(wpm)), "-q", "--pho", text],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    phones = []
    for row in out.splitlines():
        cols = row.split()
        if len(cols) < 2 or cols[0].startswith(";"):
            continue
        nums = [float(c) for c in cols[2:]]
        phones.append((cols[0], float(cols[1]), tuple(zip(nums[0::2], nums[1::2]))))
    return tuple(phones)


@dataclass
class _Syllable:
    onset: list[tuple[str, float]]  # consonants before the nucleus
    nucleus: list[tuple[str, float]]  # the vowel (plus any colouring phonemes)


def _syllables(spk: Speaker, line: str) -> tuple[list[_Syllable], list[tuple[str, float]]]:
    """The line's syllables and its final coda consonants; pauses inside the line are dropped."""
    sylls: list[_Syllable] = []
    pending: list[tuple[str, float]] = []
    prev_vowel = False
    for ph, dur, _ in _phonemes(spk.espeak_voice, line):
        if ph == "_":
            continue
        if _is_vowel(ph):
            if prev_vowel and (ph in spk.merge_after_vowel) and not pending:
                sylls[-1].nucleus.append((ph, dur))
            else:
                sylls.append(_Syllable(pending, [(ph, dur)]))
                pending = []
            prev_vowel = True
        else:
            pending.append((ph, dur))
            prev_vowel = False
    if not sylls:
        raise ValueError(f"no syllable in {line!r}")
    return sylls, pending


# --------------------------------------------------------------------------- the tune

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
LEAD_IN_S = 0.5
TAIL_S = 0.4


@dataclass(frozen=True)
class SungTake:
    """A sung clip and the notes it sings: (start_s, dur_s, midi), one per syllable, in clip time."""

    samples: np.ndarray
    sr: int
    notes: list[tuple[float, float, float]]
    bpm: float


def _degree_midi(tonic: int, degree: int) -> int:
    return tonic + 12 * (degree // 7) + _MAJOR[degree % 7]


def _tune(spk: Speaker, counts: list[int], rng: np.random.Generator) -> tuple[float, list[list[tuple[float, int]]]]:
    """(bpm, per line [(beats, midi), ...]) for lines of ``counts`` syllables."""
    bpm = float(rng.uniform(90.0, 110.0))
    span = spk.high_midi - spk.low_midi
    tonic = spk.low_midi + int(rng.integers(2, max(3, span // 3)))
    degrees = [d for d in range(-14, 21) if spk.low_midi <= _degree_midi(tonic, d) <= spk.high_midi]
    lo, hi = degrees[0], degrees[-1]
    mid = (lo + hi) / 2.0
    deg = int(np.clip(int(rng.choice([0, 2, 4])), lo, hi))
    lines = []
    for n in counts:
        notes = []
        for i in range(n):
            last = i == n - 1
            if last:  # land on the tonic or the fifth nearest the current degree
                homes = [d for d in range(lo, hi + 1) if d % 7 in (0, 4)]
                deg = min(homes, key=lambda d: (abs(d - deg), d % 7))
            elif i:  # mostly steps, pulled back towards the middle of the range
                step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2]))
                if abs(deg + step - mid) > abs(deg - mid) and rng.random() < abs(deg - mid) / (hi - lo + 1) * 2:
                    step = -step
                deg = int(np.clip(deg + step, lo, hi))
            beats = 2.0 if last else float(rng.choice([1.0] * 8 + [1.5, 2.0]))
            notes.append((beats, _degree_midi(tonic, deg)))
        lines.append(notes)
    return bpm, lines


def _pitch_curve(
    notes: list[tuple[float, float, float]], total_s: float, rng: np.random.Generator, step_s: float = 0.005
) -> tuple[np.ndarray, np.ndarray]:
    """(times, hz): the notes' pitches with glides into each note and delayed vibrato."""
    t = np.arange(0.0, total_s + step_s, step_s)
    midi = np.full(len(t), float(notes[0][2]))
    vib = np.zeros(len(t))
    rate = float(rng.uniform(5.0, 6.0))
    depth = float(rng.uniform(20.0, 30.0)) / 100.0  # semitones
    glide_before, glide_after = 0.02, 0.04
    for k, (start, dur, m) in enumerate(notes):
        end = notes[k + 1][0] if k + 1 < len(notes) else total_s
        i0 = np.searchsorted(t, start - glide_before)
        midi[i0:] = m
        if k:  # cosine glide from the previous note
            prev = notes[k - 1][2]
            g = (t >= start - glide_before) & (t < start + glide_after)
            x = (t[g] - (start - glide_before)) / (glide_before + glide_after)
            midi[g] = prev + (m - prev) * (0.5 - 0.5 * np.cos(np.pi * x))
        if dur >= 0.3:  # vibrato ramps in after 0.15 s, fades before the next note
            s = (t >= start) & (t < min(end, start + dur))
            ramp = np.clip((t[s] - start - 0.15) / 0.25, 0.0, 1.0)
            ramp *= np.clip((start + dur - 0.03 - t[s]) / 0.08, 0.0, 1.0)
            vib[s] = depth * ramp * np.sin(2 * np.pi * rate * (t[s] - start) + rng.uniform(0, 0.3))
    return t, 440.0 * 2.0 ** ((midi + vib - 69.0) / 12.0)


def _pho_rows(
    events: list[tuple[str, float, float]], curve: tuple[np.ndarray, np.ndarray], rate: int, point_s: float = 0.03
) -> list[str]:
    """MBROLA .pho rows for (phoneme, start_s, dur_s) with pitch points from ``curve`` every ``point_s``.

    MBROLA makes each pitch period a whole number of samples, truncating
    ``rate / f0`` (at 16 kHz a note near 440 Hz came out up to 48 cents sharp);
    asking for ``rate / (rate / f0 + 0.5)`` rounds the period instead, which
    halves the worst error and removes the sharp bias.
    """
    t, hz = curve
    hz = rate / (rate / hz + 0.5)
    rows = []
    for ph, start, dur in events:
        if ph == "_":
            rows.append(f"_ {dur * 1000:.0f}")
            continue
        n = max(1, min(60, int(math.ceil(dur / point_s))))
        pos = np.linspace(0.0, 1.0, n + 1)
        f = np.interp(start + pos * dur, t, hz)
        pts = " ".join(f"{100 * p:.0f} {v:.1f}" for p, v in zip(pos, f))
        rows.append(f"{ph} {dur * 1000:.0f} {pts}")
    return rows


def _sung_events(spk: Speaker, lines: list[str], rng: np.random.Generator):
    """(events [(phoneme, start_s, dur_s)], notes, total_s, bpm) of the lines sung on a tune."""
    parsed = [_syllables(spk, line) for line in lines]
    bpm, tune = _tune(spk, [len(s) for s, _ in parsed], rng)
    beat = 60.0 / bpm
    events: list[tuple[str, float, float]] = []
    notes: list[tuple[float, float, float]] = []
    t = LEAD_IN_S
    for (sylls, coda), line_tune in zip(parsed, tune):
        starts = [t]
        for beats, _ in line_tune:
            starts.append(starts[-1] + beats * beat)
        line_end = starts[-1]
        # Onset consonants of the first syllable go before the line's first beat (in the rest).
        first_onset = sylls[0].onset
        cursor = starts[0] - sum(d for _, d in first_onset) / 1000.0
        for ph, d in first_onset:
            events.append((ph, cursor, d / 1000.0))
            cursor += d / 1000.0
        for k, (syl, (_beats, midi)) in enumerate(zip(sylls, line_tune)):
            note_start, note_end = starts[k], starts[k + 1]
            notes.append((note_start, note_end - note_start, float(midi)))
            after = sylls[k + 1].onset if k + 1 < len(sylls) else coda
            after_s = sum(d for _, d in after) / 1000.0
            room = note_end - note_start
            # The vowel keeps at least 55 % of the note: squeeze the following consonants if need be.
            squeeze = min(1.0, 0.45 * room / after_s) if after_s > 0 else 1.0
            after_s *= squeeze
            colour = syl.nucleus[1:]
            colour_s = min(sum(d for _, d in colour) / 1000.0, 0.15 * room)
            vowel_s = room - after_s - colour_s
            events.append((syl.nucleus[0][0], note_start, vowel_s))
            c = note_start + vowel_s
            for ph, d in colour:
                share = colour_s * (d / sum(dd for _, dd in colour))
                events.append((ph, c, share))
                c += share
            for ph, d in after:
                events.append((ph, c, squeeze * d / 1000.0))
                c += squeeze * d / 1000.0
        t = line_end + beat  # one beat of rest
    total = max(t - beat, events[-1][1] + events[-1][2]) + TAIL_S
    # Fill the gaps with pauses; MBROLA wants a pause first and last.
    filled, cursor = [], 0.0
    for ph, start, dur in events:
        if start > cursor + 1e-4:
            filled.append(("_", cursor, start - cursor))
        filled.append((ph, start, dur))
        cursor = start + dur
    filled.append(("_", cursor, max(total - cursor, 0.05)))
    return filled, notes, total, bpm


# --------------------------------------------------------------------------- MBROLA


def _mbrola(spk: Speaker, pho: str) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory(prefix="mbrola-") as tmp:
        wav = Path(tmp) / "out.wav"
        r = subprocess.run(
            ["mbrola", "-e", str(spk.database), "-", str(wav)], input=pho, capture_output=True, text=True, timeout=120
        )
        if r.returncode != 0 or not wav.exists():
            raise RuntimeError(f"mbrola {spk.name} failed ({r.returncode}): {r.stderr.strip()[:300]}")
        rate, data = wavfile.read(wav)
    return data.astype(np.float32) / 32768.0, int(rate)


@functools.cache
def _database_rate(spk: Speaker) -> int:
    """The sample rate the database synthesises at (16 kHz for every voice here)."""
    return _mbrola(spk, "_ 20\n")[1]


def _finish(x: np.ndarray, rate: int, sr: int, peak: float = 0.7) -> np.ndarray:
    x = resample(x, sr_from=rate, sr_to=sr).astype(np.float32, copy=False)
    m = float(np.max(np.abs(x))) if len(x) else 0.0
    return (x * (peak / m)).astype(np.float32) if m > 0 else x.astype(np.float32)


def _seed_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x5EED])


def sung_take(speaker: Speaker, *, lines: list[str], seed: int, sr: int) -> SungTake:
    """``speaker`` sings ``lines`` on a tune made from ``seed``; the clip with its notes.

    The same seed gives every speaker the same rhythm and melodic contour (moved
    into their own range), as long as their lines have the same syllable count.
    """
    events, notes, total, bpm = _sung_events(speaker, list(lines), _seed_rng(seed))
    curve = _pitch_curve(notes, total, _seed_rng(seed + 1))
    pho = "\n".join(_pho_rows(events, curve, _database_rate(speaker))) + "\n"
    x, rate = _mbrola(speaker, pho)
    return SungTake(_finish(x, rate, sr), int(sr), notes, bpm)


def sung_clip(speaker: Speaker, *, lines: list[str], seed: int, sr: int) -> np.ndarray:
    """``speaker`` sings ``lines`` (one note per syllable, 90–110 bpm): float32 mono at ``sr``."""
    return sung_take(speaker, lines=lines, seed=seed, sr=sr).samples


def spoken_clip(speaker: Speaker, *, text: str, sr: int, wpm: int = SPEECH_WPM) -> np.ndarray:
    """``speaker`` says ``text`` with eSpeak NG's prosody at ``wpm`` words a minute: float32 mono at ``sr``."""
    phones = _phonemes(speaker.espeak_voice, text, int(wpm))
    rows = ["_ 200"]
    for ph, dur, pts in phones:
        rows.append(" ".join([ph, f"{dur:.0f}"] + [f"{p:.0f} {h:.0f}" for p, h in pts]))
    rows.append("_ 200")
    x, rate = _mbrola(speaker, "\n".join(rows) + "\n")
    return _finish(x, rate, sr)
