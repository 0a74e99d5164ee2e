"""Rule-based composer: tags → :class:`Style`, sections → :class:`Score`.

Style
-----
``style_from_tags`` reads free tag text (comma/space separated, English or
Chinese) and looks every known word up in :data:`STYLE_TABLE`.  Each entry
contributes some of:

``genre``      the arrangement family (pop, rock, ballad, folk, electronic,
               hip-hop, jazz, chinese) – the first genre word found wins;
``tempo``      the genre's base tempo in BPM (:data:`_GENRE_DEFAULTS`);
``mode``       ``"major"``/``"minor"`` – the first mood word overrides the
               genre default;
``tempo_min``/``tempo_max``  clamps applied after the genre tempo
               ("ballad"/"抒情"/"slow"/"慢" → ≤ 80, "upbeat"/"dance"/"fast"/"快" → ≥ 120,
               "mid-tempo"/"中速" → 90..112);
``tempo_mul``  a multiplier (happy/欢快 speeds up a little, sad/伤感 slows down);
``swing``      0..1 amount of eighth-note swing (jazz, blues, swing);
``energy``     0..1 arrangement density.

Explicit values win over the table: ``"120 bpm"`` sets the tempo, ``"A minor"``,
``"F# major"``, ``"C大调"``/``"A小调"`` set key and mode.  Unknown tags fall
back to pop (100 BPM, major).  The seed picks the key root (G3..F#4) when none
is given, jitters the tempo by a few BPM inside the clamps and, for pop, folk,
rock and jazz without a mood word, picks minor one time in five.

Score
-----
``compose`` lays sections out in 4/4: a lead lyric line takes 2 bars (4 when it
has more syllables than fit comfortably), a backing line 1 bar (2 when long),
a section without lines takes 4 bars of band only; a 2-bar intro and outro are
added when missing.  Every section kind has a diatonic chord progression (one
chord per bar, natural minor in minor mode) picked by the seed.

Melody.  Each lead line is sung to a *tune template* chosen by (section kind,
line index within the section): so every chorus is identical at each repeat
and all verses share their tune.  A template fixes a pitch contour (five
anchor points in scale steps around the section's centre: choruses sit higher
than verses) and a melisma habit; the rhythm is generated for the line's
syllable count (eighths with some longer notes, a long phrase-final note and a
breath), so two verse lines with the same syllable count get the very same
notes and lines with other counts follow the same contour.  Strong-beat
syllables snap to chord tones, leaps are limited to a fifth, every line ends on
a *stable* tone (a tone of both the bar's chord and the tonic triad), the last
line of a section ends on the tonic where the chord allows.  The syllable
count is whatever ``line.syllables`` says at call time (a singer may overwrite
it with its own count).

* Melisma: a long phrase-final syllable (≥ 3/8 of a bar) may be sung on two
  notes (a neighbour tone sliding into the stable tone); ballad and chinese
  styles also slur some long inner syllables.
* Chinese lines (``language == "zh"`` with one tone per syllable) let the tone
  shape the contour: tone 1 nudges up, tone 3 down, and after the main
  pitches are fixed a pass enforces tone 2 (rising) → the next note is not
  lower, tone 4 (falling) → the next note is not higher: a wrong-way note
  becomes one scale step in the tone's direction (a repeated note at the
  edge of the range, which is always allowed); before a fixed phrase-final
  note the earlier notes move instead.  A melisma on a tone-2
  syllable rises into its main note, on a tone-4 syllable it falls.
* Backing lines (parenthesised) are an *echo*: they get their own bar(s)
  right after the preceding lead line and repeat its last pitches softly, so
  they never overlap the lead in time.

``Score.sung_lines`` gives each line as a :class:`SungLine` with exactly one
``(start_s, dur_s, midi)`` per syllable in song time (a melisma syllable:
first note start, total duration, main pitch); ``Score.melody`` keeps every
note.  ``Score.counter`` is an instrumental lead/counter line: in intros,
instrumentals and outros it plays the chorus hook (or a generated tune when the
song has no lyrics), in sung sections short chord-tone answer licks fill the
gaps between vocal lines (not in hip-hop), never overlapping a sung note.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from .lyrics import Line, Section

# --------------------------------------------------------------------------- style

GENRES = ("pop", "rock", "ballad", "folk", "electronic", "hip-hop", "jazz", "chinese")

_GENRE_DEFAULTS: dict[str, dict] = {
    "pop": dict(tempo=100.0, mode="major", swing=0.0, energy=0.6),
    "rock": dict(tempo=124.0, mode="major", swing=0.0, energy=0.85),
    "ballad": dict(tempo=72.0, mode="major", swing=0.0, energy=0.35),
    "folk": dict(tempo=92.0, mode="major", swing=0.0, energy=0.45),
    "electronic": dict(tempo=124.0, mode="minor", swing=0.0, energy=0.8),
    "hip-hop": dict(tempo=90.0, mode="minor", swing=0.15, energy=0.65),
    "jazz": dict(tempo=112.0, mode="major", swing=0.6, energy=0.5),
    "chinese": dict(tempo=84.0, mode="major", swing=0.0, energy=0.45),
}

#: Each genre's band as General MIDI instruments (0-based programs; "kit" is a preset of bank 128).
#: "chords" and "pad" play the comping (engine.dsp.arrangement), "lead" the counter line and hooks.
GM_PROGRAMS: dict[str, dict[str, int]] = {
    "pop": dict(chords=4, pad=89, bass=33, lead=80, kit=0),  # Rhodes, warm pad, finger bass, square lead
    "rock": dict(chords=29, pad=-1, bass=34, lead=30, kit=16),  # overdriven / distortion guitar, pick bass
    "ballad": dict(chords=0, pad=49, bass=33, lead=48, kit=40),  # grand piano, slow strings, brushes
    "folk": dict(chords=25, pad=-1, bass=32, lead=105, kit=8),  # steel-string guitar, upright bass, banjo
    "electronic": dict(chords=90, pad=89, bass=38, lead=81, kit=24),  # polysynth, synth bass, saw lead
    "hip-hop": dict(chords=4, pad=-1, bass=38, lead=9, kit=25),  # Rhodes, synth bass, glockenspiel, 808
    "jazz": dict(chords=0, pad=-1, bass=32, lead=11, kit=32),  # piano, upright bass, vibraphone
    "chinese": dict(chords=107, pad=49, bass=33, lead=73, kit=0),  # koto (for guzheng), strings, flute
}

#: tag word → style contribution (see module docstring).
STYLE_TABLE: dict[str, dict] = {
    # genres
    "pop": {"genre": "pop"},
    "流行": {"genre": "pop"},
    "k-pop": {"genre": "pop"},
    "kpop": {"genre": "pop"},
    "c-pop": {"genre": "pop"},
    "cpop": {"genre": "pop"},
    "华语": {"genre": "pop"},
    "r&b": {"genre": "pop", "tempo_max": 96},
    "rnb": {"genre": "pop", "tempo_max": 96},
    "soul": {"genre": "pop", "tempo_max": 100},
    "节奏布鲁斯": {"genre": "pop", "tempo_max": 96},
    "rock": {"genre": "rock"},
    "摇滚": {"genre": "rock"},
    "punk": {"genre": "rock", "tempo_min": 140},
    "metal": {"genre": "rock", "mode": "minor", "tempo_min": 130},
    "金属": {"genre": "rock", "mode": "minor"},
    "grunge": {"genre": "rock", "mode": "minor"},
    "朋克": {"genre": "rock", "tempo_min": 140},
    "ballad": {"genre": "ballad", "tempo_max": 80},
    "抒情": {"genre": "ballad", "tempo_max": 80},
    "piano": {"genre": "ballad"},
    "钢琴": {"genre": "ballad"},
    "lullaby": {"genre": "ballad", "tempo_max": 72},
    "摇篮曲": {"genre": "ballad", "tempo_max": 72},
    "情歌": {"genre": "ballad", "tempo_max": 84},
    "cinematic": {"genre": "ballad", "mode": "minor"},
    "epic": {"genre": "ballad", "energy": 0.7},
    "史诗": {"genre": "ballad", "energy": 0.7},
    "folk": {"genre": "folk"},
    "acoustic": {"genre": "folk"},
    "民谣": {"genre": "folk"},
    "country": {"genre": "folk"},
    "indie": {"genre": "folk"},
    "guitar": {"genre": "folk"},
    "吉他": {"genre": "folk"},
    "乡村": {"genre": "folk"},
    "独立": {"genre": "folk"},
    "electronic": {"genre": "electronic"},
    "edm": {"genre": "electronic", "tempo_min": 120},
    "dance": {"genre": "electronic", "tempo_min": 120},
    "电子": {"genre": "electronic"},
    "舞曲": {"genre": "electronic", "tempo_min": 120},
    "house": {"genre": "electronic", "tempo_min": 120},
    "synth": {"genre": "electronic"},
    "techno": {"genre": "electronic", "tempo_min": 124},
    "synthwave": {"genre": "electronic"},
    "disco": {"genre": "electronic", "mode": "major", "tempo_min": 112},
    "hip-hop": {"genre": "hip-hop"},
    "hiphop": {"genre": "hip-hop"},
    "hip hop": {"genre": "hip-hop"},
    "rap": {"genre": "hip-hop"},
    "trap": {"genre": "hip-hop"},
    "说唱": {"genre": "hip-hop"},
    "嘻哈": {"genre": "hip-hop"},
    "jazz": {"genre": "jazz", "swing": 0.6},
    "爵士": {"genre": "jazz", "swing": 0.6},
    "blues": {"genre": "jazz", "swing": 0.5},
    "蓝调": {"genre": "jazz", "swing": 0.5},
    "bossa": {"genre": "jazz", "swing": 0.0},
    "swing": {"swing": 0.6},
    "lofi": {"genre": "hip-hop", "tempo_max": 88},
    "lo-fi": {"genre": "hip-hop", "tempo_max": 88},
    "chinese": {"genre": "chinese"},
    "古风": {"genre": "chinese"},
    "中国风": {"genre": "chinese"},
    "国风": {"genre": "chinese"},
    "oriental": {"genre": "chinese"},
    "古典": {"genre": "chinese"},
    "戏腔": {"genre": "chinese"},
    # moods
    "sad": {"mode": "minor", "tempo_mul": 0.92},
    "melancholy": {"mode": "minor", "tempo_mul": 0.92},
    "melancholic": {"mode": "minor", "tempo_mul": 0.92},
    "dark": {"mode": "minor"},
    "悲伤": {"mode": "minor", "tempo_mul": 0.92},
    "伤感": {"mode": "minor", "tempo_mul": 0.92},
    "忧伤": {"mode": "minor", "tempo_mul": 0.92},
    "孤独": {"mode": "minor"},
    "思念": {"mode": "minor"},
    "lonely": {"mode": "minor"},
    "heartbreak": {"mode": "minor"},
    "失恋": {"mode": "minor"},
    "angry": {"mode": "minor", "energy": 0.9},
    "aggressive": {"mode": "minor", "energy": 0.9},
    "愤怒": {"mode": "minor", "energy": 0.9},
    "mysterious": {"mode": "minor"},
    "神秘": {"mode": "minor"},
    "nostalgic": {"energy": 0.45},
    "怀旧": {"energy": 0.45},
    "dreamy": {"energy": 0.45},
    "梦幻": {"energy": 0.45},
    "happy": {"mode": "major", "tempo_mul": 1.1, "energy": 0.75},
    "joyful": {"mode": "major", "tempo_mul": 1.1, "energy": 0.75},
    "upbeat": {"mode": "major", "tempo_min": 120, "energy": 0.8},
    "欢快": {"mode": "major", "tempo_mul": 1.1, "tempo_min": 112, "energy": 0.75},
    "轻快": {"mode": "major", "tempo_min": 108, "energy": 0.7},
    "快乐": {"mode": "major", "tempo_mul": 1.1},
    "开心": {"mode": "major", "tempo_mul": 1.1},
    "甜蜜": {"mode": "major"},
    "hopeful": {"mode": "major"},
    "希望": {"mode": "major"},
    "bright": {"mode": "major"},
    "warm": {"mode": "major"},
    "温暖": {"mode": "major"},
    "energetic": {"tempo_mul": 1.1, "energy": 0.9},
    "热血": {"tempo_min": 120, "energy": 0.9},
    "激情": {"tempo_mul": 1.1, "energy": 0.9},
    "chill": {"tempo_max": 96, "energy": 0.4},
    "relaxing": {"tempo_max": 90, "energy": 0.35},
    "calm": {"tempo_max": 90, "energy": 0.35},
    "安静": {"tempo_max": 84, "energy": 0.3},
    "romantic": {"energy": 0.45},
    "浪漫": {"energy": 0.45},
    # tempo words
    "slow": {"tempo_max": 80},
    "慢": {"tempo_max": 80},
    "慢歌": {"tempo_max": 80},
    "慢板": {"tempo_max": 76},
    "fast": {"tempo_min": 120},
    "快": {"tempo_min": 120},
    "快歌": {"tempo_min": 120},
    "mid-tempo": {"tempo_min": 90, "tempo_max": 112},
    "midtempo": {"tempo_min": 90, "tempo_max": 112},
    "中速": {"tempo_min": 90, "tempo_max": 112},
}

_CJK_KEY = re.compile(r"[\u4e00-\u9fff]")
_BPM_RE = re.compile(r"(\d{2,3})\s*(?:bpm|拍)", re.I)
_KEY_RE = re.compile(r"(?<![A-Za-z])([A-G])([#♯b♭]?)\s*(major|minor|maj|min|大调|小调)(?![a-z])")
_NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass
class Style:
    genre: str = "pop"
    tempo_bpm: float = 100.0
    mode: str = "major"  # "major" | "minor"
    key_root_midi: int = 60  # tonic, in the octave 55..66
    swing: float = 0.0
    energy: float = 0.6
    pentatonic: bool = False
    tags: tuple[str, ...] = ()

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm

    @property
    def bar_s(self) -> float:
        return 4 * self.beat_s


def _seed_int(*parts) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode("utf-8")) & 0x7FFFFFFF


def _find_tag_words(tags: str) -> list[tuple[int, str]]:
    low = (tags or "").lower()
    hits: list[tuple[int, str]] = []
    for word in STYLE_TABLE:
        if _CJK_KEY.search(word):
            pos = low.find(word)
            # "快" inside "欢快"/"快乐" must not count as the tempo word on its own
            if pos >= 0 and len(word) == 1:
                longer = [w for w in STYLE_TABLE if len(w) > 1 and word in w and w in low]
                if longer:
                    continue
        else:
            m = re.search(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])", low)
            pos = m.start() if m else -1
        if pos >= 0:
            hits.append((pos, word))
    hits.sort()
    return hits


def style_from_tags(tags: str, seed: int) -> Style:
    """Build a :class:`Style` from tag text.

    Parameters
    ----------
    tags : str
        Free style text ("upbeat pop, female vocal"); words of ``STYLE_TABLE`` count, the first genre word wins.
    seed : int
        Picks the key root and the tempo jitter.

    Returns
    -------
    Style
        Genre, tempo (BPM), mode, key, swing and energy; pop defaults where the tags say nothing.
    """
    hits = _find_tag_words(tags)
    contribs = [STYLE_TABLE[w] for _, w in hits]
    genre = next((c["genre"] for c in contribs if "genre" in c), "pop")
    d = _GENRE_DEFAULTS[genre]
    rng = np.random.default_rng(_seed_int("style", seed))
    tempo = d["tempo"] + float(rng.integers(-4, 5))
    mode = d["mode"]
    swing = d["swing"]
    energy = d["energy"]
    tmin, tmax, mul = 0.0, 1e9, 1.0
    mode_set = False
    for c in contribs:
        if "mode" in c and not mode_set:
            mode, mode_set = c["mode"], True
        if "swing" in c:
            swing = max(swing, c["swing"]) if c["swing"] else 0.0
        if "energy" in c:
            energy = c["energy"] if "genre" not in c else energy
        if "tempo_min" in c:
            tmin = max(tmin, c["tempo_min"])
        if "tempo_max" in c:
            tmax = min(tmax, c["tempo_max"])
        if "tempo_mul" in c:
            mul *= c["tempo_mul"]
    tempo *= mul
    if tmin > tmax:  # contradictory words ("slow dance"): the first one found wins
        first = next(c for c in contribs if "tempo_min" in c or "tempo_max" in c)
        if "tempo_min" in first:
            tmax = 1e9
        else:
            tmin = 0.0
    if tempo < tmin:
        tempo = tmin + float(rng.integers(0, 8))
    if tempo > tmax:
        tempo = tmax - float(rng.integers(0, 8))
    m = _BPM_RE.search(tags or "")
    if m and 50 <= int(m.group(1)) <= 200:
        tempo = float(m.group(1))
    tempo = float(min(max(tempo, 50.0), 180.0))
    if not mode_set and genre in ("pop", "folk", "rock", "jazz") and rng.random() < 0.2:
        mode = "minor"  # a little variety between seeds
    key_root = 55 + int(rng.integers(0, 12))  # G3..F#4
    km = _KEY_RE.search(tags or "")
    if km:
        pc = (
            _NOTE_PC[km.group(1)]
            + (1 if km.group(2) in "#♯" and km.group(2) else 0)
            - (1 if km.group(2) in "b♭" and km.group(2) else 0)
        ) % 12
        key_root = 55 + (pc - 55) % 12
        mode = "minor" if km.group(3) in ("minor", "min", "小调") else "major"
    return Style(
        genre=genre,
        tempo_bpm=round(tempo, 1),
        mode=mode,
        key_root_midi=key_root,
        swing=float(swing),
        energy=float(energy),
        pentatonic=(genre == "chinese"),
        tags=tuple(w for _, w in hits),
    )


# --------------------------------------------------------------------------- score


@dataclass
class Note:
    start_s: float
    dur_s: float
    midi: float
    velocity: float = 0.8


@dataclass
class SungLine:
    """One lyric line as sung: exactly one ``(start_s, dur_s, midi)`` per syllable, in song time.

    ``text`` is the line's ``sung_text`` (a backing line without its parentheses);
    ``len(notes) == line.syllables`` as it was when ``compose`` ran (empty when 0).
    """

    text: str
    language: str
    backing: bool
    notes: list[tuple[float, float, float]]
    kind: str = ""  # section kind the line belongs to


@dataclass
class Score:
    style: Style
    sections: list[Section]
    chords: list[tuple[float, float, list[int]]]
    melody: list[Note]
    bass: list[Note]
    drum_hits: list[tuple[float, str, float]]
    duration_s: float
    line_spans: list[tuple[float, float]]
    section_spans: list[tuple[str, float, float]] = field(default_factory=list)
    counter: list[Note] = field(default_factory=list)
    sung_lines: list[SungLine] = field(default_factory=list)


MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]

# progressions as scale degrees (0 = tonic), one chord per bar
_PROGS = {
    "major": {
        "verse": [[0, 4, 5, 3], [0, 5, 3, 4], [5, 3, 0, 4], [0, 3, 5, 4], [0, 3, 0, 4]],
        "prechorus": [[3, 4, 2, 5], [1, 3, 4, 4], [3, 0, 1, 4]],
        "chorus": [[3, 4, 0, 5], [0, 4, 5, 3], [5, 3, 0, 4], [3, 0, 4, 5], [0, 3, 4, 0]],
        "bridge": [[5, 4, 3, 4], [1, 4, 0, 5], [3, 2, 1, 4]],
        "intro": [[0, 3, 0, 4], [0, 5, 3, 4]],
        "instrumental": [[3, 4, 0, 5], [0, 4, 5, 3]],
        "outro": [[3, 4, 0, 0], [3, 0, 4, 0]],
    },
    "minor": {
        "verse": [[0, 5, 2, 6], [0, 3, 5, 4], [0, 6, 5, 6], [0, 5, 3, 4]],
        "prechorus": [[3, 4, 5, 6], [5, 6, 3, 4]],
        "chorus": [[5, 6, 0, 0], [0, 5, 2, 6], [3, 5, 6, 0], [5, 2, 6, 0]],
        "bridge": [[5, 2, 6, 0], [3, 6, 2, 5]],
        "intro": [[0, 5, 3, 4], [0, 6, 5, 6]],
        "instrumental": [[5, 6, 0, 0], [0, 5, 2, 6]],
        "outro": [[5, 6, 0, 0], [3, 4, 0, 0]],
    },
}

#: semitones above/below the middle of the register: choruses sit ~2.5 st above verses, and a
#: song of equal verse and chorus time stays centred on the singer's range
_CENTRE_SHIFT = {"chorus": 1.0, "prechorus": 0.0, "bridge": 0.5, "verse": -1.5}


def _scale(style: Style) -> list[int]:
    return MAJOR if style.mode == "major" else MINOR


def _melody_pcs(style: Style) -> list[int]:
    """Pitch classes (relative to the tonic) the melody may use."""
    if style.pentatonic:
        return [0, 2, 4, 7, 9] if style.mode == "major" else [0, 3, 5, 7, 10]
    return _scale(style)


def _chord_midi(style: Style, degree: int, *, sevenths: bool) -> list[int]:
    sc = _scale(style)
    root_pc = style.key_root_midi % 12
    notes = []
    for k in (0, 2, 4) + ((6,) if sevenths else ()):
        d = degree + k
        notes.append(root_pc + sc[d % 7] + 12 * (d // 7))
    base = 48 + (notes[0] % 12)  # chord root between C3 and B3
    if base > 55:
        base -= 12
    return [base + (n - notes[0]) for n in notes]


def _bars_for_line(line: Line) -> int:
    need = (max(line.syllables, 1) - 1) * 2 + 6  # sixteenths: eighth per syllable + long ending + breath
    if line.backing:
        return max(1, math.ceil(need / 16))
    return max(2, 2 * math.ceil(need / 32))


DEFAULT_VOCAL_RANGE_MIDI = (60, 72)  # C4-C5: the melody's range when the singer has none


def _register(vocal_range_midi) -> tuple[int, int]:
    """Melody range (low, high) inside the singer's range, about an octave and a third wide."""
    if not vocal_range_midi:
        return DEFAULT_VOCAL_RANGE_MIDI
    lo, hi = float(min(vocal_range_midi)), float(max(vocal_range_midi))
    centre = (lo + hi) / 2
    if hi - lo >= 12:
        low, high = max(lo, centre - 8), min(hi, centre + 8)
    elif hi - lo >= 5:
        low, high = lo, hi  # narrow singer: use all of it
    else:  # too narrow to make a tune: widen to a fifth around its centre
        low, high = centre - 3.5, centre + 3.5
    return math.ceil(low), math.floor(high)


