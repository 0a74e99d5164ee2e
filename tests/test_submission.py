"""A double click (the same form sent twice) starts one job; the same form changed and sent again is new work."""

import re
import threading

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from factories import UserFactory, make_clip, persona_form, sung_line

from personastudio.clips.models import Clip
from personastudio.engine.models import EngineTask
from personastudio.generations import services as generation_services
from personastudio.generations.models import Generation
from personastudio.personas.models import VoiceCheck

pytestmark = pytest.mark.django_db(transaction=True)


def _token(client, url):
    body = client.get(url).content.decode()
    match = re.search(r'<input type="hidden" name="submission" value="([0-9a-f-]{36})"', body)
    assert match, "the form carries a one-time token"
    return match.group(1)


def test_the_song_form_sent_twice_makes_and_submits_one_song(client):
    user = UserFactory()
    client.force_login(user)
    token = _token(client, "/generations/new/")
    assert token != _token(client, "/generations/new/")  # each page its own
    form = {"mode": "custom", "title": "Twice", "prompt": "[Verse]\nla la", "tags": "pop", "submission": token}
    first = client.post("/generations/new/", form)
    second = client.post("/generations/new/", form)
    song = Generation.objects.get(owner=user)
    assert first["Location"] == second["Location"] == song.get_absolute_url()
    assert EngineTask.objects.count() == 1  # one task at the provider: charged once


def test_the_same_form_changed_and_sent_again_is_a_new_song(client):
    user = UserFactory()
    client.force_login(user)
    token = _token(client, "/generations/new/")
    client.post("/generations/new/", {"mode": "custom", "prompt": "first words", "submission": token})
    client.post("/generations/new/", {"mode": "custom", "prompt": "better words", "submission": token})
    assert sorted(Generation.objects.values_list("prompt", flat=True)) == ["better words", "first words"]
    assert EngineTask.objects.count() == 2


def test_two_requests_racing_with_one_token_make_one_song():
    user = UserFactory()
    token = "5b0f3c3e-8a51-4f39-9d25-7a3b7f7c1a11"
    made, barrier = [], threading.Barrier(2)

    def submit():
        barrier.wait()
        try:
            made.append(
                generation_services.generation_start(owner=user, mode="custom", prompt="race", submission=token).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 2 and made[0] == made[1]
    assert Generation.objects.count() == 1 and EngineTask.objects.count() == 1


def test_the_persona_form_sent_twice_learns_one_persona(client):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=16))
    client.force_login(user)
    token = _token(client, f"/personas/new/?clip={clip.id}")
    form = {"name": "Mia", "clip": str(clip.id), "submission": token}
    first = client.post("/personas/new/", persona_form(client, form))["Location"]
    assert first == client.post("/personas/new/", persona_form(client, form))["Location"]
    # An upload: one consent check (one kept recording), then one persona.
    assert VoiceCheck.objects.filter(owner=user).count() == 1
    assert Clip.objects.filter(owner=user, kind=Clip.Kind.VERIFICATION).count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="check_voice").count() == 1


def test_the_changed_form_sent_twice_makes_one_more_song_not_two(client):
    user = UserFactory()
    client.force_login(user)
    token = _token(client, "/generations/new/")
    client.post("/generations/new/", {"mode": "custom", "prompt": "first", "submission": token})
    changed = {"mode": "custom", "prompt": "second", "submission": token}
    assert (
        client.post("/generations/new/", changed)["Location"] == client.post("/generations/new/", changed)["Location"]
    )
    assert sorted(Generation.objects.values_list("prompt", flat=True)) == ["first", "second"]
    assert EngineTask.objects.count() == 2


def test_a_form_whose_song_failed_may_be_sent_again_to_try_again(client, monkeypatch):
    from personastudio.contract.errors import Unavailable
    from personastudio.providers.local import LocalProvider

    user = UserFactory()
    client.force_login(user)
    token = _token(client, "/generations/new/")
    form = {"mode": "custom", "prompt": "la", "submission": token}

    def busy(self, request):
        raise Unavailable("The music service is busy.")

    with monkeypatch.context() as patched:
        patched.setattr(LocalProvider, "generate", busy)
        client.post("/generations/new/", form)
    assert Generation.objects.get().status == "failed"
    client.post("/generations/new/", form)  # the service is back
    client.post("/generations/new/", form)  # ...and a double click on it
    assert sorted(Generation.objects.values_list("status", flat=True)) == ["failed", "queuing"]
    assert EngineTask.objects.count() == 1


def test_try_again_pressed_twice_tries_once(client):
    user = UserFactory()
    client.force_login(user)
    failed = Generation.objects.create(owner=user, mode="custom", prompt="la", status="failed", error="busy")
    page = client.get(failed.get_absolute_url()).content.decode()
    token = re.search(r'<input type="hidden" name="submission" value="([0-9a-f-]{36})"', page).group(1)
    first = client.post(f"/generations/{failed.id}/retry/", {"submission": token})
    second = client.post(f"/generations/{failed.id}/retry/", {"submission": token})
    assert first["Location"] == second["Location"]
    assert Generation.objects.count() == 2 and EngineTask.objects.count() == 1
