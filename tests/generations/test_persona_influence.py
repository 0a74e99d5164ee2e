"""Issue 11: "how much of the persona" on the song form (0-100 %), kept with the song, sent to the built-in
engine as persona_influence (0..1), never to a hosted service, and said on the song page when not 100 %."""

import json
import re

import pytest
from factories import make_clip, tone

from personastudio.engine.models import EnginePersona, EngineTask
from personastudio.generations import services
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona
from personastudio.providers import registry

pytestmark = pytest.mark.django_db

LYRICS = "[Verse]\nMy own words stay here"


def _field(body: str) -> str | None:
    """The influence field's opening tag, or None when the form does not have one."""
    found = re.search(r"<div[^>]*data-persona-influence[^>]*>", body)
    return found.group(0) if found else None


@pytest.fixture
def ada(user_client):
    """A ready persona on the built-in engine (its engine record has a measured voice, no neural fit)."""
    engine_persona = EnginePersona.objects.create(
        owner=user_client.user,
        name="Ada",
        batch_id="b-1",
        status=EnginePersona.Status.COMPLETE,
        profile={"median_hz": 220.0, "low_hz": 180.0, "high_hz": 400.0, "register": "female"},
    )
    return Persona.objects.create(
        owner=user_client.user, name="Ada", status=Persona.Status.COMPLETE, remote_id=engine_persona.id
    )


@pytest.fixture
def hosted(settings, httpserver):
    settings.MUSIC_PROVIDER = registry.REMOTE
    settings.MUSIC_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.MUSIC_API_KEY = "sk-mm-test"
    settings.MUSIC_API_TIMEOUT_S = 2
    return httpserver


def _post(client, **fields):
    return client.post("/generations/new/", {"mode": "custom", "prompt": LYRICS, "tags": "pop", **fields})


def test_the_field_is_there_with_a_persona_hidden_until_one_is_chosen(user_client, ada):
    unchosen = _field(user_client.get("/generations/new/").content.decode())
    assert unchosen is not None and " hidden" in unchosen
    chosen_page = user_client.get(f"/generations/new/?persona={ada.pk}").content.decode()
    chosen = _field(chosen_page)
    assert chosen is not None and " hidden" not in chosen
    assert "How much of the persona" in chosen_page
    assert re.search(r'<input type="number" name="persona_influence"[^>]*value="100"', chosen_page)


def test_without_personas_there_is_no_field(user_client):
    body = user_client.get("/generations/new/").content.decode()
    assert _field(body) is None and 'name="persona_influence"' not in body


def test_a_hosted_service_gets_no_field_even_with_a_persona(user_client, hosted):
    Persona.objects.create(
        owner=user_client.user,
        name="Hosted Ada",
        status=Persona.Status.COMPLETE,
        provider=registry.REMOTE,
        provider_url=hosted.url_for("/").rstrip("/"),
        remote_id="p-hosted",
    )
    body = user_client.get("/generations/new/").content.decode()
    assert "Hosted Ada" in body and _field(body) is None and 'name="persona_influence"' not in body


@pytest.mark.parametrize("typed", ["150", "-5", "lots", "nan"])
def test_an_influence_out_of_range_gets_a_sentence_and_keeps_the_lyrics(user_client, ada, typed):
    response = _post(user_client, persona=str(ada.pk), persona_influence=typed)
    body = response.content.decode()
    assert response.status_code == 400
    field = _field(body)
    assert field is not None and " hidden" not in field and "has-error" in field
    assert 'id="id_persona_influence_error"' in body
    assert "Choose how much of the persona sings: a number from 0 to 100 %." in body
    assert "My own words stay here" in body
    assert not Generation.objects.exists()


def test_the_chosen_influence_is_kept_and_reaches_the_engine_task(user_client, ada):
    response = _post(user_client, persona=str(ada.pk), persona_influence="60")
    generation = Generation.objects.get()
    assert response.status_code == 302 and generation.persona_influence == 60
    task = EngineTask.objects.get(pk=generation.task_id)
    assert task.request["persona_id"] == ada.remote_id and task.request["persona_influence"] == 0.6


