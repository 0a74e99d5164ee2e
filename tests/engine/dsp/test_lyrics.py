from personastudio.engine.dsp.lyrics import analyse_line, count_syllables, detect_language, parse_lyrics


def test_english_tags():
    text = (
        "[Intro]\n\n[Verse]\nhello there my friend\n(ooh ooh)\n[Pre-Chorus]\nwe rise\n[Chorus]\nsing along\n"
        "[Verse 2]\nagain\n[Bridge]\nbreak it down\n[Weird Tag]\nstuff\n[Outro]\n[Instrumental]\n"
    )
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["intro", "verse", "prechorus", "chorus", "verse", "bridge", "verse", "outro", "instrumental"]
    verse = parse_lyrics(text)[1]
    assert [l.backing for l in verse.lines] == [False, True]
    assert verse.lines[0].text == "hello there my friend"
    assert verse.lines[1].sung_text == "ooh ooh" and verse.lines[1].syllables == 2
    assert all(l.language == "en" and l.tones == [] for l in verse.lines)


def test_tag_variants():
    text = (
        "[Verse 1: Anna]\none\n[Chorus x2]\ntwo\n[Post-Chorus]\nthree\n[Hook]\nfour\n[Interlude]\n"
        "[Guitar Solo]\n[Final Chorus]\nfive\n[Fade Out]\n"
    )
    assert [s.kind for s in parse_lyrics(text)] == [
        "verse",
        "chorus",
        "chorus",
        "chorus",
        "instrumental",
        "instrumental",
        "chorus",
        "outro",
    ]


def test_empty_chorus_tag_repeats_the_chorus():
    secs = parse_lyrics("[Chorus]\nsing it loud\nsing it clear\n[Verse]\nwalking\n[Chorus]\n")
    assert [s.kind for s in secs] == ["chorus", "verse", "chorus"]
    assert [l.text for l in secs[2].lines] == ["sing it loud", "sing it clear"]
    assert secs[2].lines[0] is not secs[0].lines[0]


def test_chinese_tags_and_tones():
    text = "[前奏]\n[主歌]\n夏天的风\n（啊 啊）\n[预副歌]\n慢慢吹\n[副歌]\n我爱你\n[桥段]\n远方\n[间奏]\n[尾奏]\n"
    secs = parse_lyrics(text)
    assert [s.kind for s in secs] == ["intro", "verse", "prechorus", "chorus", "bridge", "instrumental", "outro"]
    line = secs[1].lines[0]
    assert line.syllables == 4 and line.language == "zh"
    assert line.readings == ["xia4", "tian1", "de5", "feng1"]
    assert line.tones == [4, 1, 5, 1]
    back = secs[1].lines[1]
    assert back.backing and back.sung_text == "啊 啊" and back.syllables == 2
    assert secs[3].lines[0].tones == [3, 4, 3]


def test_untagged_repeated_stanza_becomes_chorus():
    text = (
        "walking alone\nin the rain\n\nla la love\nsing it now\n\nanother day\nanother way\n\nla la love\nsing it now\n"
    )
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["verse", "chorus", "verse", "chorus"]


def test_count_syllables():
    assert count_syllables("我爱你中国") == 5
    assert count_syllables("hello world") == 3
    assert count_syllables("love") == 1
    assert count_syllables("time") == 1
    assert count_syllables("beautiful") == 3
    assert count_syllables("tonight") == 2
    assert count_syllables("area") == 3
    assert count_syllables("a") == 1
    assert count_syllables("...!!!") == 0
    assert count_syllables("7") == 2  # seven
    assert count_syllables("2 hearts") == 2  # two hearts
    assert count_syllables("25") == 3  # twenty five
    assert count_syllables("I'm walking 4 miles & more") == 7
    assert count_syllables("我 love 你") == 3
    assert count_syllables("dreamin' of you") == 4  # unknown contraction → stem


def test_digits_in_chinese_lines_read_in_chinese():
    line = analyse_line("我在2024年遇见你")
    assert line.language == "zh" and line.syllables == 10  # 我在 二零二四 年遇见你
    assert line.readings[2:6] == ["er4", "ling2", "er4", "si4"]
    assert analyse_line("25岁的夏天").syllables == 7  # 二十五 岁的夏天
    mixed = analyse_line("我爱你 baby")
    assert mixed.syllables == 5 and mixed.tones == [3, 4, 3, 0, 0] and len(mixed.readings) == 5


def test_line_syllables_are_overridable():
    line = parse_lyrics("[Verse]\nfire in the sky\n")[0].lines[0]
    line.syllables = 6
    assert line.syllables == 6


def test_detect_language():
    assert detect_language("夏天的海边 我们一起唱歌") == "zh"
    assert detect_language("summer by the sea") == "en"
    assert detect_language("summer 夏天 by the sea and the sky tonight") == "en"
    assert detect_language("我爱你 baby") == "zh"
