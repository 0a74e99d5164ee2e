import numpy as np

from personastudio.engine.dsp.composer import compose, style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics

LYRICS = """[Verse]
walking down the empty street
counting every step I take
[Chorus]
la la la la love
(la la)
sing it loud and clear tonight
[Verse 2]
rain is falling on my face
nothing stays the same
[Chorus]
la la la la love
(la la)
sing it loud and clear tonight
"""

ZH = """[主歌]
夏天的风吹过海边
我们一起唱着歌
[副歌]
我爱你直到永远
星星照亮回家的路
[主歌 2]
秋天的雨落在窗前
你说过会回来
[副歌]
我爱你直到永远
星星照亮回家的路
"""


def test_tags_to_tempo_and_mode():
    for seed in range(4):
        assert style_from_tags("sad ballad", seed).mode == "minor"
        assert style_from_tags("sad ballad", seed).tempo_bpm <= 80
        assert style_from_tags("抒情", seed).tempo_bpm <= 80
        assert style_from_tags("slow", seed).tempo_bpm <= 80
        assert style_from_tags("慢歌", seed).tempo_bpm <= 80
        assert style_from_tags("upbeat", seed).tempo_bpm >= 120
        assert style_from_tags("upbeat", seed).mode == "major"
        assert style_from_tags("dance", seed).tempo_bpm >= 120
        assert style_from_tags("fast rock", seed).tempo_bpm >= 120
        assert style_from_tags("快歌 摇滚", seed).tempo_bpm >= 120
        assert style_from_tags("悲伤 流行", seed).mode == "minor"
        assert style_from_tags("欢快 民谣", seed).mode == "major"
        assert 90 <= style_from_tags("mid-tempo pop", seed).tempo_bpm <= 112
    assert style_from_tags("jazz", 1).genre == "jazz" and style_from_tags("jazz", 1).swing > 0
    assert style_from_tags("古风", 1).genre == "chinese" and style_from_tags("古风", 1).pentatonic
    assert style_from_tags("说唱", 1).genre == "hip-hop"
    assert style_from_tags("电子 舞曲", 1).genre == "electronic"
    assert style_from_tags("acoustic", 1).genre == "folk"
    assert style_from_tags("摇滚", 1).genre == "rock"
    s = style_from_tags("zzz unknown", 0)
    assert s.genre == "pop" and abs(s.tempo_bpm - 100) <= 5
    s = style_from_tags("pop, 128 bpm, A minor", 0)
    assert s.tempo_bpm == 128 and s.mode == "minor" and s.key_root_midi % 12 == 9
    s = style_from_tags("流行 C大调", 0)
    assert s.mode == "major" and s.key_root_midi % 12 == 0


def _section_lines(score, kind, backing=False):
    return [sl for sl in score.sung_lines if sl.kind == kind and sl.backing == backing]


def _rel(notes):
    t0 = notes[0][0]
    return [(round(s - t0, 4), round(d, 4), m) for s, d, m in notes]


def test_chorus_repeats_identically_and_verses_share_tune():
    secs = parse_lyrics(LYRICS)
    for seed in range(3):
        score = compose(secs, style_from_tags("pop", seed), seed=seed)
        ch = _section_lines(score, "chorus")
        assert len(ch) == 4
        assert [m for _, _, m in ch[0].notes] == [m for _, _, m in ch[2].notes]
        assert _rel(ch[1].notes) == _rel(ch[3].notes)
        back = _section_lines(score, "chorus", backing=True)
        assert len(back) == 2 and _rel(back[0].notes) == _rel(back[1].notes)
        # full melody (with melismas) identical in both choruses
        spans = [(a, b) for k, a, b in score.section_spans if k == "chorus"]
        tunes = [
            [(round(n.start_s - a, 4), round(n.dur_s, 4), n.midi) for n in score.melody if a <= n.start_s < b]
            for a, b in spans
        ]
        assert tunes[0] and tunes[0] == tunes[1]
    # verses share their tune: lines with equal syllable counts get the same notes
    text = "[Verse]\nwalking down the empty street\nI see you\n[Chorus]\nla la\n[Verse]\ntalking to the lonely moon\nyou and me\n"
    secs = parse_lyrics(text)
    score = compose(secs, style_from_tags("folk", 4), seed=4)
    v = _section_lines(score, "verse")
    assert _rel(v[0].notes) == _rel(v[2].notes)
    assert _rel(v[1].notes) == _rel(v[3].notes)


