import pytest
from factories import UserFactory

from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db


def test_custom_mode_needs_lyrics_or_tags(user_client):
    response = user_client.post("/generations/new/", {"mode": "custom", "title": "Empty"})
    assert response.status_code == 400
    assert b"Write some lyrics or give style tags" in response.content
    assert b'value="Empty"' in response.content
    assert not Generation.objects.exists()


def test_inspiration_mode_needs_a_description(user_client):
    response = user_client.post("/generations/new/", {"mode": "inspiration", "prompt": "kept lyrics"})
    assert response.status_code == 400
    assert b"Describe the song you want" in response.content
    assert b"kept lyrics" in response.content  # the other tab's text is not lost


def test_overlong_lyrics_are_refused_next_to_the_field_and_kept(user_client):
    lyrics = "la " * 1100
    response = user_client.post("/generations/new/", {"mode": "custom", "prompt": lyrics})
    assert response.status_code == 400
    assert b"at most 3000 characters" in response.content
    assert lyrics.strip().encode() in response.content


def test_a_description_is_never_sent_with_lyrics_or_tags(user_client):
    user_client.post(
        "/generations/new/",
        {
            "mode": "inspiration",
            "gpt_description_prompt": "a song about rain",
            "prompt": "draft lyrics",
            "tags": "rock",
        },
    )
    generation = Generation.objects.get()
    assert generation.mode == "inspiration" and generation.prompt == "" and generation.tags == ""


def test_only_your_ready_personas_are_offered(user_client):
    from personastudio.personas.models import Persona

    mine = Persona.objects.create(owner=user_client.get("/").wsgi_request.user, name="Ready", status="complete")
    Persona.objects.create(owner=mine.owner, name="Learning", status="pending")
    Persona.objects.create(owner=UserFactory(), name="Someone else's", status="complete")
    body = user_client.get("/generations/new/").content.decode()
    assert "Ready" in body and "Learning" not in body and "Someone else" not in body
