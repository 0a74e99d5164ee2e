"""Persona cards and page: avatar, range on a keyboard, voice type, histogram; rename, describe, delete."""

import re

import pytest
from factories import UserFactory

from personastudio.generations.models import Generation
from personastudio.personas.models import Persona
from personastudio.personas.templatetags.persona_tags import (
    avatar_colour,
    initials,
    keyboard_span,
    minsec,
    voice_type,
    voice_type_of,
)

pytestmark = pytest.mark.django_db

MEZZO = {
    "voiced_s": 24.0,
    "low_hz": 220.0,
    "median_hz": 311.1,
    "high_hz": 440.0,
    "histogram": {"57": 40, "60": 120, "63": 300, "66": 90, "69": 20},
}


@pytest.mark.parametrize(
    "low, median, high, register, expected",
    [
        (82, 110, 165, "", ("bass", "男低音")),
        (98, 147, 220, "", ("baritone", "男中音")),
        (147, 220, 330, "", ("tenor", "男高音")),
        (175, 262, 392, "", ("alto", "女低音")),
        (220, 311, 440, "", ("mezzo-soprano", "女中音")),
        (262, 440, 700, "", ("soprano", "女高音")),
        # The measured register settles the overlap between a high man and a low woman.
        (165, 233, 330, "male", ("tenor", "男高音")),
        (165, 233, 330, "female", ("alto", "女低音")),
        (0, 0, 0, "", ("", "")),
    ],
)
def test_voice_type_from_range_and_median(low, median, high, register, expected):
    assert voice_type_of(low, median, high, register) == expected


def test_voice_type_words_include_the_chinese():
    persona = Persona(name="x", profile=MEZZO, status="complete")
    assert voice_type(persona) == "Mezzo-soprano (女中音)"
    assert voice_type(Persona(name="y")) == ""


def test_keyboard_covers_two_octaves_or_more_in_whole_octaves():
    start, end = keyboard_span(57, 69)
    assert start % 12 == 0 and end % 12 == 11 and end - start + 1 >= 25
    assert start <= 57 - 3 and end >= 69 + 3
    wide = keyboard_span(40, 84)
    assert wide[0] <= 37 and wide[1] >= 87


def test_small_helpers():
    assert minsec(83.4) == "1:23" and minsec(5) == "0:05" and minsec(None) == ""
    assert initials("我的歌手") == "我" and initials("night owl") == "NO" and initials("") == "?"
    assert avatar_colour("abc") == avatar_colour("abc") != avatar_colour("abd")


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def persona(user):
    from factories import make_clip, tone

    clip = make_clip(user, title="Summer take", samples=tone(seconds=1.5))
    return Persona.objects.create(owner=user, name="Ada Lovelace", source_clip=clip, status="complete", profile=MEZZO)


def test_cards_show_avatar_keyboard_voice_type_source_and_song_count(client, user, persona):
    Generation.objects.create(owner=user, title="One", persona=persona, status="completed")
    Generation.objects.create(owner=user, title="Two", persona=persona, status="failed")
    Persona.objects.create(owner=user, name="学习中", status="pending")
    body = client.get("/personas/").content.decode()
    assert f'data-id="{persona.id}" data-status="complete"' in body
    assert 'class="avatar"' in body and f'fill="{avatar_colour(persona.id)}"' in body and ">AL</text>" in body
    assert "Mezzo-soprano (女中音)" in body
    assert "Summer take" in body and "2 songs" in body
    assert "Learning this voice" in body and ">学</text>" in body
    keyboard = re.search(r'<svg class="keyboard".*?</svg>', body, re.S).group(0)
    # A3 (57) to A4 (69) highlighted, D#4 (63) the median; keys outside the range are not.
    highlighted = {int(m) for m in re.findall(r'class="key [a-z]+ in-range[^"]*" data-midi="(\d+)"', keyboard)}
    assert highlighted == set(range(57, 70))
    assert re.search(r'class="key black in-range median" data-midi="63"', keyboard)
    assert 'class="median-dot"' in keyboard
    assert len(re.findall(r'<rect class="key', keyboard)) >= 25


def test_persona_page_has_histogram_keyboard_and_keeps_its_contract(client, persona):
    body = client.get(f"/personas/{persona.id}/").content.decode()
    assert 'data-status="complete"' in body and "data-range" in body and "data-median" in body
    assert "Use in a new song" in body and f"?persona={persona.id}" in body
    assert '<svg class="keyboard"' in body and '<svg class="histogram"' in body
    assert 'class="bar median" data-midi="63" data-frames="300"' in body
    assert "Mezzo-soprano (女中音)" in body
    assert f'action="/personas/{persona.id}/edit/"' in body and f'href="/personas/{persona.id}/delete/"' in body


def test_the_status_fragment_still_renders(client, persona):
    response = client.get(f"/personas/{persona.id}/status/")
    assert response.status_code == 286 and "data-range" in response.content.decode()


def test_rename_and_describe(client, persona):
    response = client.post(
        f"/personas/{persona.id}/edit/", {"name": "  我的歌手 ", "description": "Warm, breathy.\nBest on ballads."}
    )
    assert response.status_code == 302 and response["Location"] == f"/personas/{persona.id}/"
    persona.refresh_from_db()
    assert persona.name == "我的歌手" and persona.description == "Warm, breathy.\nBest on ballads."
    body = client.get(persona.get_absolute_url()).content.decode()
    assert "Warm, breathy.<br>Best on ballads." in body


def test_an_empty_name_is_refused_with_a_sentence(client, persona):
    response = client.post(f"/personas/{persona.id}/edit/", {"name": "  ", "description": "x"})
    assert response.status_code == 400 and "Give the persona a name." in response.content.decode()
    persona.refresh_from_db()
    assert persona.name == "Ada Lovelace" and persona.description == ""


def test_delete_confirmation_counts_songs_and_delete_keeps_them(client, user, persona):
    songs = [
        Generation.objects.create(owner=user, title=f"Song {i}", persona=persona, status="completed") for i in range(3)
    ]
    body = " ".join(client.get(f"/personas/{persona.id}/delete/").content.decode().split())
    assert "3 songs used this persona; they stay" in body and "Song 0" in body
    assert 'name="csrfmiddlewaretoken"' in body
    response = client.post(f"/personas/{persona.id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/personas/"
    assert not Persona.objects.filter(pk=persona.pk).exists()
    for song in songs:
        song.refresh_from_db()
        assert song.persona is None
    assert persona.source_clip.__class__.objects.filter(pk=persona.source_clip_id).exists()  # the clip stays
    follow = client.get("/personas/").content.decode()
    assert "is deleted. The 3 songs it sang are kept." in follow


def test_a_persona_without_songs_says_so(client, persona):
    body = client.get(f"/personas/{persona.id}/delete/").content.decode()
    assert "No songs used this persona." in body


@pytest.mark.parametrize("method, suffix", [("post", "edit/"), ("get", "delete/"), ("post", "delete/")])
def test_another_user_gets_404(client, persona, method, suffix):
    client.force_login(UserFactory())
    assert getattr(client, method)(f"/personas/{persona.id}/{suffix}", {"name": "Stolen"}).status_code == 404
    persona.refresh_from_db()
    assert persona.name == "Ada Lovelace"
