"""Rule-based composer: tags → :class:`Style`, sections → :class:`Score`.

Style
-----
``style_from_tags`` reads free tag text (comma/space separated, English or
Chinese) and looks every known word up in :data:`STYLE_TABLE`.  Each entry
contributes some of:

``genre``      the arrangement family (pop, rock, ballad, folk, electronic,
               hip-hop, jazz, chinese) – the first genre word found wins;
``tempo``      the genre's base tempo in BPM;
``mode``       ``"major"``/``"minor"`` – mood words override the genre default;
``tempo_min``/``tempo_max``  clamps applied after the genre tempo
               ("ballad"/"抒情"/"slow"/"慢" → ≤ 80, "upbeat"/"dance"/"fast"/"快" → ≥ 120);
``tempo_mul``  a multiplier (happy/欢快 speeds up a little);
``swing``      0..1 amount of eighth-note swing (jazz);
``energy``     0..1 arrangement density.

Unknown tags fall back to pop, 100 BPM, major.  The seed picks the key root
(and jitters tempo by a few BPM inside the clamps).

Score
-----
``compose`` lays sections out in 4/4: a lyric line takes 2 bars (4 when it has
more syllables than fit comfortably), a section without lines takes 4 bars of
band only; a 2-bar intro and outro are added when missing.  Every section kind
has a diatonic chord progression (natural minor in minor mode, one chord per
bar).  The melody has one note per syllable, chord tones on strong beats, scale
steps in between, and each phrase ends on a longer stable tone (root, third or
fifth).  Line tunes are generated from a seed derived from (seed, kind, line
index), so every chorus repeats identically and verses share their tune.
"""

from __future__ import annotations

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

#: tag word → style contribution (see module docstring).
STYLE_TABLE: dict[str, dict] = {
    # genres
    "pop": {"genre": "pop"}, "流行": {"genre": "pop"},
    "rock": {"genre": "rock"}, "摇滚": {"genre": "rock"}, "punk": {"genre": "rock", "tempo_min": 140},
    "ballad": {"genre": "ballad", "tempo_max": 80}, "抒情": {"genre": "ballad", "tempo_max": 80},
    "folk": {"genre": "folk"}, "acoustic": {"genre": "folk"}, "民谣": {"genre": "folk"},
    "country": {"genre": "folk"},
    "electronic": {"genre": "electronic"}, "edm": {"genre": "electronic", "tempo_min": 120},
    "dance": {"genre": "electronic", "tempo_min": 120}, "电子": {"genre": "electronic"},
    "舞曲": {"genre": "electronic", "tempo_min": 120}, "house": {"genre": "electronic", "tempo_min": 120},
    "synth": {"genre": "electronic"}, "techno": {"genre": "electronic", "tempo_min": 124},
    "hip-hop": {"genre": "hip-hop"}, "hiphop": {"genre": "hip-hop"}, "hip hop": {"genre": "hip-hop"},
    "rap": {"genre": "hip-hop"}, "trap": {"genre": "hip-hop"}, "说唱": {"genre": "hip-hop"},
    "嘻哈": {"genre": "hip-hop"},
    "jazz": {"genre": "jazz", "swing": 0.6}, "爵士": {"genre": "jazz", "swing": 0.6},
    "swing": {"swing": 0.6}, "lofi": {"genre": "hip-hop", "tempo_max": 88}, "lo-fi": {"genre": "hip-hop", "tempo_max": 88},
    "chinese": {"genre": "chinese"}, "古风": {"genre": "chinese"}, "中国风": {"genre": "chinese"},
    "oriental": {"genre": "chinese"},
    # moods
    "sad": {"mode": "minor", "tempo_mul": 0.92}, "melancholy": {"mode": "minor", "tempo_mul": 0.92},
    "melancholic": {"mode": "minor", "tempo_mul": 0.92}, "dark": {"mode": "minor"},
    "悲伤": {"mode": "minor", "tempo_mul": 0.92}, "伤感": {"mode": "minor", "tempo_mul": 0.92},
    "忧伤": {"mode": "minor", "tempo_mul": 0.92}, "孤独": {"mode": "minor"},
    "lonely": {"mode": "minor"}, "heartbreak": {"mode": "minor"},
    "happy": {"mode": "major", "tempo_mul": 1.1, "energy": 0.75},
    "upbeat": {"mode": "major", "tempo_min": 120, "energy": 0.8},
    "欢快": {"mode": "major", "tempo_mul": 1.1, "tempo_min": 112, "energy": 0.75},
    "快乐": {"mode": "major", "tempo_mul": 1.1}, "开心": {"mode": "major", "tempo_mul": 1.1},
    "bright": {"mode": "major"}, "warm": {"mode": "major"}, "温暖": {"mode": "major"},
    "energetic": {"tempo_mul": 1.1, "energy": 0.9}, "chill": {"tempo_max": 96, "energy": 0.4},
    "calm": {"tempo_max": 90, "energy": 0.35}, "romantic": {"energy": 0.45},
    # tempo words
    "slow": {"tempo_max": 80}, "慢": {"tempo_max": 80}, "慢歌": {"tempo_max": 80},
    "fast": {"tempo_min": 120}, "快": {"tempo_min": 120}, "快歌": {"tempo_min": 120},
}

