"""A Standard MIDI File of a song's score (mido): one track per part, the lyric on the melody.

Track 0 carries the title, tempo, 4/4 and the key signature, and a marker at every section. Then
one track each for the melody (with a lyric meta-event per syllable), backing vocals, chords, bass,
the lead instrument and drums (channel 10), each only when the song has that part. Times are the
engine's own: the score is in seconds at one tempo, so ticks are exact to 1/480 of a beat.
"""

from __future__ import annotations

import io

import mido

from ..dsp.arrangement import DRUM_HIT_S, GM_DRUM_NOTES
from ..dsp.composer import GM_PROGRAMS, Score
from .syllables import line_syllables

TICKS_PER_BEAT = 480
# Channels for each part, and the General MIDI programs (0-based) of the sung parts; the band's parts
# take the genre's instruments from composer.GM_PROGRAMS, so the file sounds like the song's band.
CHANNELS = {"melody": 0, "backing": 1, "chords": 2, "bass": 3, "lead": 4}
SUNG_PROGRAMS = {"melody": 53, "backing": 52}  # voice oohs, choir aahs
DRUM_CHANNEL = 9  # channel 10 in the standard's own numbering
_MAJOR_KEYS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_MINOR_KEYS = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"]


def key_name(score: Score) -> str:
    """The key as mido (and a musician) writes it: "Eb", "F#m"."""
    pc = int(score.style.key_root_midi) % 12
    return (_MINOR_KEYS if score.style.mode == "minor" else _MAJOR_KEYS)[pc]


def _ticks(seconds: float, beat_s: float) -> int:
    return max(0, round(seconds / beat_s * TICKS_PER_BEAT))


def _track(name: str, events: list[tuple[int, int, mido.Message | mido.MetaMessage]]) -> mido.MidiTrack:
    """A track from (tick, order, message) events: note-offs (order 0) before note-ons at the same tick."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    now = 0
    for tick, _order, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _notes(notes, *, channel: int, beat_s: float, lyrics: list[str] | None = None) -> list:
    events = []
    for i, (start_s, dur_s, midi, velocity) in enumerate(notes):
        on, off = _ticks(start_s, beat_s), _ticks(start_s + dur_s, beat_s)
        off = max(off, on + 1)
        pitch, vel = int(round(midi)), max(1, min(127, int(round(velocity * 127))))
        if lyrics is not None and lyrics[i]:
            events.append((on, 1, mido.MetaMessage("lyrics", text=lyrics[i])))
        events.append((on, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        events.append((off, 0, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    return events


def _program(channel: int, program: int) -> tuple:
    return (0, 0, mido.Message("program_change", channel=channel, program=program))


def _sung(score: Score, *, backing: bool) -> tuple[list, list[str]]:
    """(notes, lyric per note) of the lead lines or the backing lines, one syllable per note."""
    notes, words = [], []
    for line in score.sung_lines:
        if line.backing != backing or not line.notes:
            continue
        syllables = line_syllables(line.text, line.language)
        for k, (start_s, dur_s, midi) in enumerate(line.notes):
            notes.append((start_s, dur_s, midi, 0.55 if backing else 0.85))
            syl = syllables[k] if k < len(syllables) else None
            # A hyphen after a syllable that continues the word, as karaoke files write it.
            words.append("" if syl is None else syl.text + ("-" if syl.syllabic in ("begin", "middle") else " "))
    return notes, words


def score_to_midi(score: Score, *, title: str) -> bytes:
    """The score as a type-1 Standard MIDI File."""
    beat_s = score.style.beat_s
    conductor = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(score.style.tempo_bpm))),
        (0, 0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
        (0, 0, mido.MetaMessage("key_signature", key=key_name(score))),
    ]
    conductor += [
        (_ticks(start_s, beat_s), 1, mido.MetaMessage("marker", text=kind))
        for kind, start_s, _end_s in score.section_spans
    ]
    tracks = [_track(title or "Untitled", conductor)]

    band_programs = GM_PROGRAMS.get(score.style.genre, GM_PROGRAMS["pop"])

    def add(part: str, name: str, notes, lyrics=None):
        if notes:
            channel, program = CHANNELS[part], SUNG_PROGRAMS.get(part, band_programs.get(part, 0))
            tracks.append(
                _track(
                    name, [_program(channel, program)] + _notes(notes, channel=channel, beat_s=beat_s, lyrics=lyrics)
                )
            )

    if score.sung_lines:
        lead, words = _sung(score, backing=False)
        add("melody", "Melody", lead, words)
        add("backing", "Backing vocals", _sung(score, backing=True)[0])
    else:  # an instrumental: the tune the band plays
        add("melody", "Melody", [(n.start_s, n.dur_s, n.midi, n.velocity) for n in score.melody])
    add("chords", "Chords", [(start_s, dur_s, m, 0.6) for start_s, dur_s, chord in score.chords for m in chord])
    add("bass", "Bass", [(n.start_s, n.dur_s, n.midi, n.velocity) for n in score.bass])
    add("lead", "Lead", [(n.start_s, n.dur_s, n.midi, n.velocity) for n in score.counter])
    hits = [(t, DRUM_HIT_S, GM_DRUM_NOTES[name], v) for t, name, v in score.drum_hits if name in GM_DRUM_NOTES]
    if hits:
        tracks.append(_track("Drums", _notes(hits, channel=DRUM_CHANNEL, beat_s=beat_s)))
    smf = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT, charset="utf-8", tracks=tracks)
    out = io.BytesIO()
    smf.save(file=out)
    return out.getvalue()
