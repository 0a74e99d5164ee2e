"""Against a scripted MusicMint server: a "slow down" (429) on music/persona or on the clip's hand-over
(music/upload) made nothing, so the persona waits as asked and the worker learns it again later, once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult
from factories import UserFactory, make_clip
from werkzeug import Response

from personastudio.personas import services
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, 6, 3, 0, tzinfo=UTC)


def envelope(data):
    return {"code": 0, "message": "ok", "request_id": "req-1", "data": data}


def slow_down(retry_after):
    return Response(
        '{"code": 429, "message": "slow down", "data": null}',
        status=429,
        headers={"Retry-After": retry_after},
        content_type="application/json",
    )


@pytest.fixture
def remote(settings, httpserver):
    settings.MUSIC_PROVIDER = "remote"
    settings.MUSIC_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.MUSIC_API_KEY = "sk-mm-test"
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    settings.GENERATION_GIVE_UP_AFTER_S = 3600
    return httpserver


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _calls(httpserver, path):
    return sum(1 for request, _ in httpserver.log if request.path == path)


def _persona(remote, **clip_fields):
    user = UserFactory()
    clip = make_clip(user, **clip_fields)
    return Persona.objects.create(owner=user, name="Mine", source_clip=clip, consent=Persona.Consent.GENERATED)


def _learn_and_queue(persona, capture):
    with capture(execute=True):
        services.persona_learn(persona_id=str(persona.pk))
    persona.refresh_from_db()
    return persona


def test_a_429_on_music_persona_waits_then_the_queued_run_learns_it_once(
    remote, clock, client, django_capture_on_commit_callbacks
):
    root = remote.url_for("/").rstrip("/")
    persona = _persona(remote, provider="remote", provider_url=root, remote_id="clip-1")
    remote.expect_oneshot_request("/api/v1/music/persona", method="POST").respond_with_response(slow_down("60"))
    remote.expect_request("/api/v1/music/persona", method="POST").respond_with_json(
        envelope({"items": [{"id": "persona-1", "status": "complete"}]})
    )
    persona = _learn_and_queue(persona, django_capture_on_commit_callbacks)
    assert persona.status == "pending" and persona.error == "" and persona.retry_at == START + timedelta(seconds=60)
    job = DBTaskResult.objects.get(task_path__endswith="learn_persona")
    assert job.run_after == START + timedelta(seconds=60)  # the worker is free meanwhile, nobody sleeps
    client.force_login(persona.owner)
    assert "asked us to wait; trying again at" in client.get(f"/personas/{persona.pk}/").content.decode()

    services.persona_learn(persona_id=str(persona.pk))  # an early run does nothing
    assert _calls(remote, "/api/v1/music/persona") == 1
    clock.shift(timedelta(seconds=61))
    services.persona_learn(persona_id=str(persona.pk))
    services.persona_learn(persona_id=str(persona.pk))  # a second run finds it learned
    persona.refresh_from_db()
    assert persona.status == "complete", persona.error
    assert persona.remote_id == "persona-1" and persona.retry_at is None
    assert _calls(remote, "/api/v1/music/persona") == 2


def test_a_429_on_the_clips_upload_waits_and_the_hand_over_is_tried_again(
    remote, clock, django_capture_on_commit_callbacks
):
    persona = _persona(remote)  # not yet at the service: its audio is handed over first
    remote.expect_oneshot_request("/api/v1/music/upload", method="POST").respond_with_response(slow_down("30"))
    remote.expect_request("/api/v1/music/upload", method="POST").respond_with_json(
        envelope({"clipId": "clip-up", "audioUrl": "https://cdn.example.com/a.mp3", "duration": 3, "status": 1})
    )
    remote.expect_request("/api/v1/music/persona", method="POST").respond_with_json(
        envelope({"items": [{"id": "persona-2", "status": "complete"}]})
    )
    persona = _learn_and_queue(persona, django_capture_on_commit_callbacks)
    assert persona.status == "pending" and persona.retry_at is not None
    assert _calls(remote, "/api/v1/music/persona") == 0
    clock.shift(timedelta(seconds=31))
    services.persona_learn(persona_id=str(persona.pk))
    persona.refresh_from_db()
    assert persona.status == "complete", persona.error
    assert persona.source_clip.remote_id == "clip-up"
    assert _calls(remote, "/api/v1/music/upload") == 2


def test_a_persona_still_refused_past_the_give_up_time_fails_with_a_sentence(
    remote, clock, settings, django_capture_on_commit_callbacks
):
    settings.GENERATION_GIVE_UP_AFTER_S = 600
    persona = _persona(remote, provider="remote", provider_url=remote.url_for("/").rstrip("/"), remote_id="clip-1")
    remote.expect_request("/api/v1/music/persona", method="POST").respond_with_response(slow_down("3600"))
    persona = _learn_and_queue(persona, django_capture_on_commit_callbacks)
    assert persona.status == "failed" and "Try again later" in persona.error