_CJK_KEY = re.compile(r"[\u4e00-\u9fff]")


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
    """Build a :class:`Style` from tag text; the seed picks key root and tempo jitter."""
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
            swing = max(swing, c["swing"])
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
    tempo = float(min(max(tempo, 60.0), 170.0))
    if not mode_set and genre in ("pop", "folk", "rock", "jazz") and rng.random() < 0.2:
        mode = "minor"  # a little variety between seeds
    key_root = 55 + int(rng.integers(0, 12))  # G3..F#4
    return Style(genre=genre, tempo_bpm=round(tempo, 1), mode=mode, key_root_midi=key_root,
                 swing=float(swing), energy=float(energy), pentatonic=(genre == "chinese"),
                 tags=tuple(w for _, w in hits))


# --------------------------------------------------------------------------- score

@dataclass
class Note:
    start_s: float
    dur_s: float
    midi: float
    velocity: float = 0.8


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
    need = (line.syllables - 1) * 2 + 6  # in sixteenths: eighth per syllable + long ending + breath
    return max(2, 2 * math.ceil(need / 32))


@dataclass
class _LineTune:
    onsets16: list[int]
    durs16: list[int]
    midis: list[int]


class _Composer:
    def __init__(self, style: Style, seed: int, vocal_range_midi):
        self.style = style
        self.seed = seed
        self.rng = np.random.default_rng(_seed_int("compose", seed))
        sp = 16  # sixteenths per bar
        self.six = style.beat_s / 4
        self.sp = sp
        # register
        if vocal_range_midi:
            lo, hi = float(min(vocal_range_midi)), float(max(vocal_range_midi))
            centre = (lo + hi) / 2
            if hi - lo >= 12:
                low, high = max(lo, centre - 8), min(hi, centre + 8)
            else:
                low, high = centre - 6, centre + 6
        else:
            low, high = 60.0, 72.0
        self.low, self.high = math.ceil(low), math.floor(high)
        root = style.key_root_midi % 12
        pcs = _melody_pcs(style)
        self.pitches = [m for m in range(self.low, self.high + 1) if (m - root) % 12 in pcs]
        self.progs = {}
        for kind, opts in _PROGS[style.mode].items():
            r = np.random.default_rng(_seed_int("prog", seed, kind))
            self.progs[kind] = opts[int(r.integers(len(opts)))]
        self.tunes: dict = {}

    # -- chords
    def prog_for(self, kind: str) -> list[int]:
        return self.progs.get(kind, self.progs["verse"])

    def chord_at(self, kind: str, bar_idx: int) -> int:
        p = self.prog_for(kind)
        return p[bar_idx % len(p)]

    def swing_shift(self, pos16: int) -> float:
        # delay off-beat eighths
        if self.style.swing and pos16 % 4 == 2:
            return self.style.swing * self.style.beat_s / 6
        return 0.0

    # -- melody
    def tune(self, kind: str, line_idx: int, n: int, bars: int, bar0: int) -> _LineTune:
        key = (kind, line_idx, n, bars)
        if key in self.tunes:
            return self.tunes[key]
        rng = np.random.default_rng(_seed_int("tune", self.seed, kind, line_idx, n, bars))
        total = bars * 16
        m = max(n - 1, 0)
        pickup = int(rng.choice([0, 0, 2])) if n > 3 else 0
        last = 8 if 2 * m + 8 + 4 + pickup <= total else 4
        rest = 4 if 2 * m + last + 4 + pickup <= total else 2
        if 2 * m + last + rest + pickup > total:
            pickup = 0
        if m + last + rest > total:  # very dense line: shortest ending
            last, rest = 2, max(0, total - m - 2)
        avail = total - pickup - last - rest
        durs = []
        if m:
            mn = 2 if avail >= 2 * m else 1
            durs = [mn] * m
            remaining = avail - mn * m
            grid = 2
            # spread the rest, favouring a few notes (long-short rhythms)
            w = rng.random(m) ** 2 + 0.05
            if m >= 2:
                w[rng.integers(m)] += 1.0
            while remaining >= grid:
                i = int(rng.choice(m, p=w / w.sum()))
                if durs[i] < 8:
                    durs[i] += grid
                    remaining -= grid
                else:
                    w[i] = 1e-6
                    if w.sum() < 1e-3:
                        break
            last += remaining  # whatever is left lengthens the final note
        durs.append(last)
        onsets = list(np.cumsum([pickup] + durs[:-1]).astype(int))

        # pitches
        centre = (self.low + self.high) / 2 + {"chorus": 2.5, "prechorus": 1.0, "bridge": 1.5,
                                                 "verse": -1.5}.get(kind, 0)
        root = self.style.key_root_midi % 12
        sc = _scale(self.style)
        pit = self.pitches
        cur = min(range(len(pit)), key=lambda i: abs(pit[i] - centre + rng.normal(0, 2)))
        midis = []
        for k in range(n):
            pos = onsets[k]
            bar = pos // 16
            deg = self.chord_at(kind, bar0 + bar)
            chord_pcs = {(root + sc[(deg + j) % 7]) % 12 for j in (0, 2, 4)}
            strong = pos % 8 == 0
            is_last = k == n - 1
            if is_last or strong or k == 0:
                if is_last:
                    cands = [i for i, p in enumerate(pit) if p % 12 in chord_pcs]
                    if self.style.pentatonic:
                        cands = [i for i, p in enumerate(pit) if (p - root) % 12 in (0, 4, 7, 3, 9)
                                 and p % 12 in chord_pcs] or cands
                else:
                    cands = [i for i, p in enumerate(pit) if p % 12 in chord_pcs]
                if not cands:
                    cands = list(range(len(pit)))
                # nearest chord tones to current position, with a pull to the centre
                scores = [abs(i - cur) + 0.35 * abs(pit[i] - centre) + rng.random() * 1.5 for i in cands]
                cur = cands[int(np.argmin(scores))]
            else:
                step = int(rng.choice([-2, -1, -1, 1, 1, 2, 0]))
                if pit[cur] > centre + 4:
                    step = -abs(step) or -1
                elif pit[cur] < centre - 4:
                    step = abs(step) or 1
                cur = int(min(max(cur + step, 0), len(pit) - 1))
            midis.append(pit[cur])
        t = _LineTune(onsets, durs, midis)
        self.tunes[key] = t
        return t


