import numpy as np

from personastudio.engine.dsp.composer import compose, style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics

LYRICS = """[Verse]
walking down the empty street
counting every step I take
[Chorus]
la la la la love
sing it loud and clear tonight
[Verse 2]
rain is falling on my face
nothing stays the same
[Chorus]
la la la la love
sing it loud and clear tonight
"""


def test_tags_to_tempo_and_mode():
    for seed in range(4):
        assert style_from_tags("sad ballad", seed).mode == "minor"
        assert style_from_tags("sad ballad", seed).tempo_bpm <= 80
        assert style_from_tags("抒情", seed).tempo_bpm <= 80
        assert style_from_tags("slow", seed).tempo_bpm <= 80
        assert style_from_tags("upbeat", seed).tempo_bpm >= 120
        assert style_from_tags("upbeat", seed).mode == "major"
        assert style_from_tags("dance", seed).tempo_bpm >= 120
        assert style_from_tags("fast rock", seed).tempo_bpm >= 120
        assert style_from_tags("悲伤 流行", seed).mode == "minor"
    assert style_from_tags("jazz", 1).genre == "jazz" and style_from_tags("jazz", 1).swing > 0
    assert style_from_tags("古风", 1).genre == "chinese"
    assert style_from_tags("说唱", 1).genre == "hip-hop"
    assert style_from_tags("电子 舞曲", 1).genre == "electronic"
    assert style_from_tags("acoustic", 1).genre == "folk"
    s = style_from_tags("zzz unknown", 0)
    assert s.genre == "pop" and abs(s.tempo_bpm - 100) <= 5


def _chorus_tunes(score):
    tunes = []
    for kind, start, end in score.section_spans:
        if kind == "chorus":
            tunes.append([(round(n.start_s - start, 4), round(n.dur_s, 4), n.midi)
                          for n in score.melody if start <= n.start_s < end])
    return tunes


def test_chorus_repeats_identically_and_one_note_per_syllable():
    secs = parse_lyrics(LYRICS)
    score = compose(secs, style_from_tags("pop", 3), seed=3)
    a, b = _chorus_tunes(score)
    assert a and a == b
    assert len(score.melody) == sum(l.syllables for s in secs for l in s.lines)
    assert len(score.line_spans) == 8
    assert score.section_spans[0][0] == "intro" and score.section_spans[-1][0] == "outro"
    # phrase endings are longer than the average note
    durs = np.array([n.dur_s for n in score.melody])
    ends = [max((n for n in score.melody if s <= n.start_s < e), key=lambda n: n.start_s).dur_s
            for s, e in score.line_spans]
    assert np.mean(ends) > np.mean(durs)


def test_register_default_and_persona_range():
    secs = parse_lyrics(LYRICS)
    for seed in range(5):
        score = compose(secs, style_from_tags("pop", seed), seed=seed)
        assert all(60 <= n.midi <= 72 for n in score.melody)
        score = compose(secs, style_from_tags("pop", seed), seed=seed, vocal_range_midi=(48.0, 62.0))
        assert all(48 <= n.midi <= 62 for n in score.melody)
        mean = np.mean([n.midi for n in score.melody])
        assert 50 <= mean <= 60


def test_seed_reproducible_and_differs():
    secs = parse_lyrics(LYRICS)
    def sig(seed):
        st = style_from_tags("pop", seed)
        sc = compose(secs, st, seed=seed)
        return (st.key_root_midi, st.tempo_bpm, tuple((round(n.start_s, 4), n.midi) for n in sc.melody),
                tuple(h[1] for h in sc.drum_hits[:40]))
    assert sig(11) == sig(11)
    assert sig(11) != sig(12)
    assert len({sig(s)[2] for s in range(5)}) >= 4


def test_empty_lyrics_make_about_30_seconds():
    score = compose([], style_from_tags("pop", 1), seed=1)
    assert 24 <= score.duration_s <= 40
    assert not score.melody and score.chords and score.drum_hits


def test_long_lyrics_stay_under_three_minutes():
    lines = "\n".join(["walking down the empty street tonight"] * 4)
    text = "\n".join(f"[{k}]\n{lines}" for k in ["Verse", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"])
    score = compose(parse_lyrics(text), style_from_tags("sad ballad", 2), seed=2)
    assert 30 <= score.duration_s <= 185