def test_sung_lines_one_note_per_syllable_even_after_override():
    secs = parse_lyrics(LYRICS)
    secs[0].lines[0].syllables = 9  # a singer's own count (e.g. eSpeak) wins
    secs[1].lines[0].syllables = 3
    score = compose(secs, style_from_tags("ballad", 2), seed=2)
    lines = [l for s in secs for l in s.lines]
    assert len(score.sung_lines) == len(lines) == len(score.line_spans)
    for sl, ln in zip(score.sung_lines, lines):
        assert len(sl.notes) == ln.syllables
        assert sl.backing == ln.backing and sl.language == ln.language
        starts = [s for s, _, _ in sl.notes]
        assert starts == sorted(starts)
        for (s0, d0, _), (s1, _, _) in zip(sl.notes, sl.notes[1:]):
            assert d0 > 0 and s0 + d0 <= s1 + 1e-6
    assert score.sung_lines[1].text == "counting every step I take"
    assert score.sung_lines[3].text == "la la" and score.sung_lines[3].backing
    # all sung lines are in song order and never overlap (backing lines echo after the lead line)
    flat = [n for sl in score.sung_lines for n in sl.notes]
    for (s0, d0, _), (s1, _, _) in zip(flat, flat[1:]):
        assert s0 + d0 <= s1 + 1e-6
    # melody keeps every note (melismas make it at least as long) and each syllable's main pitch
    assert len(score.melody) >= len(flat)
    melody_pitches = {(round(n.start_s, 6), n.midi) for n in score.melody}
    for s, d, m in flat:
        inside = [n for n in score.melody if s - 1e-6 <= n.start_s < s + d - 1e-6]
        assert inside and m in [n.midi for n in inside]
    assert melody_pitches


def test_melisma_and_stable_phrase_endings():
    secs = parse_lyrics(LYRICS)
    melismas = 0
    for seed in range(6):
        style = style_from_tags("ballad", seed)
        score = compose(secs, style, seed=seed)
        root = style.key_root_midi % 12
        third = 4 if style.mode == "major" else 3
        for sl in score.sung_lines:
            if sl.backing:
                continue
            last = sl.notes[-1]
            assert (last[2] - root) % 12 in (0, third, 7)
            assert last[1] >= np.mean([d for _, d, _ in sl.notes])
        flat = sum(len(sl.notes) for sl in score.sung_lines)
        melismas += len(score.melody) - flat
    assert melismas > 0


def test_chinese_tones_shape_the_contour():
    secs = parse_lyrics(ZH)
    for seed in range(6):
        score = compose(secs, style_from_tags("古风", seed), seed=seed)
        lines = [l for s in secs for l in s.lines]
        for sl, ln in zip(score.sung_lines, lines):
            assert sl.language == "zh" and len(sl.notes) == len(ln.tones)
            for k in range(len(ln.tones) - 1):
                a, b = sl.notes[k][2], sl.notes[k + 1][2]
                if ln.tones[k] == 2:
                    assert b >= a
                if ln.tones[k] == 4:
                    assert b <= a
        ch = _section_lines(score, "chorus")
        assert [n[2] for n in ch[0].notes] == [n[2] for n in ch[2].notes]


def test_register_default_and_persona_range():
    secs = parse_lyrics(LYRICS)
    for seed in range(5):
        score = compose(secs, style_from_tags("pop", seed), seed=seed)
        assert all(60 <= n.midi <= 72 for n in score.melody)
        score = compose(secs, style_from_tags("pop", seed), seed=seed, vocal_range_midi=(48.0, 62.0))
        assert all(48 <= n.midi <= 62 for n in score.melody)
        assert all(48 <= m <= 62 for sl in score.sung_lines for _, _, m in sl.notes)
        mean = np.mean([n.midi for n in score.melody])
        assert 50 <= mean <= 60
        score = compose(secs, style_from_tags("pop", seed), seed=seed, vocal_range_midi=(57.0, 65.0))
        assert all(57 <= n.midi <= 65 for n in score.melody)


