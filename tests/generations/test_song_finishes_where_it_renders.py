"""A song is done when its render is done: the built-in engine's render task keeps the tracks and completes
the song, reporting how far it is on the way; a hosted song's copy is never queued behind renders."""

import time

import pytest
from django_tasks_db.models import DBTaskResult
from factories import UserFactory, mp3_bytes, sung_line

from personastudio.engine import progress as engine_progress
from personastudio.engine import services as engine_services
from personastudio.generations import services
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db(transaction=True)

LYRICS = """[Verse]
Morning light on the window
Coffee cooling in my hand

[Chorus]
Sing it loud, sing it slow
"""


def _song(user, **fields):
    return services.generation_start(owner=user, mode="custom", title="Rivers", prompt=LYRICS, tags="pop", **fields)


def test_a_built_in_song_is_completed_with_its_tracks_by_its_render_task_alone(settings, run_tasks, monkeypatch):
    from personastudio.engine.dsp import audio_io
    from personastudio.engine.models import EngineClip

    settings.GENERATION_POLL_INTERVAL_S = 3600  # no poll may be what finishes it
    generation = _song(UserFactory())
    assert generation.status == "queuing"
    decoded = []
    decode = audio_io.decode
    monkeypatch.setattr(audio_io, "decode", lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs))

    assert run_tasks() == 1  # the render, and nothing after it
    assert decoded == []  # the tracks and their stems are kept with the render's own measurements
    generation.refresh_from_db()
    assert generation.status == "completed", generation.error
    assert generation.finished_at is not None and generation.last_checked_at is None
    tracks = list(generation.tracks.order_by("title"))
    assert [t.title for t in tracks] == ["Rivers (A)", "Rivers (B)"]
    assert all(t.duration_s > 5 and len(t.peaks) == 800 and t.parts.exists() for t in tracks)
    for track in tracks:
        made = EngineClip.objects.get(pk=track.remote_id)
        assert (track.duration_s, track.voiced_s, track.channels) == (made.duration_s, made.voiced_s, 2)
        assert made.voiced_s > 3 and max(track.peaks) > 0.3
        assert all(part.duration_s == track.duration_s and len(part.peaks) == 800 for part in track.parts.all())
    assert not DBTaskResult.objects.filter(task_path__endswith="save_tracks").exists()
    assert generation.progress == {}  # figures are for a song being made


def test_the_render_writes_its_progress_to_the_song_as_it_goes(settings, run_tasks, monkeypatch):
    settings.GENERATION_POLL_INTERVAL_S = 3600
    monkeypatch.setattr(engine_progress, "REPORT_EVERY_S", 0)  # every report, to watch each step
    monkeypatch.setattr(services, "PROGRESS_EVERY_S", 0)
    generation = _song(UserFactory())
    seen = []

    def look(task, report):  # after the studio's own listener: what the song's row says now
        row = Generation.objects.get(pk=generation.pk)
        seen.append((row.status, row.progress, row.progress_percent, str(row.progress_label)))

    monkeypatch.setattr(engine_services, "_progress_listeners", [*engine_services._progress_listeners, look])
    run_tasks()

    assert seen and all(status == "processing" for status, *_ in seen)
    figures = [progress for _status, progress, _percent, _label in seen]
    assert [f["variant"] for f in figures] == sorted(f["variant"] for f in figures)
    assert {f["variant"] for f in figures} == {0, 1} and {f["variants"] for f in figures} == {2}
    assert [f["stage"] for f in figures if f["variant"] == 0][:2] == ["band", "singing"]
    singing = [f for f in figures if f["stage"] == "singing" and f["variant"] == 0]
    lines = singing[0]["total"]
    assert lines >= 3 and [f["done"] for f in singing] == list(range(lines + 1))
    percents = [percent for *_, percent, _label in seen]
    assert percents == sorted(percents) and percents[0] == 0 and 50 <= percents[-1] < 100
    labels = [label for *_, label in seen]
    assert "Track 1 of 2: playing the band" in labels
    assert f"Track 1 of 2: singing line 2 of {lines}" in labels
    assert "Track 2 of 2: mixing and mastering" in labels and "Track 2 of 2: saving the audio" in labels
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.progress_percent is None


