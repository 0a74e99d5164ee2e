"""(ours) music/generate's persona_influence: how much of the persona sings, 0..1, checked like the other
fields, stored with the task and handed to render_song (songs and extensions alike)."""

import json

import pytest
from factories import UserFactory, tone, wav_bytes

from personastudio.contract.types import GenerateRequest
from personastudio.engine import services, song
from personastudio.engine.models import EnginePersona, EngineTask

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(client):
    user = UserFactory()
    key = services.key_create(user=user)

    def post(path, body):
        return client.post(
            f"/api/v1/{path}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    post.user = user
    return post


@pytest.fixture
def persona_id(api):
    """A ready persona of the key's account with a measured voice (no neural fit: the app's tests sing formant)."""
    return EnginePersona.objects.create(
        owner=api.user,
        name="Ada",
        batch_id="b-1",
        status=EnginePersona.Status.COMPLETE,
        profile={"median_hz": 220.0, "low_hz": 180.0, "high_hz": 400.0, "register": "female"},
    ).id


@pytest.fixture
def influences(monkeypatch):
    """The `influence` every render_song call of the worker gets; the real render runs."""
    heard = []
    real = song.render_song

    def render_song(**kwargs):
        heard.append(kwargs["influence"])
        return real(**kwargs)

    monkeypatch.setattr(song, "render_song", render_song)
    return heard


@pytest.mark.parametrize("influence", [1.5, -0.1, "0.5", True, [0.5], 10**400])
def test_an_influence_that_is_not_a_number_from_0_to_1_is_a_400(api, persona_id, influence):
    response = api("music/generate", {"prompt": "la la", "persona_id": persona_id, "persona_influence": influence})
    body = response.json()
    assert response.status_code == 400 and body["code"] == 400
    assert body["message"] == "persona_influence must be a number from 0 (the stock voice) to 1 (the whole persona)."
    assert not EngineTask.objects.exists()


def test_an_influence_without_a_persona_is_a_400_that_says_so(api):
    response = api("music/generate", {"prompt": "la la", "persona_influence": 0.5})
    assert response.status_code == 400
    assert response.json()["message"] == "persona_influence needs persona_id: it says how much of that persona sings."
    assert api("music/generate", {"prompt": "la la", "persona_influence": None}).status_code == 200  # null: not given


def test_the_influence_is_stored_with_the_task_and_reaches_render_song(api, persona_id, influences, run_tasks):
    started = api(
        "music/generate",
        {"prompt": "[Verse]\nla la la la", "tags": "pop", "persona_id": persona_id, "persona_influence": 0.6},
    )
    assert started.status_code == 200, started.content
    task = EngineTask.objects.get(pk=started.json()["data"]["task_id"])
    assert task.request["persona_influence"] == 0.6
    run_tasks()
    task.refresh_from_db()
    assert task.status == EngineTask.Status.COMPLETED and influences == [0.6, 0.6]  # both variants


def test_without_an_influence_the_whole_persona_sings(api, persona_id, influences, run_tasks):
    started = api("music/generate", {"prompt": "[Verse]\nla la la la", "tags": "pop", "persona_id": persona_id})
    assert "persona_influence" not in EngineTask.objects.get(pk=started.json()["data"]["task_id"]).request
    run_tasks()
    assert influences == [1.0, 1.0]


def test_an_extension_sings_with_its_own_influence_too(client, api, persona_id, influences, run_tasks):
    clip = services.clip_import_bytes(owner=api.user, data=wav_bytes(tone(seconds=6)), filename="t.wav")
    started = api(
        "music/generate",
        {
            "prompt": "[Verse]\nla la la la",
            "tags": "pop",
            "persona_id": persona_id,
            "persona_influence": 0,
            "continue_clip_id": clip.id,
            "continue_at": 4,
        },
    )
    assert started.status_code == 200, started.content
    run_tasks()
    assert influences == [0.0, 0.0]
    assert EngineTask.objects.get(pk=started.json()["data"]["task_id"]).status == EngineTask.Status.COMPLETED


def test_a_hosted_service_is_sent_the_request_without_our_field():
    request = GenerateRequest(prompt="la", persona_id="p-1", persona_influence=0.3)
    assert request.to_json()["persona_influence"] == 0.3  # what the engine stores with its task
    assert "persona_influence" not in request.to_json(extensions=False)
    assert request.to_json(extensions=False) == GenerateRequest(prompt="la", persona_id="p-1").to_json()
