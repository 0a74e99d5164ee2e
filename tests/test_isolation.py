"""Three people: the owner, another user, and nobody. Another user's object is always a 404."""

import pytest
from factories import UserFactory, make_clip

from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects():
    owner = UserFactory()
    clip = make_clip(owner)
    persona = Persona.objects.create(owner=owner, name="Mine", source_clip=clip, status="complete")
    generation = Generation.objects.create(owner=owner, prompt="la la", status="failed", error="x")
    return owner, clip, persona, generation


def _urls(clip, persona, generation):
    return [
        ("get", f"/clips/{clip.id}/"),
        ("get", f"/clips/{clip.id}/audio"),
        ("get", f"/clips/{clip.id}/separation/"),
        ("get", f"/clips/{clip.id}/player"),
        ("get", f"/clips/{clip.id}/parts/"),
        ("post", f"/clips/{clip.id}/favourite/"),
        ("post", f"/clips/{clip.id}/separate/"),
        ("post", f"/clips/{clip.id}/rename/"),
        ("get", f"/clips/{clip.id}/delete/"),
        ("post", f"/clips/{clip.id}/delete/"),
        ("get", f"/personas/{persona.id}/"),
        ("get", f"/personas/{persona.id}/status/"),
        ("post", f"/personas/{persona.id}/edit/"),
        ("get", f"/personas/{persona.id}/delete/"),
        ("post", f"/personas/{persona.id}/delete/"),
        ("get", f"/generations/{generation.id}/"),
        ("get", f"/generations/{generation.id}/status/"),
        ("get", f"/generations/{generation.id}/progress/"),
        ("post", f"/generations/{generation.id}/retry/"),
    ]


def test_the_owner_can_open_every_object_url(client, objects):
    owner, clip, persona, generation = objects
    client.force_login(owner)
    for method, url in _urls(clip, persona, generation):
        if method == "get":
            assert client.get(url).status_code in (200, 286), url


def test_another_user_gets_404_for_every_object_url(client, objects):
    _, clip, persona, generation = objects
    client.force_login(UserFactory())
    for method, url in _urls(clip, persona, generation):
        assert getattr(client, method)(url, {"title": "Stolen", "name": "Stolen"}).status_code == 404, url
    clip.refresh_from_db()
    persona.refresh_from_db()
    assert clip.title != "Stolen" and persona.name == "Mine"
    assert not Generation.objects.filter(owner__username__startswith="singer").exclude(pk=generation.pk).exists()


def test_nobody_is_sent_to_the_login_page_for_every_object_url(client, objects):
    _, clip, persona, generation = objects
    for method, url in _urls(clip, persona, generation):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_lists_show_only_your_own_objects(client, objects):
    _, clip, persona, generation = objects
    client.force_login(UserFactory())
    for url in ("/clips/", "/personas/", "/generations/", "/"):
        body = client.get(url).content.decode()
        assert str(clip.id) not in body and str(persona.id) not in body and str(generation.id) not in body


def test_another_users_clip_is_not_offered_in_the_persona_form(client, objects):
    _, clip, _, _ = objects
    client.force_login(UserFactory())
    response = client.post("/personas/new/", {"name": "Thief", "clip": str(clip.id)})
    assert response.status_code == 400
    assert not Persona.objects.filter(name="Thief").exists()


def test_ids_in_urls_are_uuids(objects):
    _, clip, persona, generation = objects
    for obj in (clip, persona, generation):
        assert len(str(obj.id)) == 36
