from personastudio.engine.dsp.lyrics import count_syllables, detect_language, parse_lyrics


def test_english_tags():
    text = "[Intro]\n\n[Verse]\nhello there my friend\n(ooh ooh)\n[Pre-Chorus]\nwe rise\n[Chorus]\nsing along\n" \
           "[Verse 2]\nagain\n[Bridge]\nbreak it down\n[Weird Tag]\nstuff\n[Outro]\n[Instrumental]\n"
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["intro", "verse", "prechorus", "chorus", "verse", "bridge", "verse", "outro", "instrumental"]
    verse = parse_lyrics(text)[1]
    assert [l.backing for l in verse.lines] == [False, True]
    assert verse.lines[0].text == "hello there my friend"


def test_chinese_tags():
    text = "[前奏]\n[主歌]\n夏天的风\n[预副歌]\n慢慢吹\n[副歌]\n我爱你\n[桥段]\n远方\n[间奏]\n[尾奏]\n"
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["intro", "verse", "prechorus", "chorus", "bridge", "instrumental", "outro"]
    assert parse_lyrics(text)[1].lines[0].syllables == 4


def test_untagged_repeated_stanza_becomes_chorus():
    text = "walking alone\nin the rain\n\nla la love\nsing it now\n\nanother day\nanother way\n\nla la love\nsing it now\n"
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["verse", "chorus", "verse", "chorus"]


def test_count_syllables():
    assert count_syllables("我爱你中国") == 5
    assert count_syllables("hello world") == 3
    assert count_syllables("love") == 1
    assert count_syllables("time") == 1
    assert count_syllables("beautiful") == 3
    assert count_syllables("a") == 1
    assert count_syllables("...!!!") == 0
    assert count_syllables("7") == 2  # seven
    assert 3 <= count_syllables("25") <= 4  # twenty five
    assert count_syllables("我 love 你") == 3


def test_detect_language():
    assert detect_language("夏天的海边 我们一起唱歌") == "zh"
    assert detect_language("summer by the sea") == "en"
    assert detect_language("summer 夏天 by the sea and the sky tonight") == "en"
    assert detect_language("我爱你 baby") == "zh"
