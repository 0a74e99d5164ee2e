"""The song form's helpers: prefill from an earlier song, the sung lyric, chips the engine understands."""

import re

import pytest
from factories import UserFactory

from personastudio.engine.dsp import composer, voice
from personastudio.generations.forms import SECTION_BUTTONS, STYLE_CHIPS
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _value(body, field_id):
    """The value of an input or the text of a textarea in the rendered form."""
    m = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>\n?(.*?)</textarea>', body, re.S)
    if m:
        return m.group(1)
    m = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', body)
    assert m, field_id
    v = re.search(r'value="([^"]*)"', m.group(0))
    return v.group(1) if v else ""


def _checked_mode(body):
    return re.search(
        r'<input[^>]*name="mode"[^>]*value="(\w+)"[^>]*checked|'
        r'<input[^>]*name="mode"[^>]*checked[^>]*value="(\w+)"',
        body,
    ).group(1, 2)


def _checked_persona(body):
    """The value of the checked persona radio ("" for "no persona"); exactly one is checked."""
    checked = re.findall(r'<input type="radio" name="persona" value="([^"]*)"[^>]*checked', body)
    assert len(checked) == 1, checked
    return checked[0]


def test_prefill_from_your_own_song(client, user):
    persona = Persona.objects.create(owner=user, name="Ready", status="complete")
    song = Generation.objects.create(
        owner=user,
        mode="custom",
        title="Rivers",
        prompt="[Verse]\nMorning light",
        tags="pop, 女声",
        make_instrumental=True,
        persona=persona,
        status="completed",
    )
    response = client.get(f"/generations/new/?from={song.id}")
    assert response.status_code == 200
    body = response.content.decode()
    assert _value(body, "id_title") == "Rivers"
    assert _value(body, "id_prompt") == "[Verse]\nMorning light"
    assert _value(body, "id_tags") == "pop, 女声"
    assert "custom" in _checked_mode(body)
    assert re.search(r'<input[^>]*id="id_make_instrumental"[^>]*checked', body)
    assert _checked_persona(body) == str(persona.id)
    assert f'data-prefilled-from="{song.id}"' in body


def test_prefill_keeps_an_inspiration_description_and_drops_an_unusable_persona(client, user):
    learning = Persona.objects.create(owner=user, name="Learning", status="pending")
    song = Generation.objects.create(
        owner=user, mode="inspiration", gpt_description_prompt="a rainy folk song", persona=learning
    )
    body = client.get(f"/generations/new/?from={song.id}").content.decode()
    assert "inspiration" in _checked_mode(body)
    assert _value(body, "id_gpt_description_prompt") == "a rainy folk song"
    picker = re.search(r'<fieldset[^>]*id="persona-picker".*?</fieldset>', body, re.S).group(0)
    assert str(learning.id) not in picker and _checked_persona(body) == ""


def test_another_users_song_is_a_404_and_a_bad_id_too(client, user):
    theirs = Generation.objects.create(owner=UserFactory(), title="Secret", prompt="their words")
    response = client.get(f"/generations/new/?from={theirs.id}")
    assert response.status_code == 404
    assert b"their words" not in response.content
    assert client.get("/generations/new/?from=not-a-uuid").status_code == 404


def test_edit_the_sung_lyrics_opens_custom_mode_with_them(client, user):
    sung = "[Verse]\n海边的风吹过来\n[Chorus]\n夏天夏天不要走"
    song = Generation.objects.create(
        owner=user,
        mode="inspiration",
        gpt_description_prompt="一首关于夏天海边的欢快流行歌",
        status="completed",
        provider_results=[
            {"id": "a", "title": "夏天的海 (A)", "tags": "流行, 欢快", "prompt": sung},
            {"id": "b", "title": "夏天的海 (B)", "tags": "流行, 欢快", "prompt": sung},
        ],
    )
    detail = client.get(song.get_absolute_url()).content.decode()
    assert f'href="/generations/new/?from={song.id}&amp;lyrics=sung"' in detail
    assert f'href="/generations/new/?from={song.id}"' in detail
    assert f'action="/generations/{song.id}/retry/"' in detail

    body = client.get(f"/generations/new/?from={song.id}&lyrics=sung").content.decode()
    assert "custom" in _checked_mode(body)
    assert _value(body, "id_prompt") == sung
    assert _value(body, "id_tags") == "流行, 欢快"
    assert _value(body, "id_title") == "夏天的海"
    # the description is still there, in the hidden tab
    assert _value(body, "id_gpt_description_prompt") == "一首关于夏天海边的欢快流行歌"


def test_the_prefilled_form_submits_a_new_song(client, user):
    song = Generation.objects.create(owner=user, mode="custom", title="Again", prompt="la la la", tags="rock")
    response = client.post(
        "/generations/new/", {"mode": "custom", "title": "Again", "prompt": "la la la", "tags": "rock"}
    )
    assert response.status_code == 302
    assert (
        Generation.objects.filter(owner=user).count() == 2
        and Generation.objects.exclude(pk=song.pk).get().title == "Again"
    )


def test_every_chip_and_section_button_is_a_word_the_engine_understands():
    from personastudio.engine.dsp.lyrics import _tag_kind

    for _key, _label, pairs in STYLE_CHIPS:
        for en, zh in pairs:
            for word in (en, zh):
                understood = (
                    word in composer.STYLE_TABLE or voice._FEMALE_TAG.search(word) or (voice._MALE_TAG.search(word))
                )
                assert understood, word
    for kind, en, zh in SECTION_BUTTONS:
        assert _tag_kind(en) == kind and _tag_kind(zh) == kind


def test_the_form_offers_section_buttons_chips_and_limits(client, user):
    body = client.get("/generations/new/").content.decode()
    assert 'data-tag-zh="[副歌]"' in body and 'data-tag-en="[Chorus]"' in body
    assert 'data-tag="女声"' in body and 'aria-pressed="false"' in body
    for field_id, limit in (
        ("id_prompt", 3000),
        ("id_title", 80),
        ("id_tags", 200),
        ("id_gpt_description_prompt", 500),
    ):
        assert re.search(rf'id="{field_id}"[^>]*maxlength="{limit}"|maxlength="{limit}"[^>]*id="{field_id}"', body)
