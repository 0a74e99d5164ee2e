import re

from personastudio.engine.dsp.inspiration import rhyme_family, write_song
from personastudio.engine.dsp.lyrics import parse_lyrics


def _check(song, lang):
    assert song.language == lang
    secs = parse_lyrics(song.lyrics)
    assert [s.kind for s in secs] == ["verse", "chorus", "verse", "chorus", "bridge", "chorus"]
    assert all(len(s.lines) == 4 for s in secs)
    choruses = [[l.text for l in s.lines] for s in secs if s.kind == "chorus"]
    assert choruses[0] == choruses[1] == choruses[2]
    for s in secs:
        fams = [rhyme_family(l.text, lang) for l in s.lines]
        assert None not in fams
        if s.kind == "chorus":
            assert len(set(fams)) == 1
        else:
            assert fams[0] == fams[1] and fams[2] == fams[3]
    return secs


def test_english():
    song = write_song("a sad ballad about summer rain in the city", seed=4)
    _check(song, "en")
    assert "summer" in song.title.lower() or "rain" in song.title.lower() or "city" in song.title.lower()
    assert "sad" in song.tags and "ballad" in song.tags
    assert "[Verse]" in song.lyrics and "[Bridge]" in song.lyrics


def test_chinese():
    song = write_song("一首关于夏天和大海的欢快民谣", seed=4)
    _check(song, "zh")
    assert "夏天" in song.title or "大海" in song.title
    assert "欢快" in song.tags and "民谣" in song.tags
    assert "[主歌]" in song.lyrics and "[副歌]" in song.lyrics
    assert "夏天" in song.lyrics


def test_fallback_tags_and_determinism():
    a = write_song("something about my grandmother's kitchen", seed=9)
    assert a.tags == "pop, warm"
    assert a == write_song("something about my grandmother's kitchen", seed=9)
    assert a.lyrics != write_song("something about my grandmother's kitchen", seed=10).lyrics
    z = write_song("写一首歌", seed=1)
    assert z.tags == "流行, 温暖" and z.language == "zh"
    assert re.search(r"\[副歌\]", z.lyrics)