def test_progress_is_written_at_most_once_a_second_and_never_after_the_song_is_final():
    generation = Generation.objects.create(owner=UserFactory(), mode="custom", provider="local", task_id="t-1")
    report = {"provider": "local", "task_id": "t-1", "stage": "singing", "total": 8, "variant": 0, "variants": 2}
    services.generation_progress(fraction=0.3, done=2, **report)
    services.generation_progress(fraction=0.4, done=3, **report)  # within the second: not written
    generation.refresh_from_db()
    assert generation.status == "processing" and generation.progress["done"] == 2 and generation.progress_percent == 30
    Generation.objects.filter(pk=generation.pk).update(progress_at=generation.progress_at.replace(year=2000))
    services.generation_progress(fraction=0.4, done=3, **report)
    generation.refresh_from_db()
    assert generation.progress["done"] == 3
    Generation.objects.filter(pk=generation.pk).update(status="completed", progress_at=None)
    services.generation_progress(fraction=0.9, done=8, **report)
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.progress["done"] == 3
    services.generation_progress(**{**report, "task_id": "another"}, fraction=0.5, done=1)  # no such song: nothing


def test_a_failed_render_fails_the_song_at_once(settings, run_tasks, monkeypatch):
    from personastudio.engine import song

    def broken(**kwargs):
        raise RuntimeError("the band fell over")

    settings.GENERATION_POLL_INTERVAL_S = 3600
    monkeypatch.setattr(song, "render_song", broken)
    generation = _song(UserFactory())
    assert run_tasks() == 1
    generation.refresh_from_db()
    assert generation.status == "failed" and "could not make this song" in generation.error


def test_an_api_clients_task_finishing_changes_no_song(run_tasks):
    mine = Generation.objects.create(
        owner=UserFactory(), mode="custom", provider="remote", task_id="x", status="processing"
    )
    from personastudio.contract.types import GenerateRequest

    task = engine_services.task_create(owner=mine.owner, request=GenerateRequest(tags="pop", make_instrumental=True))
    Generation.objects.filter(pk=mine.pk).update(task_id=task.id)  # a hosted song with the same id changes nothing
    assert run_tasks() == 1
    mine.refresh_from_db()
    assert mine.status == "processing" and mine.provider_results == []


def test_a_hosted_songs_copy_is_claimed_before_renders_queued_earlier(settings, httpserver):
    from conftest import _worker

    from personastudio.engine.models import EngineTask

    settings.MUSIC_PROVIDER, settings.MUSIC_API_KEY = "remote", "sk-mm-test"
    settings.MUSIC_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/audio/h1.mp3").respond_with_data(
        mp3_bytes(sung_line(seconds=3)), content_type="audio/mpeg"
    )
    busy = UserFactory()
    settings.MUSIC_PROVIDER = "local"
    for _ in range(3):  # another account's renders, queued first
        _song(busy)
    settings.MUSIC_PROVIDER = "remote"
    generation = Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="la",
        provider="remote",
        provider_url=settings.MUSIC_API_BASE_URL,
        task_id="t-hook",
        status="processing",
    )
    from personastudio.contract.types import ResultItem, TaskInfo

    item = ResultItem(
        id="h1",
        audio_url=httpserver.url_for("/audio/h1.mp3"),
        title="Rivers",
        duration=3.0,
        expire_at=int(time.time() * 1000) + 3_600_000,
    )
    services.apply_task_info(generation=generation, info=TaskInfo(id="t-hook", status="completed", results=[item]))

    save = DBTaskResult.objects.get(task_path__endswith="save_tracks")
    renders = DBTaskResult.objects.exclude(pk=save.pk)
    assert renders.count() == 3 and save.priority > max(renders.values_list("priority", flat=True))
    _worker(batch=True, max_tasks=1).run()
    generation.refresh_from_db()
    assert generation.status == "completed", generation.error
    assert EngineTask.objects.filter(status="queuing").count() == 3  # the renders still wait