def _bass_pattern(genre: str, rng) -> list[tuple[int, int, str]]:
    """(onset16, dur16, which) where which is root/fifth/oct/walk, within one bar."""
    pats = {
        "pop": [[(0, 6, "root"), (6, 2, "root"), (8, 6, "root"), (14, 2, "fifth")],
                [(0, 4, "root"), (4, 4, "root"), (8, 4, "root"), (12, 4, "fifth")]],
        "rock": [[(i, 2, "root") for i in range(0, 16, 2)]],
        "ballad": [[(0, 12, "root"), (12, 4, "fifth")], [(0, 16, "root")]],
        "folk": [[(0, 8, "root"), (8, 8, "fifth")]],
        "electronic": [[(2, 2, "root"), (6, 2, "root"), (10, 2, "root"), (14, 2, "root")],
                       [(0, 2, "root"), (2, 2, "oct"), (4, 2, "root"), (6, 2, "oct"), (8, 2, "root"),
                        (10, 2, "oct"), (12, 2, "root"), (14, 2, "oct")]],
        "hip-hop": [[(0, 6, "root"), (7, 3, "root"), (10, 6, "fifth")], [(0, 10, "root"), (10, 6, "root")]],
        "jazz": [[(0, 4, "root"), (4, 4, "walk"), (8, 4, "fifth"), (12, 4, "walk")]],
        "chinese": [[(0, 8, "root"), (8, 4, "fifth"), (12, 4, "oct")]],
    }
    opts = pats.get(genre, pats["pop"])
    return opts[int(rng.integers(len(opts)))]