def test_an_empty_influence_means_the_whole_persona(user_client, ada):
    _post(user_client, persona=str(ada.pk), persona_influence="")
    generation = Generation.objects.get()
    assert generation.persona_influence == 100
    assert EngineTask.objects.get(pk=generation.task_id).request["persona_influence"] == 1.0


def test_without_a_persona_what_the_hidden_field_holds_is_not_read(user_client, ada):
    response = _post(user_client, persona="", persona_influence="30")
    generation = Generation.objects.get()
    assert response.status_code == 302 and generation.persona_influence == 100
    assert "persona_influence" not in EngineTask.objects.get(pk=generation.task_id).request


def test_the_song_page_says_how_much_of_the_persona_sang_when_not_all(user_client, ada):
    part = Generation.objects.create(owner=user_client.user, prompt="la", persona=ada, persona_influence=60)
    whole = Generation.objects.create(owner=user_client.user, prompt="la", persona=ada)
    part_page = user_client.get(part.get_absolute_url()).content.decode()
    whole_page = user_client.get(whole.get_absolute_url()).content.decode()
    assert re.search(r"sung with 60 % of <a [^>]*>Ada</a>", part_page)
    assert "sung with" not in whole_page and re.search(r"sung by <a [^>]*>Ada</a>", whole_page)


def test_edit_and_regenerate_and_try_again_keep_the_influence(user_client, ada):
    song = Generation.objects.create(
        owner=user_client.user, prompt=LYRICS, tags="pop", persona=ada, persona_influence=35, status="failed"
    )
    body = user_client.get(f"/generations/new/?from={song.pk}").content.decode()
    assert re.search(r'<input type="number" name="persona_influence"[^>]*value="35"', body)
    again = services.generation_retry(generation=song)
    assert again.pk != song.pk and again.persona_influence == 35
    assert EngineTask.objects.get(pk=again.task_id).request["persona_influence"] == 0.35


def test_extending_a_song_starts_from_its_persona_and_influence(user_client, ada):
    song = Generation.objects.create(
        owner=user_client.user, prompt=LYRICS, tags="pop", persona=ada, persona_influence=45, status="completed"
    )
    track = make_clip(user_client.user, title="Rivers (A)", samples=tone(seconds=4), kind="generated", generation=song)
    body = user_client.get(f"/generations/new/?extend={track.pk}").content.decode()
    assert " hidden" not in _field(body)
    assert re.search(r'<input type="number" name="persona_influence"[^>]*value="45"', body)


def test_a_hosted_service_is_never_sent_the_influence(user_client, hosted):
    """Even a song stored with an influence (made on the engine, then tried again after switching)."""
    hosted.expect_request("/api/v1/music/generate", method="POST").respond_with_json(
        {"code": 0, "message": "ok", "request_id": "req-1", "data": {"task_id": "t-1", "status": "queuing"}}
    )
    persona = Persona.objects.create(
        owner=user_client.user,
        name="Hosted Ada",
        status=Persona.Status.COMPLETE,
        provider=registry.REMOTE,
        provider_url=hosted.url_for("/").rstrip("/"),
        remote_id="p-hosted",
    )
    _post(user_client, persona=str(persona.pk), persona_influence="40")
    first = Generation.objects.get()
    assert first.persona_influence == 100 and first.task_id == "t-1"
    stored = Generation.objects.create(
        owner=user_client.user, prompt=LYRICS, tags="pop", persona=persona, persona_influence=40, status="failed"
    )
    services.generation_retry(generation=stored)
    bodies = [json.loads(request.data) for request, _ in hosted.log if request.path == "/api/v1/music/generate"]
    assert len(bodies) == 2 and all(body["persona_id"] == "p-hosted" for body in bodies)
    assert not any("persona_influence" in body for body in bodies)


def test_the_service_refuses_an_influence_out_of_range(ada):
    with pytest.raises(ValueError, match="from 0 to 100"):
        services.generation_start(owner=ada.owner, mode="custom", prompt="la", persona=ada, persona_influence=101)
    assert services.persona_influence_from_form(" 42.4 % ", persona=ada, provider_name=registry.LOCAL) == 42
    assert services.persona_influence_from_form("7", persona=None, provider_name=registry.LOCAL) == 100
    assert services.persona_influence_from_form("7", persona=ada, provider_name=registry.REMOTE) == 100
