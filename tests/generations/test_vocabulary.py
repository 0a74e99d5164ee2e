"""The song form speaks the engine's vocabulary: section tags and style chips come from the engine's tables."""

import json
import re
from pathlib import Path

import pytest
from factories import UserFactory

from personastudio.engine.dsp import composer, lyrics, voice
from personastudio.generations.forms import STYLE_CHIPS

SONG_FORM_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "song-form.js"


@pytest.mark.django_db
def test_the_song_form_sends_the_engines_section_tag_words_and_names_the_engine_reads(client):
    client.force_login(UserFactory())
    body = client.get("/generations/new/").content.decode()
    sent = json.loads(
        re.search(r'<script id="section-vocabulary" type="application/json">(.*?)</script>', body, re.S).group(1)
    )
    assert sent["tag_words"] == [[kind, list(words)] for kind, words in lyrics.TAG_WORDS]
    for language in ("en", "zh"):
        assert set(sent["labels"][language]) == set(lyrics.SECTION_KINDS)
        for kind, name in sent["labels"][language].items():  # the buttons insert [name]: the engine reads it back
            assert lyrics.parse_lyrics(f"[{name}]\nla la la")[0].kind == kind, name


def test_the_lyric_editor_spells_no_tag_word_of_its_own():
    script = SONG_FORM_JS.read_text(encoding="utf-8")
    words = {w for _kind, ws in lyrics.TAG_WORDS for w in ws} - set(lyrics.SECTION_KINDS)
    spelled = sorted(
        w
        for w in words
        if re.search(rf"""["']{re.escape(w)}["']""", script)
        and not re.search(rf"""setRangeText\([^)]*["']{re.escape(w)}["']""", script)
    )
    assert spelled == [], f"song-form.js spells tag words of its own: {spelled}"


def test_every_style_chip_is_a_word_the_engine_reads():
    for group, _label, pairs in STYLE_CHIPS:
        for word in (w for pair in pairs for w in pair):
            if group == "voice":
                assert voice._FEMALE_TAG.search(word) or voice._MALE_TAG.search(word), word
            else:
                assert word in composer.STYLE_TABLE, word
