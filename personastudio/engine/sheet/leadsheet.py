"""A MusicXML 4.0 lead sheet of a song's score (music21): the melody with its lyric, chord symbols
above the staff, section names as rehearsal marks, the title, tempo and key.

The engine's notes are in seconds at one tempo; they are placed on a sixteenth-note grid (the
composer's own grid, so nothing moves except swung offbeats) and music21 makes the bars and ties.
English syllables are hyphenated under their notes; Chinese is one character per note with its
pinyin as a second lyric line.
"""

from __future__ import annotations

from ..dsp.composer import Score
from .midi import key_name
from .syllables import line_syllables

GRID_QL = 0.25  # a sixteenth note, in quarter lengths
SECTION_NAMES = {
    "intro": "Intro",
    "verse": "Verse",
    "prechorus": "Pre-Chorus",
    "chorus": "Chorus",
    "bridge": "Bridge",
    "instrumental": "Instrumental",
    "outro": "Outro",
}


def _grid(seconds: float, beat_s: float) -> float:
    return round(seconds / beat_s / GRID_QL) * GRID_QL


def _melody(score: Score) -> list[tuple[float, float, int, object | None]]:
    """(offset, length, midi, syllable) in quarter lengths, one voice: each note ends where the next begins."""
    beat_s = score.style.beat_s
    notes = []
    if score.sung_lines:
        for line in score.sung_lines:
            if line.backing:
                continue
            syllables = line_syllables(line.text, line.language)
            for k, (start_s, dur_s, midi) in enumerate(line.notes):
                notes.append((start_s, dur_s, midi, syllables[k] if k < len(syllables) else None))
    else:
        notes = [(n.start_s, n.dur_s, n.midi, None) for n in score.melody]
    placed = []
    for start_s, dur_s, midi, syllable in sorted(notes, key=lambda n: n[0]):
        offset = _grid(start_s, beat_s)
        if placed and offset < placed[-1][0] + GRID_QL:
            continue  # two notes on one sixteenth: the lead sheet keeps the first
        placed.append([offset, max(GRID_QL, _grid(start_s + dur_s, beat_s) - offset), int(round(midi)), syllable])
    for this, nxt in zip(placed, placed[1:]):
        this[1] = min(this[1], nxt[0] - this[0])
    return [tuple(p) for p in placed]


def _spelled(midi: int, sharps: int):
    """A pitch spelled for the key: flats in a flat key (Gb, not F#, in E-flat minor)."""
    from music21 import pitch

    p = pitch.Pitch(midi=midi)
    if sharps < 0 and p.accidental is not None and p.accidental.name == "sharp":
        p = p.getEnharmonic()
    return p


def _chord_symbol(pitches: list[int], sharps: int):
    """The chord's symbol ("Ebm", "Db7"), its root spelled for the key; None if it has no name."""
    from music21 import chord, harmony

    found = harmony.chordSymbolFromChord(chord.Chord(pitches))  # named on sharps, where thirds stay thirds
    figure = found.figure or ""
    if not figure or "Cannot" in figure:
        return None
    root = found.root()
    if sharps < 0 and root.accidental is not None and root.accidental.name == "sharp":
        figure = root.getEnharmonic().name + figure[len(root.name) :]
    symbol = harmony.ChordSymbol(figure)
    symbol.writeAsChord = False
    return symbol


def score_to_musicxml(score: Score, *, title: str) -> bytes:
    """The lead sheet as MusicXML bytes (UTF-8)."""
    from music21 import expressions, key, metadata, meter, musicxml, note, stream, tempo

    beat_s = score.style.beat_s
    part = stream.Part()
    part.partName = "Melody"
    part.insert(0, meter.TimeSignature("4/4"))
    tonic = key_name(score).rstrip("m").replace("b", "-")
    song_key = key.Key(tonic, "minor" if score.style.mode == "minor" else "major")
    part.insert(0, song_key)
    part.insert(0, tempo.MetronomeMark(number=round(score.style.tempo_bpm)))
    for offset, length, midi, syllable in _melody(score):
        n = note.Note(_spelled(midi, song_key.sharps), quarterLength=length)
        if syllable is not None:
            n.lyrics.append(note.Lyric(text=syllable.text, number=1, syllabic=syllable.syllabic))
            if syllable.pinyin:
                n.lyrics.append(note.Lyric(text=syllable.pinyin, number=2, syllabic="single"))
        part.insert(offset, n)
    for start_s, _dur_s, pitches in score.chords:
        symbol = _chord_symbol([int(p) for p in pitches], song_key.sharps)
        if symbol is not None:
            part.insert(_grid(start_s, beat_s), symbol)
    for kind, start_s, _end_s in score.section_spans:
        part.insert(_grid(start_s, beat_s), expressions.RehearsalMark(SECTION_NAMES.get(kind, kind.title())))
    end = max(_grid(score.duration_s, beat_s), part.highestTime)
    part.makeRests(fillGaps=True, inPlace=True, refStreamOrTimeRange=(0.0, end))
    sheet = stream.Score()
    sheet.metadata = metadata.Metadata(title=title or "Untitled")
    sheet.insert(0, part)
    exporter = musicxml.m21ToXml.GeneralObjectExporter(sheet.makeNotation())
    return exporter.parse()
