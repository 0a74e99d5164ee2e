"""The band of a score as notes for General MIDI instruments: what the SoundFont band plays.

``band_voices`` turns a Score into the parts of a band, each a list of ``Voice`` (one GM program
and its notes). The comping follows each genre's habit, as the oscillator band in ``band.py`` does:
pop and hip-hop hit the chord on the beat's off-spots, rock plays power chords in eighths, a ballad
arpeggiates under held strings, folk strums six strings down and up, electronic holds a pad under
off-beat stabs, jazz swings its hits, and the Chinese style arpeggiates the pentatonic chord on a
plucked zither. Pure Python: no audio here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .composer import GM_PROGRAMS, Note, Score

DRUM_BANK = 128  # the bank of GM drum kits in a SoundFont
GM_DRUM_NOTES = {
    "kick": 36,
    "snare": 38,
    "rim": 37,
    "clap": 39,
    "hat": 42,
    "openhat": 46,
    "ride": 51,
    "crash": 49,
    "shaker": 82,
    "tom_lo": 45,
    "tom_mid": 47,
    "tom_hi": 50,
}
DRUM_HIT_S = 0.1  # a drum's note length: the kit's samples ring out on their own
GUITAR_PROGRAMS = range(24, 32)  # GM's guitar family: their comping is the "guitars" stem


@dataclass
class Voice:
    program: int
    notes: list[Note] = field(default_factory=list)
    bank: int = 0
    pan: float = 0.0  # -1 left .. 1 right


def _programs(score: Score) -> dict[str, int]:
    """The General MIDI instruments of the score's genre (pop's for a genre without its own)."""
    return GM_PROGRAMS.get(score.style.genre, GM_PROGRAMS["pop"])


def _hits_in_beats(genre: str, chord_index: int, swing_beats: float) -> list[tuple[float, float]]:
    """(offset, length) in beats of the chord hits in one bar, for the genres that hit block chords."""
    if genre == "jazz":
        return (
            [(0.0, 1.4), (1.5 + swing_beats, 0.4), (2.5 + swing_beats, 1.2)]
            if chord_index % 2 == 0
            else [(0.5 + swing_beats, 1.0), (2.0, 0.4), (3.0, 0.9)]
        )
    if genre == "hip-hop":
        return [(0.0, 3.5)] if chord_index % 2 == 0 else [(0.0, 1.5), (2.5, 1.5)]
    if genre == "electronic":
        return [(k + 0.5, 0.25) for k in range(4)]
    return [(0.0, 1.5), (1.5, 1.0), (2.5, 1.5)]  # pop


def _block_hits(score: Score, velocity: float) -> list[Note]:
    genre, beat_s = score.style.genre, score.style.beat_s
    notes = []
    for index, (start_s, dur_s, chord) in enumerate(score.chords):
        shift = 12 if genre == "electronic" else 0  # the stabs sit above the pad
        for offset, length in _hits_in_beats(genre, index, score.style.swing / 6):
            if offset * beat_s >= dur_s:
                continue
            hold_s = min(length * beat_s, dur_s - offset * beat_s)
            notes += [
                Note(start_s + offset * beat_s + k * 0.001, hold_s, m + shift, velocity) for k, m in enumerate(chord)
            ]
    return notes


def _power_chords(score: Score) -> list[Note]:
    """Root, fifth and octave in eighths, the off-beats a little softer."""
    eighth_s = score.style.beat_s / 2
    notes = []
    for start_s, dur_s, chord in score.chords:
        root = chord[0] - 12 if chord[0] >= 52 else chord[0]
        for k in range(int(round(dur_s / eighth_s))):
            velocity = 0.85 if k % 2 == 0 else 0.65
            notes += [Note(start_s + k * eighth_s, eighth_s * 0.9, m, velocity) for m in (root, root + 7, root + 12)]
    return notes


def _arpeggio(score: Score, pattern: list[int], shape: str) -> list[Note]:
    """Eighth-note broken chords: `shape` "ballad" climbs to the octave and back, "zither" circles it."""
    eighth_s = score.style.beat_s / 2
    notes = []
    for start_s, dur_s, chord in score.chords:
        top = chord[2] if len(chord) > 2 else chord[1]
        tones = (
            chord + [chord[0] + 12, chord[1] + 12, top + 12]
            if shape == "ballad"
            else [chord[0], top, chord[0] + 12, chord[1] + 12]
        )
        for k in range(int(round(dur_s / eighth_s))):
            tone = tones[pattern[k % len(pattern)] % len(tones)] + 12
            notes.append(Note(start_s + k * eighth_s, eighth_s * 2.5, tone, 0.6 if k % 2 else 0.7))
    return notes


def _strums(score: Score) -> list[Note]:
    """Down and up strokes of a six-string voicing, strings 8 ms apart, as a strummed steel guitar."""
    beat_s = score.style.beat_s
    strokes = [(0, 0.9, 1), (1, 0.55, -1), (1.5, 0.45, 1), (2.5, 0.55, -1), (3, 0.65, 1), (3.5, 0.45, -1)]
    notes = []
    for start_s, dur_s, chord in score.chords:
        strings = [chord[0] - 12, chord[0] - 5] + list(chord) + [chord[0] + 12]
        for offset, velocity, direction in strokes:
            if offset * beat_s >= dur_s:
                continue
            played = strings if direction > 0 else strings[::-1][:4]
            ring_s = min(1.0, dur_s - offset * beat_s)
            notes += [Note(start_s + offset * beat_s + i * 0.008, ring_s, m, velocity) for i, m in enumerate(played)]
    return notes


def _held(score: Score, *, octave: int = 0) -> list[Note]:
    return [Note(start_s, dur_s, m + 12 * octave, 0.5) for start_s, dur_s, chord in score.chords for m in chord]


def chord_voices(score: Score) -> list[Voice]:
    """Write the comping: the chord instrument's pattern, and a held pad where the genre has one.

    Parameters
    ----------
    score : Score
        The composed song; its genre picks the pattern and its chords the notes.

    Returns
    -------
    list of Voice
        The chord instrument's voice, then the pad's when the genre has a pad.
    """
    genre = score.style.genre
    programs = _programs(score)
    if genre == "rock":
        voices = [Voice(programs["chords"], _power_chords(score), pan=-0.3)]
    elif genre == "folk":
        voices = [Voice(programs["chords"], _strums(score), pan=-0.2)]
    elif genre == "ballad":
        voices = [Voice(programs["chords"], _arpeggio(score, [0, 1, 2, 3, 2, 1, 3, 4], "ballad"), pan=0.1)]
    elif genre == "chinese":
        voices = [Voice(programs["chords"], _arpeggio(score, [0, 1, 2, 3], "zither"), pan=0.2)]
    else:
        voices = [Voice(programs["chords"], _block_hits(score, 0.65 if genre != "electronic" else 0.5), pan=0.15)]
    if programs["pad"] >= 0:
        voices.append(Voice(programs["pad"], _held(score, octave=1 if genre == "electronic" else 0), pan=-0.15))
    return voices


def chords_stem_name(score: Score) -> str:
    """Name the stem the comping belongs to.

    Parameters
    ----------
    score : Score
        The composed song; its genre's chord program decides.

    Returns
    -------
    str
        "guitars" for the GM guitar family, else "keys" (keys and pads).
    """
    program = _programs(score)["chords"]
    return "guitars" if program in GUITAR_PROGRAMS else "keys"


def drum_voice(score: Score) -> Voice:
    """Write the drum kit's part: one short note per drum hit of the score.

    Parameters
    ----------
    score : Score
        The composed song; hits on drums outside ``GM_DRUM_NOTES`` are left out.

    Returns
    -------
    Voice
        The genre's kit in the drum bank (``DRUM_BANK``), each hit ``DRUM_HIT_S`` long.
    """
    kit = _programs(score)["kit"]
    hits = [Note(t, DRUM_HIT_S, GM_DRUM_NOTES[name], v) for t, name, v in score.drum_hits if name in GM_DRUM_NOTES]
    return Voice(kit, hits, bank=DRUM_BANK)


def bass_voice(score: Score) -> Voice:
    """Write the bass part on the genre's bass program.

    Parameters
    ----------
    score : Score
        The composed song; its ``bass`` notes are played as written.

    Returns
    -------
    Voice
        The bass program and a copy of the score's bass notes.
    """
    return Voice(_programs(score)["bass"], list(score.bass))


def lead_voice(notes: list[Note], score: Score, *, pan: float) -> Voice:
    """Give notes to the genre's lead instrument.

    Parameters
    ----------
    notes : list of Note
        What the lead plays (the counter line, or the melody of an instrumental), song time.
    score : Score
        The composed song; its genre picks the lead program.
    pan : float
        Stereo position, -1 (left) to 1 (right).

    Returns
    -------
    Voice
        The lead program with a copy of ``notes`` at ``pan``.
    """
    return Voice(_programs(score)["lead"], list(notes), pan=pan)