def _drum_pattern(genre: str, rng) -> dict[str, list[int]]:
    """sixteenth positions per bar for kick / snare / hat."""
    pats = {
        "pop": [dict(kick=[0, 8, 10], snare=[4, 12], hat=list(range(0, 16, 2))),
                dict(kick=[0, 6, 8], snare=[4, 12], hat=list(range(0, 16, 2)))],
        "rock": [dict(kick=[0, 6, 8, 10], snare=[4, 12], hat=list(range(0, 16, 2))),
                 dict(kick=[0, 8, 11], snare=[4, 12], hat=list(range(0, 16, 2)))],
        "ballad": [dict(kick=[0, 10], snare=[8], hat=[0, 4, 8, 12]),
                   dict(kick=[0, 6], snare=[8], hat=[0, 4, 8, 12])],
        "folk": [dict(kick=[0, 8], snare=[4, 12], hat=[0, 4, 8, 12])],
        "electronic": [dict(kick=[0, 4, 8, 12], snare=[4, 12], hat=[2, 6, 10, 14]),
                       dict(kick=[0, 4, 8, 12], snare=[4, 12], hat=list(range(0, 16, 2)))],
        "hip-hop": [dict(kick=[0, 7, 10], snare=[4, 12], hat=list(range(0, 16, 2))),
                    dict(kick=[0, 3, 10], snare=[4, 12], hat=list(range(0, 16, 1)))],
        "jazz": [dict(kick=[0], snare=[6, 14], hat=[0, 4, 6, 8, 12, 14])],
        "chinese": [dict(kick=[0, 10], snare=[8], hat=[0, 4, 8, 12])],
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


def compose(sections: list[Section], style: Style, *, seed: int,
            vocal_range_midi: tuple[float, float] | None = None) -> Score:
    """Lay out sections, chords, melody, bass and drums (see module docstring)."""
    sections = [s for s in (sections or [])]
    if not any(s.lines for s in sections):
        sections = _default_instrumental_sections(style)
        auto_bars = {id(sections[0]): 2, id(sections[-1]): 2}
    else:
        auto_bars = {}
        if sections[0].kind != "intro":
            sections.insert(0, Section("intro", []))
            auto_bars[id(sections[0])] = 2
        if sections[-1].kind != "outro":
            sections.append(Section("outro", []))
            auto_bars[id(sections[-1])] = 2

    c = _Composer(style, seed, vocal_range_midi)
    bar_s, six = style.bar_s, c.six

    # bars per section; shorten very long songs by packing short lines into fewer bars
    def plan(squeeze: bool):
        out = []
        for s in sections:
            if s.lines:
                bl = []
                for ln in s.lines:
                    b = _bars_for_line(ln)
                    if squeeze and ln.syllables <= 11:
                        b = 1
                    bl.append(b)
                out.append(bl)
            else:
                out.append([auto_bars.get(id(s), 4)])
        return out

    layout = plan(False)
    if sum(map(sum, layout)) * bar_s > 175.0:
        layout = plan(True)
    total_s = sum(map(sum, layout)) * bar_s
    if total_s > 180.0:  # still too long: play it faster
        style = replace(style, tempo_bpm=round(style.tempo_bpm * total_s / 178.0, 1))
        c = _Composer(style, seed, vocal_range_midi)
        bar_s = style.bar_s
        six = c.six

    chords: list[tuple[float, float, list[int]]] = []
    melody: list[Note] = []
    bass: list[Note] = []
    drums: list[tuple[float, str, float]] = []
    line_spans: list[tuple[float, float]] = []
    section_spans: list[tuple[str, float, float]] = []
    groove_rng = np.random.default_rng(_seed_int("groove", seed, style.genre))
    bass_pat = _bass_pattern(style.genre, groove_rng)
    drum_pat = _drum_pattern(style.genre, groove_rng)
    sevenths = style.genre == "jazz"
    sc = _scale(style)
    kinds_seen: dict[str, int] = {}

    t0 = 0.0
    n_sections = len(sections)
    for si, (s, bl) in enumerate(zip(sections, layout)):
        total_bars = sum(bl)
        sec_start = t0
        kinds_seen[s.kind] = kinds_seen.get(s.kind, 0) + 1
        is_outro = s.kind == "outro"
        # chords + bass + drums bar by bar
        for b in range(total_bars):
            bt = t0 + b * bar_s
            deg = c.chord_at(s.kind, b)
            if is_outro and b == total_bars - 1:
                deg = 0
            chord = _chord_midi(style, deg, sevenths=sevenths)
            last_bar_of_song = si == n_sections - 1 and b == total_bars - 1
            chords.append((bt, bar_s * (1 if not last_bar_of_song else 1.5), chord))
            root = chord[0] - 12 if chord[0] - 12 >= 36 else chord[0]
            fifth = root + 7
            if last_bar_of_song:
                bass.append(Note(bt, bar_s * 1.2, float(root), 0.8))
                drums.append((bt, "kick", 0.9))
                drums.append((bt, "hat", 0.6))
                continue
            for on, du, which in bass_pat:
                if which == "root":
                    m = root
                elif which == "fifth":
                    m = fifth
                elif which == "oct":
                    m = root + 12
                else:  # walking: scale tone near the root
                    m = root + int(groove_rng.choice([2, 3, 4, 5, -1, -2]))
                bass.append(Note(float(bt + on * six + c.swing_shift(on)), float(du * six * 0.92), float(m),
                                 0.85 if on % 8 == 0 else 0.7))
            # drums: lighter in intros/verses, fuller in choruses
            light = s.kind in ("intro", "outro") or (s.kind == "verse" and style.genre in ("ballad", "folk", "chinese"))
            vel_mul = {"chorus": 1.0, "bridge": 0.85, "prechorus": 0.9}.get(s.kind, 0.8)
            if s.kind == "intro" and b < total_bars - 1 and style.genre in ("ballad", "chinese", "folk"):
                continue  # soft entry
            for part, positions in drum_pat.items():
                if light and part == "snare" and style.genre in ("ballad", "chinese"):
                    continue
                for p in positions:
                    v = vel_mul * (0.95 if p % 8 == 0 else 0.75 if p % 4 == 0 else 0.55)
                    if part == "hat":
                        v *= 0.7
                    drums.append((bt + p * six + c.swing_shift(p), part, v))
            # a fill at the end of a section
            if b == total_bars - 1 and total_bars >= 2 and not light:
                for p in (12, 13, 14, 15) if groove_rng.random() < 0.5 else (14, 15):
                    drums.append((bt + p * six, "snare", 0.5 + 0.1 * (p - 12)))
        # melody
        bar_cursor = 0
        for li, (ln, b) in enumerate(zip(s.lines, bl)):
            lt0 = t0 + bar_cursor * bar_s
            tune = c.tune(s.kind, li, ln.syllables, b, bar_cursor)
            vel = 0.55 if ln.backing else 0.85
            first = last_end = None
            for on, du, m in zip(tune.onsets16, tune.durs16, tune.midis):
                st = lt0 + on * six + c.swing_shift(on)
                d = du * six * (0.95 if du <= 4 else 0.9)
                melody.append(Note(float(st), float(d), float(m), vel))
                first = st if first is None else first
                last_end = st + d
            if first is not None:
                line_spans.append((float(first), float(last_end)))
            bar_cursor += b
        # a simple counter line (used by the band when the voice is absent)
        t0 += total_bars * bar_s
        section_spans.append((s.kind, sec_start, t0))

    # counter-melody: chord-tone arpeggio one octave above chords on beats, for instrumental leads
    counter: list[Note] = []
    for (st, du, ch) in chords:
        pcs = [n + 12 for n in ch[:3]]
        for k in range(2):
            counter.append(Note(st + k * du / 2, du / 2 * 0.9, float(pcs[(k * 2) % 3]), 0.5))

    duration = t0 + bar_s * 0.75  # let the last chord ring
    return Score(style=style, sections=sections, chords=chords, melody=melody, bass=bass,
                 drum_hits=sorted(drums, key=lambda h: h[0]), duration_s=duration,
                 line_spans=line_spans, section_spans=section_spans, counter=counter)
