import pytest
from factories import UserFactory, make_clip, persona_form, sung_line

from personastudio.clips.models import Clip
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db(transaction=True)

LYRICS = """[Verse]
Morning light on the window
Coffee cooling in my hand

[Chorus]
Sing it loud, sing it slow
Everywhere the rivers go
"""


def _poll(client, generation):
    return client.get(f"/generations/{generation.id}/status/")


def test_a_song_with_a_persona_goes_from_queued_to_two_kept_tracks(client, run_tasks, settings):
    settings.GENERATION_POLL_INTERVAL_S = 0
    user = UserFactory()
    client.force_login(user)
    clip = make_clip(user, samples=sung_line(seconds=14, low_hz=150, high_hz=300))
    client.post(
        "/personas/new/",
        persona_form(
            client,
            {"name": "Low voice", "clip": str(clip.id)},
            phrase=sung_line(seconds=16, low_hz=150, high_hz=300, seed=5),
        ),
    )
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error

    response = client.post(
        "/generations/new/",
        {"mode": "custom", "title": "Rivers", "prompt": LYRICS, "tags": "pop upbeat", "persona": str(persona.id)},
    )
    generation = Generation.objects.get(owner=user)
    assert response["Location"] == f"/generations/{generation.id}/"
    assert generation.prompt == LYRICS.strip() and generation.task_id
    first = _poll(client, generation)
    assert first.status_code == 200 and 'data-status="queuing"' in first.content.decode()

    assert run_tasks() == 1  # the engine renders the song and, in the same task, keeps each track as a clip
    final = _poll(client, generation)
    assert final.status_code == 286
    body = final.content.decode()
    assert 'data-status="completed"' in body
    tracks = list(Clip.objects.filter(generation=generation))
    assert len(tracks) == 2 and all(t.kind == "generated" and t.duration_s > 5 for t in tracks)
    for track in tracks:
        assert f'src="/clips/{track.id}/audio"' in body
        assert f'href="/clips/{track.id}/" data-kind="generated"' in body


def test_the_copy_job_run_twice_keeps_each_track_once(client, run_tasks, settings):
    from personastudio.generations import services

    settings.GENERATION_POLL_INTERVAL_S = 0
    user = UserFactory()
    generation = services.generation_start(owner=user, mode="custom", tags="ballad", make_instrumental=True)
    run_tasks()
    services.generation_refresh(generation=generation)
    services.generation_save_tracks(generation_id=str(generation.id))
    Generation.objects.filter(pk=generation.pk).update(status="processing")
    services.generation_save_tracks(generation_id=str(generation.id))
    assert Clip.objects.filter(generation=generation).count() == 2


def test_many_tabs_polling_ask_the_provider_once_per_interval(client, settings, monkeypatch):
    from personastudio.generations import services
    from personastudio.providers.local import LocalProvider

    settings.GENERATION_POLL_INTERVAL_S = 60
    calls = []
    original = LocalProvider.get_task
    monkeypatch.setattr(
        LocalProvider, "get_task", lambda self, task_id: calls.append(task_id) or original(self, task_id)
    )
    user = UserFactory()
    client.force_login(user)
    generation = services.generation_start(owner=user, mode="custom", prompt="la la la")
    for _ in range(5):
        assert _poll(client, generation).status_code == 200
    assert len(calls) == 1


def test_a_failed_song_explains_itself_and_try_again_resubmits_the_same_inputs(client, settings, run_tasks):
    from personastudio.engine.models import EngineTask

    settings.GENERATION_POLL_INTERVAL_S = 0
    user = UserFactory()
    client.force_login(user)
    client.post("/generations/new/", {"mode": "custom", "prompt": "my precious lyrics", "tags": "folk"})
    generation = Generation.objects.get()
    EngineTask.objects.filter(pk=generation.task_id).update(status="failed", error="The engine ran out of memory.")
    response = _poll(client, generation)
    assert response.status_code == 286
    body = response.content.decode()
    assert 'data-status="failed"' in body and "ran out of memory" in body and "Try again" in body
    retry = client.post(f"/generations/{generation.id}/retry/")
    again = Generation.objects.exclude(pk=generation.pk).get()
    assert retry["Location"] == f"/generations/{again.id}/"
    assert (again.prompt, again.tags, again.mode) == ("my precious lyrics", "folk", "custom")
    assert again.status == "queuing"


def test_an_inspiration_song_is_made_from_a_description(client, run_tasks, settings):
    settings.GENERATION_POLL_INTERVAL_S = 0
    user = UserFactory()
    client.force_login(user)
    client.post("/generations/new/", {"mode": "inspiration", "gpt_description_prompt": "一首关于夏夜海边的抒情歌"})
    generation = Generation.objects.get()
    run_tasks()
    _poll(client, generation)
    run_tasks()
    assert _poll(client, generation).status_code == 286
    generation.refresh_from_db()
    assert generation.status == "completed", generation.error
    assert generation.tracks.count() == 2
