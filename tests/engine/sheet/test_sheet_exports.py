"""A score written as MIDI and as a MusicXML lead sheet reads back as the same song."""

import io
import json

import mido
import pytest

from personastudio.engine.dsp import composer, lyrics
from personastudio.engine.sheet import leadsheet, midi, score_json
from personastudio.engine.sheet.syllables import line_syllables

LYRICS = "[Verse]\nHello river running wild\n(ooh yeah)\n[Chorus]\n夜空中最亮的星\nSing it beautiful tonight\n"


@pytest.fixture(scope="module")
def score():
    return composer.compose(lyrics.parse_lyrics(LYRICS), composer.style_from_tags("pop", 3), seed=3)


def _lead(score):
    return [(line, note) for line in score.sung_lines if not line.backing for note in line.notes]


def test_the_score_survives_json(score):
    assert score_json.score_from_json(json.loads(json.dumps(score_json.score_to_json(score)))) == score


def test_english_is_hyphenated_and_chinese_has_pinyin():
    assert [(s.text, s.syllabic) for s in line_syllables("Hello river wild", "en")] == [
        ("Hel", "begin"),
        ("lo", "end"),
        ("riv", "begin"),
        ("er", "end"),
        ("wild", "single"),
    ]
    assert [(s.text, s.pinyin) for s in line_syllables("夜空", "zh")] == [("夜", "yè"), ("空", "kōng")]
    # As many syllables as the composer gave notes, whatever the dictionary says.
    for text in ("everything beautiful", "I love you 3000 times & more"):
        assert len(line_syllables(text, "en")) == lyrics.count_syllables(text, "en")


def test_midi_has_the_scores_tempo_key_sections_notes_and_lyric(score):
    smf = mido.MidiFile(file=io.BytesIO(midi.score_to_midi(score, title="River 河")), charset="utf-8")
    names = [t.name for t in smf.tracks]
    assert names == ["River 河", "Melody", "Backing vocals", "Chords", "Bass", "Lead", "Drums"][: len(names)]
    assert "Drums" in names and "Chords" in names and "Bass" in names
    conductor = smf.tracks[0]
    tempo = next(m.tempo for m in conductor if m.type == "set_tempo")
    assert mido.tempo2bpm(tempo) == pytest.approx(score.style.tempo_bpm, abs=0.01)
    assert next(m for m in conductor if m.type == "time_signature").numerator == 4
    assert next(m.key for m in conductor if m.type == "key_signature") == midi.key_name(score)
    assert [m.text for m in conductor if m.type == "marker"] == [kind for kind, _a, _b in score.section_spans]

    beat_s = score.style.beat_s
    melody = smf.tracks[names.index("Melody")]
    now, ons, words = 0, [], []
    for msg in melody:
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            ons.append((now, msg.note, msg.channel))
        if msg.type == "lyrics":
            words.append(msg.text)
    lead = _lead(score)
    assert [(round(n[0] / beat_s * midi.TICKS_PER_BEAT), round(n[2]), 0) for _line, n in lead] == ons
    sung = [s for line in score.sung_lines if not line.backing for s in line_syllables(line.text, line.language)]
    assert len(words) == len(lead) == len(sung)
    assert "".join(words).split() == [
        "Hel-lo",
        "riv-er",
        "run-ning",
        "wild",
        *"夜空中最亮的星",
        "Sing",
        "it",
        "beau-ti-ful",
        "to-night",
    ]
    drums = smf.tracks[names.index("Drums")]
    assert {m.channel for m in drums if m.type == "note_on"} == {9}


def test_the_lead_sheet_has_the_melody_lyric_chords_and_sections(score):
    from music21 import converter, harmony

    data = leadsheet.score_to_musicxml(score, title="River 河")
    assert b'<score-partwise version="4.0">' in data
    sheet = converter.parseData(data.decode("utf-8"), format="musicxml")
    assert sheet.metadata.bestTitle == "River 河"
    part = sheet.parts[0]
    notes = [n for n in part.recurse().notes if n.isNote and (n.tie is None or n.tie.type == "start")]
    lead = _lead(score)
    assert [n.pitch.midi for n in notes] == [round(n[2]) for _line, n in lead]
    beat_s = score.style.beat_s
    assert [float(n.getOffsetInHierarchy(part)) for n in notes] == [leadsheet._grid(n[0], beat_s) for _line, n in lead]
    first_lines = [n.lyrics[0].text for n in notes]
    assert first_lines[:7] == ["Hel", "lo", "riv", "er", "run", "ning", "wild"]
    assert [n.lyrics[0].syllabic for n in notes[:2]] == ["begin", "end"]
    zh = [n for n in notes if len(n.lyrics) == 2]
    assert "".join(n.lyrics[0].text for n in zh) == "夜空中最亮的星" and zh[0].lyrics[1].text == "yè"
    symbols = list(part.recurse().getElementsByClass(harmony.ChordSymbol))
    assert len(symbols) == len(score.chords)
    for symbol, (_t, _d, pitches) in zip(symbols, score.chords):
        assert {p.pitchClass for p in symbol.pitches} == {p % 12 for p in pitches}
    marks = [m.content for m in part.recurse().getElementsByClass("RehearsalMark")]
    assert marks == [leadsheet.SECTION_NAMES[kind] for kind, _a, _b in score.section_spans]


def test_an_instrumental_has_no_lyric_and_only_the_parts_it_plays():
    score = composer.compose([], composer.style_from_tags("jazz", 1), seed=1)
    assert not score.sung_lines
    smf = mido.MidiFile(file=io.BytesIO(midi.score_to_midi(score, title="Tune")), charset="utf-8")
    names = [t.name for t in smf.tracks]
    assert "Backing vocals" not in names and ("Melody" in names) == bool(score.melody)
    assert not any(m.type == "lyrics" for t in smf.tracks for m in t)
    assert leadsheet.score_to_musicxml(score, title="Tune").startswith(b"<?xml")