def test_seed_reproducible_and_differs():
    secs = parse_lyrics(LYRICS)

    def sig(seed):
        st = style_from_tags("pop", seed)
        sc = compose(secs, st, seed=seed)
        return (
            st.key_root_midi,
            st.tempo_bpm,
            tuple((round(n.start_s, 4), n.midi) for n in sc.melody),
            tuple(h[1] for h in sc.drum_hits[:40]),
            tuple(tuple(sl.notes) for sl in sc.sung_lines),
        )

    assert sig(11) == sig(11)
    assert sig(11) != sig(12)
    assert len({sig(s)[2] for s in range(5)}) >= 4
    # same style, different seed: a different tune
    st = style_from_tags("pop", 1)
    a = [m for sl in compose(secs, st, seed=1).sung_lines for _, _, m in sl.notes]
    b = [m for sl in compose(secs, st, seed=2).sung_lines for _, _, m in sl.notes]
    assert a != b


def test_band_only_sections_and_counter_line():
    secs = parse_lyrics("[Intro]\n" + LYRICS + "[Instrumental]\n[Outro]\n")
    score = compose(secs, style_from_tags("pop", 5), seed=5)
    spans = {k: (a, b) for k, a, b in score.section_spans}
    for kind in ("intro", "instrumental", "outro"):
        a, b = spans[kind]
        assert not any(a <= n.start_s < b for n in score.melody)  # arrangement only
    a, b = spans["instrumental"]
    assert any(a <= n.start_s < b for n in score.counter)  # the lead instrument plays the hook


def test_empty_lyrics_make_about_30_seconds():
    score = compose([], style_from_tags("pop", 1), seed=1)
    assert 24 <= score.duration_s <= 40
    assert not score.melody and not score.sung_lines and score.chords and score.drum_hits
    assert score.counter  # an instrumental still has a lead line


def test_long_lyrics_stay_under_three_minutes():
    lines = "\n".join(["walking down the empty street tonight"] * 4)
    text = "\n".join(f"[{k}]\n{lines}" for k in ["Verse", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"])
    score = compose(parse_lyrics(text), style_from_tags("sad ballad", 2), seed=2)
    assert 30 <= score.duration_s <= 185


def test_counter_licks_stay_out_of_the_sung_notes():
    secs = parse_lyrics(LYRICS)
    for genre in ("pop", "ballad", "jazz", "古风"):
        score = compose(secs, style_from_tags(genre, 1), seed=1)
        sung = [n for sl in score.sung_lines for n in sl.notes]
        vocal_spans = [(a, b) for k, a, b in score.section_spans if k in ("verse", "chorus")]
        licks = [c for c in score.counter if any(a <= c.start_s < b for a, b in vocal_spans)]
        assert licks
        for c in licks:
            assert not any(s < c.start_s + c.dur_s and c.start_s < s + d for s, d, _ in sung)


def test_band_instruments_in_tune_and_the_band_in_range():
    from personastudio.engine.dsp.band import _ks_tone, render_band

    sr = 22050
    for f in (110.0, 196.0, 440.0):
        x = _ks_tone(f, sr, sr=sr, decay=1.0, bright=0.6)
        spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        lo, hi = int(f * 0.9), int(f * 1.1)
        peak = lo + int(np.argmax(spec[lo:hi]))
        assert abs(1200 * np.log2(peak / f)) < 15
    score = compose(parse_lyrics(LYRICS), style_from_tags("folk", 2), seed=2)
    band = render_band(score, sr=sr, seed=2, play_melody=True)  # its speed: scripts/bench_engine.py
    assert np.isfinite(band).all() and np.abs(band).max() <= 1.0