def _step_cost(i: int, *, pitches: list[int], target: float, cur: int | None, last: bool) -> float:
    """How far step ``i`` of ``pitches`` is from the contour's ``target``, with what its leap from ``cur`` costs:
    above a fifth (7 semitones) a leap is penalised, the last note lands on the nearest stable tone, and
    elsewhere a repeated note costs, since it blurs syllable onsets."""
    c = abs(i - target)
    if cur is not None:
        leap = abs(pitches[i] - pitches[cur])
        if leap > 7:
            c += 0.6 * (leap - 7)
        if last:
            c += 0.15 * leap
        elif leap == 0:
            c += 0.6
    return c


@dataclass
class _LineTune:
    onsets16: list[int]  # one per syllable
    durs16: list[int]  # one per syllable (total length of the syllable)
    notes: list[list[tuple[int, int]]]  # per syllable: [(offset16 within syllable, midi), ...]
    main: list[int]  # main pitch per syllable


class _Composer:
    def __init__(self, style: Style, seed: int, vocal_range_midi):
        self.style = style
        self.seed = seed
        self.six = style.beat_s / 4
        self.low, self.high = _register(vocal_range_midi)
        self.root = style.key_root_midi % 12
        pcs = _melody_pcs(style)
        self.pitches = [m for m in range(self.low, self.high + 1) if (m - self.root) % 12 in pcs]
        self.sc = _scale(style)
        third = 4 if style.mode == "major" else 3
        self.tonic_pcs = {self.root % 12, (self.root + third) % 12, (self.root + 7) % 12}
        self.progs = {}
        for kind, opts in _PROGS[style.mode].items():
            r = np.random.default_rng(_seed_int("prog", seed, kind))
            self.progs[kind] = opts[int(r.integers(len(opts)))]
        self.templates: dict = {}
        self.tunes: dict = {}

    # -- chords
    def prog_for(self, kind: str) -> list[int]:
        return self.progs.get(kind, self.progs["verse"])

    def chord_at(self, kind: str, bar_idx: int) -> int:
        p = self.prog_for(kind)
        return p[bar_idx % len(p)]

    def chord_pcs(self, deg: int) -> set[int]:
        return {(self.root + self.sc[(deg + j) % 7]) % 12 for j in (0, 2, 4)}

    def swing_shift(self, pos16: int) -> float:
        # delay off-beat eighths
        if self.style.swing and pos16 % 4 == 2:
            return self.style.swing * self.style.beat_s / 6
        return 0.0

    # -- melody
    def template(self, kind: str, idx: int) -> dict:
        """Contour and habits shared by every line sung at (kind, idx)."""
        key = (kind, idx)
        if key not in self.templates:
            rng = np.random.default_rng(_seed_int("template", self.seed, kind, idx))
            shape = int(rng.integers(4))
            # five anchors in scale steps relative to the line centre
            if shape == 0:  # arch
                anchors = [0, 2, 3, 1, -1]
            elif shape == 1:  # descending answer
                anchors = [3, 2, 1, 0, -2]
            elif shape == 2:  # rising question
                anchors = [-2, -1, 0, 2, 1]
            else:  # wave
                anchors = [0, 2, -1, 1, -1]
            anchors = [a + int(rng.integers(-1, 2)) for a in anchors]
            mean = sum(anchors) / len(anchors)
            anchors = [a - mean for a in anchors]  # the contour is centred on the line's centre
            self.templates[key] = dict(
                anchors=anchors,
                offset=float(rng.normal(0, 0.8)),
                pickup=int(rng.choice([0, 0, 2])),
                melisma=float(rng.random()),
                inner_melisma=float(rng.random()),
                wiggle=rng.integers(-1, 2, size=64).tolist(),
            )
        return self.templates[key]

    def _rhythm(self, kind: str, idx: int, n: int, bars: int, tpl: dict):
        rng = np.random.default_rng(_seed_int("rhythm", self.seed, kind, idx, n, bars))
        total = bars * 16
        m = max(n - 1, 0)
        pickup = tpl["pickup"] if n > 3 else 0
        last = 8 if 2 * m + 8 + 4 + pickup <= total else 4
        rest = 4 if 2 * m + last + 4 + pickup <= total else 2
        if 2 * m + last + rest + pickup > total:
            pickup = 0
        if m + last + rest > total:  # very dense line: shortest ending
            last, rest = 2, max(0, total - m - 2)
        avail = total - pickup - last - rest
        durs: list[int] = []
        if m:
            mn = 2 if avail >= 2 * m else 1
            durs = [mn] * m
            remaining = avail - mn * m
            w = rng.random(m) ** 2 + 0.05
            if m >= 2:
                w[rng.integers(m)] += 1.0
            while remaining >= 2:
                i = int(rng.choice(m, p=w / w.sum()))
                if durs[i] < 8:
                    durs[i] += 2
                    remaining -= 2
                else:
                    w[i] = 1e-6
                    if w.sum() < 1e-3:
                        break
            last += remaining  # whatever is left lengthens the final note
        durs.append(last)
        onsets = [int(x) for x in np.cumsum([pickup] + durs[:-1])]
        return onsets, durs

    def tune(
        self,
        kind: str,
        idx: int,
        n: int,
        bars: int,
        bar0: int,
        *,
        tones: list[int] | None = None,
        cadence: bool = False,
    ) -> _LineTune:
        """The tune of a line of ``n`` syllables in ``bars`` bars from bar ``bar0``: its rhythm, a pitch per
        syllable along its template's contour, and its melismas. The same line gets the same (kept) tune."""
        key = (kind, idx, n, bars, bar0 % 4, tuple(tones or ()), cadence)
        if key in self.tunes:
            return self.tunes[key]
        tpl = self.template(kind, idx)
        onsets, durs = self._rhythm(kind, idx, n, bars, tpl)
        tones = tones if tones and len(tones) == n else None  # a tone per syllable, or none heeded
        idxs = self._pitch_steps(kind, tpl, onsets[:n], bar0, tones=tones, cadence=cadence)
        if tones:
            idxs = self._apply_tones(idxs, tones)
        main = [self.pitches[i] for i in idxs]
        notes = self._with_melismas(tpl, durs, idxs, main, tones=tones)
        self.tunes[key] = _LineTune(onsets, durs, notes, main)
        return self.tunes[key]

    def _pitch_steps(
        self, kind: str, tpl: dict, onsets16: list[int], bar0: int, *, tones: list[int] | None, cadence: bool
    ) -> list[int]:
        """Each syllable's index into ``pitches``: the nearest to the contour among the chord's tones on a
        strong beat, 1 or 3 (a stable tone for the last, the tonic at a cadence), with no leap above a fifth."""
        pit = self.pitches
        centre = (self.low + self.high) / 2 + _CENTRE_SHIFT.get(kind, 0)
        centre_idx = min(range(len(pit)), key=lambda i: abs(pit[i] - centre)) + tpl["offset"]
        n = len(onsets16)
        idxs: list[int] = []
        cur = None
        for k, pos16 in enumerate(onsets16):
            target = self._contour_step(tpl, centre_idx, k, n, tone=tones[k] if tones else None)
            chord = self.chord_pcs(self.chord_at(kind, bar0 + pos16 // 16))
            cands = self._candidate_steps(chord, last=k == n - 1, strong=pos16 % 8 == 0, cadence=cadence)
            cur = min(cands, key=functools.partial(_step_cost, pitches=pit, target=target, cur=cur, last=k == n - 1))
            idxs.append(cur)
        return idxs

    @staticmethod
    def _contour_step(tpl: dict, centre_idx: float, k: int, n: int, *, tone: int | None) -> float:
        """Where syllable ``k`` of ``n`` aims, in steps of ``pitches``: the template's contour around the line's
        centre, its wiggle, and a Mandarin tone's pull (up for the 1st, down for the 3rd)."""
        anchors = tpl["anchors"]
        x = (k / (n - 1) if n > 1 else 0.0) * (len(anchors) - 1)
        target = centre_idx + float(np.interp(x, range(len(anchors)), anchors)) + 0.5 * tpl["wiggle"][k % 64]
        if tone is not None:
            target += {1: 0.7, 3: -0.8}.get(tone, 0.0)
        return target

    def _candidate_steps(self, chord: set[int], *, last: bool, strong: bool, cadence: bool) -> list[int]:
        """Indices into ``pitches`` a syllable may take: the last a tone of both the chord and the tonic triad
        (the tonic itself at a cadence), one on a strong beat (1 or 3) a chord tone, any other any pitch."""
        pit = self.pitches
        every = range(len(pit))
        if last:
            stable = [i for i in every if pit[i] % 12 in chord and pit[i] % 12 in self.tonic_pcs]
            if cadence:
                tonic = [i for i in stable if pit[i] % 12 == self.root]
                stable = tonic or stable
            return stable or [i for i in every if pit[i] % 12 in chord] or list(every)
        if strong:
            return [i for i in every if pit[i] % 12 in chord] or list(every)
        return list(every)

    def _with_melismas(
        self, tpl: dict, durs16: list[int], idxs: list[int], main: list[int], *, tones: list[int] | None
    ) -> list[list[tuple[int, int]]]:
        """Each syllable's notes: its main pitch, or a lead-in from the next scale step for a long phrase-final
        syllable (and, in a ballad, chinese or jazz, for some long inner ones)."""
        notes = [[(0, m)] for m in main]
        want_final = tpl["melisma"] < (0.75 if self.style.genre in ("ballad", "chinese") else 0.5)
        inner_ok = self.style.genre in ("ballad", "chinese", "jazz") and tpl["inner_melisma"] < 0.6
        n = len(main)
        for k in range(n):
            final = k == n - 1
            if durs16[k] < 6 or not (final and want_final or (not final and inner_ok and durs16[k] >= 6)):
                continue
            melisma = self._melisma(idxs, k, dur16=durs16[k], tone=tones[k] if tones else 0)
            if melisma is None:
                continue
            # keep the tone rule across the previous note
            if tones and k > 0:
                prev_tone, prev = tones[k - 1], main[k - 1] if len(notes[k - 1]) == 1 else notes[k - 1][-1][1]
                if (prev_tone == 2 and melisma[0][1] < prev) or (prev_tone == 4 and melisma[0][1] > prev):
                    continue
            notes[k] = melisma
        return notes

    def _melisma(self, idxs: list[int], k: int, *, dur16: int, tone: int) -> list[tuple[int, int]] | None:
        """Syllable ``k`` sung from the neighbouring scale step into its own pitch, (offset16, midi) each; None
        when it keeps one pitch (a level or neutral tone) or the step is out of range."""
        if tone == 1 or tone == 5:
            return None
        i = idxs[k]
        if tone == 2 or tone == 3:
            direction = -1  # approach from below: rises into the main note
        elif tone == 4:
            direction = 1  # from above: falls into the main note
        else:
            direction = 1 if (k == 0 or idxs[k - 1] >= i) else -1
        j = i + direction
        if not 0 <= j < len(self.pitches):
            return None
        lead_in = 2 if dur16 < 10 else 4
        return [(0, self.pitches[j]), (lead_in, self.pitches[i])]

    def _apply_tones(self, idxs: list[int], tones: list[int]) -> list[int]:
        """Tone 2 → next pitch not lower, tone 4 → next not higher (nearest allowed pitch)."""
        idxs = list(idxs)
        n = len(idxs)
        for i in range(n - 1):
            t = tones[i]
            a, b = idxs[i], idxs[i + 1]
            bad = (t == 2 and b < a) or (t == 4 and b > a)
            if not bad:
                continue
            if i + 1 < n - 1:
                # a step in the tone's direction (a repeat at the edge of the range)
                step = a + (1 if t == 2 else -1)
                idxs[i + 1] = step if 0 <= step < len(self.pitches) else a
            else:
                # keep the stable ending: move this note onto it, and earlier ones if needed
                idxs[i] = b
                j = i
                while j > 0 and (
                    (tones[j - 1] == 2 and idxs[j] < idxs[j - 1]) or (tones[j - 1] == 4 and idxs[j] > idxs[j - 1])
                ):
                    idxs[j - 1] = idxs[j]
                    j -= 1
        return idxs

    def backing_tune(self, prev: _LineTune | None, n: int, bars: int) -> _LineTune:
        """An echo of the end of the previous lead line, in the bar(s) right after it."""
        total = bars * 16
        step = 2 if 2 * n + 4 <= total else 1
        durs = [step] * n
        durs[-1] = max(step, min(8, total - step * (n - 1) - 2))
        onsets = [int(x) for x in np.cumsum([0] + durs[:-1])]
        if prev is not None and prev.main:
            src = prev.main[-n:] if len(prev.main) >= n else (prev.main * (n // len(prev.main) + 1))[-n:]
        else:
            src = [self.pitches[len(self.pitches) // 2]] * n
        main = [int(m) for m in src]
        return _LineTune(onsets, durs, [[(0, m)] for m in main], main)


def _bass_pattern(genre: str, rng) -> list[tuple[int, int, str]]:
    """(onset16, dur16, which) where which is root/fifth/oct/walk, within one bar."""
    pats = {
        "pop": [
            [(0, 6, "root"), (6, 2, "root"), (8, 6, "root"), (14, 2, "fifth")],
            [(0, 4, "root"), (4, 4, "root"), (8, 4, "root"), (12, 4, "fifth")],
        ],
        "rock": [[(i, 2, "root") for i in range(0, 16, 2)]],
        "ballad": [[(0, 12, "root"), (12, 4, "fifth")], [(0, 16, "root")]],
        "folk": [[(0, 8, "root"), (8, 8, "fifth")]],
        "electronic": [
            [(2, 2, "root"), (6, 2, "root"), (10, 2, "root"), (14, 2, "root")],
            [
                (0, 2, "root"),
                (2, 2, "oct"),
                (4, 2, "root"),
                (6, 2, "oct"),
                (8, 2, "root"),
                (10, 2, "oct"),
                (12, 2, "root"),
                (14, 2, "oct"),
            ],
        ],
        "hip-hop": [[(0, 6, "root"), (7, 3, "root"), (10, 6, "fifth")], [(0, 10, "root"), (10, 6, "root")]],
        "jazz": [[(0, 4, "root"), (4, 4, "walk"), (8, 4, "fifth"), (12, 4, "walk")]],
        "chinese": [[(0, 8, "root"), (8, 4, "fifth"), (12, 4, "oct")]],
    }
    opts = pats.get(genre, pats["pop"])
    return opts[int(rng.integers(len(opts)))]


def _drum_pattern(genre: str, rng) -> dict[str, list[int]]:
    """Sixteenth positions per bar for each drum part.

    Parts: kick, snare, hat, openhat, ride, clap, rim, shaker (band.py renders
    each; crash and tom hits are added at section starts and in fills).
    """
    pats = {
        "pop": [
            dict(kick=[0, 8, 10], snare=[4, 12], hat=list(range(0, 16, 2)), shaker=[2, 6, 10, 14]),
            dict(kick=[0, 6, 8], snare=[4, 12], hat=list(range(0, 16, 2)), clap=[12]),
        ],
        "rock": [
            dict(kick=[0, 6, 8, 10], snare=[4, 12], hat=list(range(0, 16, 2))),
            dict(kick=[0, 8, 11], snare=[4, 12], hat=list(range(0, 16, 2)), openhat=[14]),
        ],
        "ballad": [
            dict(kick=[0, 10], rim=[8], hat=[0, 4, 8, 12], shaker=[2, 6, 10, 14]),
            dict(kick=[0, 6], snare=[8], hat=[0, 4, 8, 12]),
        ],
        "folk": [
            dict(kick=[0, 8], snare=[4, 12], shaker=list(range(0, 16, 2))),
            dict(kick=[0, 10], rim=[4, 12], shaker=list(range(0, 16, 2))),
        ],
        "electronic": [
            dict(kick=[0, 4, 8, 12], clap=[4, 12], openhat=[2, 6, 10, 14], hat=list(range(0, 16, 1))),
            dict(kick=[0, 4, 8, 12], clap=[4, 12], openhat=[2, 6, 10, 14], hat=list(range(0, 16, 2))),
        ],
        "hip-hop": [
            dict(kick=[0, 7, 10], snare=[4, 12], hat=list(range(0, 16, 2))),
            dict(kick=[0, 3, 10], clap=[4, 12], hat=list(range(0, 16, 1)) + [14.5, 15.5]),
        ],
        "jazz": [dict(kick=[0, 10], ride=[0, 4, 6, 8, 12, 14], hat=[4, 12], rim=[14])],
        "chinese": [dict(kick=[0, 10], rim=[8], hat=[0, 4, 8, 12], shaker=[6, 14])],
    }
    opts = pats.get(genre, pats["pop"])
    return opts[int(rng.integers(len(opts)))]


def _default_instrumental_sections(style: Style) -> list[Section]:
    bars = max(8, round(30.0 / style.bar_s))
    body = bars - 4
    secs = [Section("intro", [])]
    while body > 0:
        secs.append(Section("instrumental", []))
        body -= 4
    secs.append(Section("outro", []))
    return secs


def _counter_lick(c: _Composer, t0: float, length16: int, chord: list[int], rng, genre: str) -> list[Note]:
    """A short chord-tone answer phrase (eighths) an octave above the chord."""
    if length16 < 4:
        return []
    base = list(chord[:3])
    while min(base) + 12 < 62:
        base = [m + 12 for m in base]
    tones = sorted({m + 12 for m in base} | {base[0] + 24})
    shape = int(rng.integers(3))
    seq = tones if shape == 0 else tones[::-1] if shape == 1 else [tones[1], tones[2], tones[0], tones[1]]
    step = 2 if genre not in ("ballad", "chinese") else 4
    out = []
    k = 0
    pos = 0
    while pos + step <= length16 and k < 4:
        st = t0 + pos * c.six + c.swing_shift(pos)
        dur = min(step * c.six * 0.9, t0 + length16 * c.six - st - 0.01)  # swung notes stay in the gap
        if dur > 0.04:
            out.append(Note(st, dur, float(seq[k % len(seq)]), 0.5))
        pos += step
        k += 1
    return out


# A song longer than this is packed (short lines take one bar); still longer than the limit, it is played
# faster until it lasts about SONG_TARGET_S.
SONG_PACK_AFTER_S = 175.0
SONG_LIMIT_S = 180.0
SONG_TARGET_S = 178.0
FRAME_BARS = 2  # an added intro or outro, and an instrumental song's ends
BAND_ONLY_BARS = 4  # a section without lines
PACKED_LINE_MAX_SYLLABLES = 11
BAND_ONLY_KINDS = ("intro", "outro", "instrumental")
LEAD_INSTRUMENT_MIDI = 76  # the hook is moved by octaves to sit around E5
RING_OUT_BARS = 0.75  # the last chord rings this long after the last bar


@dataclass
class _ScoreParts:
    """What ``compose`` collects, section by section, before it becomes a :class:`Score`."""

    chords: list[tuple[float, float, list[int]]] = field(default_factory=list)
    melody: list[Note] = field(default_factory=list)
    bass: list[Note] = field(default_factory=list)
    drums: list[tuple[float, str, float]] = field(default_factory=list)
    line_spans: list[tuple[float, float]] = field(default_factory=list)
    section_spans: list[tuple[str, float, float]] = field(default_factory=list)
    sung: list[SungLine] = field(default_factory=list)
    counter: list[Note] = field(default_factory=list)
    hook: list[tuple[float, float, float]] = field(default_factory=list)  # (offset_s, dur_s, midi), 1st chorus line
    band_only: list[tuple[float, int, str]] = field(default_factory=list)  # (start_s, bars, kind) for the lead


@dataclass
class _Groove:
    """The genre's bass and drum patterns and the generator of their variations (walks, fills)."""

    bass: list[tuple[int, int, str]]
    drums: dict[str, list[int]]
    rng: np.random.Generator


def _framed_sections(sections: list[Section], style: Style) -> tuple[list[Section], dict[int, int], bool]:
    """The sections with an intro and an outro added where missing; their bar counts; whether nothing is sung."""
    sections = list(sections or [])
    if not any(s.lines for s in sections):
        sections = _default_instrumental_sections(style)
        return sections, {id(sections[0]): FRAME_BARS, id(sections[-1]): FRAME_BARS}, True
    auto_bars = {}
    if sections[0].kind != "intro":
        sections.insert(0, Section("intro", []))
        auto_bars[id(sections[0])] = FRAME_BARS
    if sections[-1].kind != "outro":
        sections.append(Section("outro", []))
        auto_bars[id(sections[-1])] = FRAME_BARS
    return sections, auto_bars, False


def _bar_layout(sections: list[Section], auto_bars: dict[int, int], *, packed: bool) -> list[list[int]]:
    """Bars per line of every section (one entry for a section without lines)."""
    layout = []
    for s in sections:
        if s.lines:
            layout.append(
                [1 if packed and ln.syllables <= PACKED_LINE_MAX_SYLLABLES else _bars_for_line(ln) for ln in s.lines]
            )
        else:
            layout.append([auto_bars.get(id(s), BAND_ONLY_BARS)])
    return layout


def _fit_song_length(sections: list[Section], auto_bars: dict[int, int], style: Style) -> tuple[list[list[int]], Style]:
    """The layout and the style (its tempo raised if need be) of a song that lasts at most SONG_LIMIT_S."""
    layout = _bar_layout(sections, auto_bars, packed=False)
    if sum(map(sum, layout)) * style.bar_s > SONG_PACK_AFTER_S:
        layout = _bar_layout(sections, auto_bars, packed=True)
    total_s = sum(map(sum, layout)) * style.bar_s
    if total_s > SONG_LIMIT_S:
        style = replace(style, tempo_bpm=round(style.tempo_bpm * total_s / SONG_TARGET_S, 1))
    return layout, style


def _bass_bar(
    c: _Composer, parts: _ScoreParts, groove: _Groove, bt: float, chord: list[int], *, soft_entry: bool
) -> None:
    root = chord[0] - 12 if chord[0] - 12 >= 36 else chord[0]
    for on, du, which in groove.bass:
        if soft_entry and on:
            continue
        if which == "root":
            m = root
        elif which == "fifth":
            m = root + 7
        elif which == "oct":
            m = root + 12
        else:  # walking: scale tone near the root
            m = root + int(groove.rng.choice([2, 3, 4, 5, -1, -2]))
        parts.bass.append(
            Note(
                float(bt + on * c.six + c.swing_shift(on)),
                float(du * c.six * 0.92),
                float(m),
                0.85 if on % 8 == 0 else 0.7,
            )
        )


def _drum_bar(
    c: _Composer, parts: _ScoreParts, groove: _Groove, bt: float, kind: str, *, first_bar: bool, light: bool
) -> None:
    """Lighter in intros and quiet verses, fuller in choruses; a crash opens a chorus."""
    genre = c.style.genre
    vel_mul = {"chorus": 1.0, "bridge": 0.85, "prechorus": 0.9}.get(kind, 0.8)
    if first_bar and kind in ("chorus", "instrumental") and genre not in ("ballad", "chinese"):
        parts.drums.append((bt, "crash", 0.7))
    for part, positions in groove.drums.items():
        if light and part in ("snare", "clap") and genre in ("ballad", "chinese"):
            continue
        if kind == "verse" and part == "openhat" and genre == "electronic":
            continue
        for p in positions:
            v = vel_mul * (0.95 if p % 8 == 0 else 0.75 if p % 4 == 0 else 0.55)
            if part in ("hat", "shaker"):
                v *= 0.7
            pi = int(p)
            parts.drums.append((bt + p * c.six + c.swing_shift(pi if pi == p else -1), part, v))


def _drum_fill(c: _Composer, parts: _ScoreParts, groove: _Groove, bt: float) -> None:
    """A fill in the last bar of a section."""
    if groove.rng.random() < 0.5:
        fill = [(12, "tom_hi"), (13, "tom_hi"), (14, "tom_lo"), (15, "tom_lo")]
    else:
        fill = [(14, "snare"), (15, "snare")]
    if c.style.genre in ("electronic", "hip-hop"):
        fill = [(12, "snare"), (13, "snare"), (14, "snare"), (15, "snare")]
    for p, part in fill:
        parts.drums.append((bt + p * c.six, part, 0.5 + 0.1 * (p - 12)))


def _final_bar(c: _Composer, parts: _ScoreParts, bt: float, chord: list[int]) -> None:
    """The song's last bar: one long bass note, a kick and a crash (a hat in the quiet genres)."""
    root = chord[0] - 12 if chord[0] - 12 >= 36 else chord[0]
    parts.bass.append(Note(bt, c.style.bar_s * 1.2, float(root), 0.8))
    parts.drums.append((bt, "kick", 0.9))
    parts.drums.append((bt, "crash" if c.style.genre not in ("ballad", "chinese") else "hat", 0.6))


def _play_section_band(
    c: _Composer, parts: _ScoreParts, groove: _Groove, s: Section, t0: float, total_bars: int, *, last_section: bool
) -> None:
    """Chords, bass and drums of one section, bar by bar."""
    style, bar_s = c.style, c.style.bar_s
    sevenths = style.genre == "jazz"
    for b in range(total_bars):
        bt = t0 + b * bar_s
        deg = 0 if s.kind == "outro" and b == total_bars - 1 else c.chord_at(s.kind, b)
        chord = _chord_midi(style, deg, sevenths=sevenths)
        last_bar_of_song = last_section and b == total_bars - 1
        parts.chords.append((bt, bar_s * (1.5 if last_bar_of_song else 1), chord))
        if last_bar_of_song:
            _final_bar(c, parts, bt, chord)
            continue
        soft_entry = s.kind == "intro" and b < total_bars - 1 and style.genre in ("ballad", "chinese", "folk")
        _bass_bar(c, parts, groove, bt, chord, soft_entry=soft_entry)
        if soft_entry:
            continue
        light = s.kind in ("intro", "outro") or (s.kind == "verse" and style.genre in ("ballad", "folk", "chinese"))
        _drum_bar(c, parts, groove, bt, s.kind, first_bar=b == 0, light=light)
        if b == total_bars - 1 and total_bars >= 2 and not light:
            _drum_fill(c, parts, groove, bt)


def _sing_line(
    c: _Composer, parts: _ScoreParts, tune: _LineTune, lt0: float, n: int, *, vel: float
) -> list[tuple[float, float, float]]:
    """The line's melody notes (a melisma gives a syllable several); one (start, length, pitch) per syllable."""
    six = c.six
    sung_notes: list[tuple[float, float, float]] = []
    for k in range(n):
        on, du = tune.onsets16[k], tune.durs16[k]
        syl_notes = tune.notes[k]
        st0 = lt0 + on * six + c.swing_shift(on)
        end16 = on + du
        for j, (off, m) in enumerate(syl_notes):
            a16 = on + off
            b16 = on + syl_notes[j + 1][0] if j + 1 < len(syl_notes) else end16
            st = lt0 + a16 * six + (c.swing_shift(a16) if j == 0 else 0.0)
            d = (b16 - a16) * six
            if j == len(syl_notes) - 1:
                d *= 0.95 if (b16 - a16) <= 4 else 0.9
            parts.melody.append(Note(float(st), float(d), float(m), vel))
            last_end = st + d
        sung_notes.append((float(st0), float(last_end - st0), float(tune.main[k])))
    return sung_notes


def _sing_section(
    c: _Composer, parts: _ScoreParts, s: Section, bars_per_line: list[int], t0: float
) -> list[tuple[float, int]]:
    """Every line of the section to its tune; (end_s, bar after the line) of each sung line."""
    bar_cursor = 0
    lead_idx = 0
    prev_tune: _LineTune | None = None
    last_lead = max((i for i, line in enumerate(s.lines) if not line.backing), default=-1)
    line_ends: list[tuple[float, int]] = []
    for li, (ln, b) in enumerate(zip(s.lines, bars_per_line)):
        lt0 = t0 + bar_cursor * c.style.bar_s
        n = int(ln.syllables)
        if n <= 0:  # a singer found nothing to sing here: keep the bars, sing nothing
            parts.sung.append(
                SungLine(text=ln.sung_text, language=ln.language, backing=ln.backing, notes=[], kind=s.kind)
            )
            bar_cursor += b
            continue
        if ln.backing:
            tune = c.backing_tune(prev_tune, n, b)
        else:
            tones = ln.tones if ln.language == "zh" else None
            tune = c.tune(s.kind, lead_idx, n, b, bar_cursor, tones=tones, cadence=(li == last_lead))
            prev_tune = tune
            lead_idx += 1
        sung_notes = _sing_line(c, parts, tune, lt0, n, vel=0.55 if ln.backing else 0.85)
        parts.sung.append(
            SungLine(text=ln.sung_text, language=ln.language, backing=ln.backing, notes=sung_notes, kind=s.kind)
        )
        parts.line_spans.append((sung_notes[0][0], sung_notes[-1][0] + sung_notes[-1][1]))
        if not parts.hook and s.kind == "chorus" and not ln.backing:
            parts.hook = [(nt.start_s - lt0, nt.dur_s, nt.midi) for nt in parts.melody if nt.start_s >= lt0 - 1e-9]
        bar_cursor += b
        line_ends.append((parts.line_spans[-1][1], bar_cursor))
    return line_ends


def _counter_licks_between_lines(
    c: _Composer,
    parts: _ScoreParts,
    s: Section,
    t0: float,
    line_ends: list[tuple[float, int]],
    rng: np.random.Generator,
) -> None:
    """A short lick of the lead instrument in each gap of at least a quarter note after a sung line."""
    six, bar_s = c.six, c.style.bar_s
    for end_s, bar_after in line_ends:
        gap_end = t0 + bar_after * bar_s
        start16 = math.ceil((end_s - t0) / six / 2 - 1e-6) * 2
        length = bar_after * 16 - start16
        if length >= 4:
            chord_here = _chord_midi(c.style, c.chord_at(s.kind, max(bar_after - 1, 0)), sevenths=False)
            lick_t = t0 + start16 * six
            if lick_t < gap_end:
                parts.counter.extend(_counter_lick(c, lick_t, min(length, 8), chord_here, rng, c.style.genre))


def _lead_hook(c: _Composer, parts: _ScoreParts) -> list[tuple[float, float, float]]:
    """The lead instrument's tune: the first chorus line, else the song's first notes, else a new chorus tune."""
    if parts.hook:
        return parts.hook
    if parts.melody:
        first = min(parts.line_spans)[0] if parts.line_spans else 0.0
        return [(nt.start_s - first, nt.dur_s, nt.midi) for nt in parts.melody[:12]]
    tune = c.tune("chorus", 0, 7, 2, 0, cadence=True)
    hook = []
    for on, du, nts in zip(tune.onsets16, tune.durs16, tune.notes):
        for j, (off, m) in enumerate(nts):
            end = du if j + 1 == len(nts) else nts[j + 1][0]
            hook.append(((on + off) * c.six, (end - off) * c.six * 0.92, m))
    return hook


def _lead_in_band_only_sections(
    parts: _ScoreParts, hook: list[tuple[float, float, float]], bar_s: float, *, instrumental_song: bool
) -> None:
    """The hook, an instrument's octave up, repeated through each band-only section (a short intro stays chords)."""
    if not hook:
        return
    shift = 12 * round((LEAD_INSTRUMENT_MIDI - float(np.mean([h[2] for h in hook]))) / 12)
    hook_len = max(h[0] + h[1] for h in hook)
    for start, bars, kind in parts.band_only:
        if kind == "intro" and bars <= 2 and not instrumental_song:
            continue
        span = bars * bar_s
        reps = max(1, int(span // max(2 * bar_s, hook_len + 0.5 * bar_s)))
        for r in range(reps):
            base = start + r * (span / reps)
            for off, du, m in hook:
                if base + off + du <= start + span - 0.25 * bar_s:
                    parts.counter.append(Note(float(base + off), float(du), float(m + shift), 0.65))


def compose(
    sections: list[Section], style: Style, *, seed: int, vocal_range_midi: tuple[float, float] | None = None
) -> Score:
    """Lay out sections, chords, melody, bass, drums and counter line (see module docstring).

    Parameters
    ----------
    sections : list of Section
        The lyrics' sections; an intro and an outro are added where missing, and a song without lines
        becomes an instrumental one.
    style : Style
        From :func:`style_from_tags`; its tempo is raised when the song would last over SONG_LIMIT_S.
    seed : int
        Picks the progressions, the grooves' variations and the counter licks.
    vocal_range_midi : tuple of (float, float) or None
        The singer's (low, high) range in MIDI notes; the melody stays inside it.

    Returns
    -------
    Score
        Every part as notes in seconds of song time, with the section and line spans.
    """
    sections, auto_bars, instrumental_song = _framed_sections(sections, style)
    layout, style = _fit_song_length(sections, auto_bars, style)
    c = _Composer(style, seed, vocal_range_midi)
    groove_rng = np.random.default_rng(_seed_int("groove", seed, style.genre))
    groove = _Groove(
        bass=_bass_pattern(style.genre, groove_rng), drums=_drum_pattern(style.genre, groove_rng), rng=groove_rng
    )
    counter_rng = np.random.default_rng(_seed_int("counter", seed))
    parts = _ScoreParts()
    t0 = 0.0
    for si, (s, bars_per_line) in enumerate(zip(sections, layout)):
        total_bars = sum(bars_per_line)
        _play_section_band(c, parts, groove, s, t0, total_bars, last_section=si == len(sections) - 1)
        line_ends = _sing_section(c, parts, s, bars_per_line, t0)
        if s.lines and style.genre != "hip-hop":
            _counter_licks_between_lines(c, parts, s, t0, line_ends, counter_rng)
        if not s.lines and s.kind in BAND_ONLY_KINDS + ("bridge",):
            parts.band_only.append((t0, total_bars, s.kind))
        parts.section_spans.append((s.kind, t0, t0 + total_bars * style.bar_s))
        t0 += total_bars * style.bar_s
    _lead_in_band_only_sections(parts, _lead_hook(c, parts), style.bar_s, instrumental_song=instrumental_song)
    parts.counter.sort(key=lambda n: n.start_s)
    return Score(
        style=style,
        sections=sections,
        chords=parts.chords,
        melody=parts.melody,
        bass=parts.bass,
        drum_hits=sorted(parts.drums, key=lambda h: h[0]),
        duration_s=t0 + style.bar_s * RING_OUT_BARS,
        line_spans=parts.line_spans,
        section_spans=parts.section_spans,
        counter=parts.counter,
        sung_lines=parts.sung,
    )
