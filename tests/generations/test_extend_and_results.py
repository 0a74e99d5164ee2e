"""Extend a track from a chosen second, the results side by side, and the persona picker."""

import io
import re

import numpy as np
import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip
from personastudio.contract.types import GenerateRequest
from personastudio.engine.models import EngineTask
from personastudio.generations import services
from personastudio.generations.forms import _preview_url
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

PROFILE = {"low_hz": 220.0, "high_hz": 440.0, "median_hz": 300.0, "register": "female"}


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _song_with_tracks(user, **fields):
    song = Generation.objects.create(
        owner=user,
        mode="custom",
        title="Rivers",
        prompt="[Verse]\nla la",
        tags="pop, 女声",
        status="completed",
        **fields,
    )
    tracks = [
        make_clip(
            user,
            title=f"Rivers ({v})",
            samples=sung_line(seconds=4),
            kind=Clip.Kind.GENERATED,
            generation=song,
            remote_id=f"track-{v}",
        )
        for v in "AB"
    ]
    return song, tracks


def _input(body, name):
    m = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert m, name
    value = re.search(r'value="([^"]*)"', m.group(0))
    return value.group(1) if value else ""


@pytest.mark.django_db
def test_extend_opens_the_form_prefilled_from_the_track_and_its_song(client, user):
    persona = Persona.objects.create(owner=user, name="Mia", status="complete", profile=PROFILE)
    song, (track, _b) = _song_with_tracks(user, persona=persona)
    response = client.get(f"/generations/new/?extend={track.id}&at=2.6")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-extend-source="{track.id}"' in body and f'src="/clips/{track.id}/audio"' in body
    assert track.title in body
    assert _input(body, "continue_at") == "3" and _input(body, "continue_clip") == str(track.id)
    assert _input(body, "tags") == "pop, 女声" and _input(body, "title") == "Rivers"
    assert re.search(r'<textarea[^>]*name="prompt"[^>]*>\s*</textarea>', body)  # lyrics for the new part
    assert 'name="mode" value="custom"' in body and 'value="inspiration"' not in body
    assert re.search(rf'name="persona" value="{persona.id}"[^>]*checked', body)
    # no chosen second: from the end of the track
    body = client.get(f"/generations/new/?extend={track.id}").content.decode()
    assert _input(body, "continue_at") == str(int(track.duration_s))


@pytest.mark.django_db
def test_extending_someone_elses_track_or_a_bad_id_is_a_404(client, user):
    theirs = make_clip(UserFactory(), samples=sung_line(seconds=2))
    assert client.get(f"/generations/new/?extend={theirs.id}").status_code == 404
    assert client.get("/generations/new/?extend=nope").status_code == 404
    response = client.post(
        "/generations/new/", {"mode": "custom", "prompt": "la", "continue_clip": str(theirs.id), "continue_at": "1"}
    )
    assert response.status_code == 400 and not Generation.objects.exists()
    body = response.content.decode()
    assert re.search(r"data-continue-clip-error>That track is not in your library\.", body)
    assert re.search(r'name="prompt"[^>]*>\s*la</textarea>', body)  # what was typed is kept


@pytest.mark.django_db
@pytest.mark.parametrize("at, words", [("9", "between 1 and 4"), ("0", "1 or more"), ("abc", "whole number")])
def test_a_second_outside_the_track_is_refused_next_to_the_field_and_kept(client, user, at, words):
    _song, (track, _b) = _song_with_tracks(user)
    response = client.post(
        "/generations/new/",
        {"mode": "custom", "prompt": "new words", "tags": "pop", "continue_clip": str(track.id), "continue_at": at},
    )
    assert response.status_code == 400
    body = response.content.decode()
    error = re.search(r'<small class="field-error" id="id_continue_at_error"[^>]*>(.*?)</small>', body, re.S)
    assert error and words in error.group(1)
    assert _input(body, "continue_at") == at and "new words" in body
    assert f'data-extend-source="{track.id}"' in body  # the track is still shown
    assert Generation.objects.count() == 1  # only the song it came from


@pytest.mark.django_db(transaction=True)
def test_an_extension_is_sent_with_the_clips_id_at_the_engine_and_made_longer(client, user, run_tasks, settings):
    from personastudio.engine.dsp import audio_io

    settings.GENERATION_POLL_INTERVAL_S = 0
    source = make_clip(user, title="Hum", samples=sung_line(seconds=8))  # an upload: not made by the engine
    response = client.post(
        "/generations/new/",
        {
            "mode": "inspiration",
            "gpt_description_prompt": "ignored",
            "prompt": "[Verse]\nMorning comes and we are home",
            "tags": "folk",
            "continue_clip": str(source.id),
            "continue_at": "5",
        },
    )
    song = Generation.objects.get(owner=user)
    assert response["Location"] == song.get_absolute_url()
    assert song.mode == "custom" and song.gpt_description_prompt == ""  # an extension sings its lyrics
    assert song.continue_clip == source and song.continue_at == 5
    source.refresh_from_db()
    assert source.remote_id  # handed to the engine the first time it is needed
    request = GenerateRequest.from_json(EngineTask.objects.get(pk=song.task_id).request)
    assert request.continue_clip_id == source.remote_id and request.continue_at == 5

    detail = client.get(song.get_absolute_url()).content.decode()
    assert f'data-extends="{source.id}"' in detail and "0:05" in detail
    run_tasks()
    client.get(f"/generations/{song.id}/status/")
    run_tasks()
    assert client.get(f"/generations/{song.id}/status/").status_code == 286
    song.refresh_from_db()
    assert song.status == "completed", song.error
    tracks = list(song.tracks.all())
    assert len(tracks) == 2
    with source.audio.open("rb") as f:
        before, _ = audio_io.decode(io.BytesIO(f.read()), sr=22050)
    for track in tracks:
        assert track.duration_s > 5 + 3
        with track.audio.open("rb") as f:
            after, _ = audio_io.decode(io.BytesIO(f.read()), sr=22050)
        n = 5 * 22050 - 2048
        assert np.corrcoef(before[:n], after[:n])[0, 1] > 0.9

    # "Try again" and "Edit and regenerate" keep it an extension of the same track from the same second
    retried = services.generation_retry(generation=song)
    assert retried.continue_clip == source and retried.continue_at == 5
    body = client.get(f"/generations/new/?from={song.id}").content.decode()
    assert _input(body, "continue_clip") == str(source.id) and _input(body, "continue_at") == "5"


@pytest.mark.django_db
def test_the_remote_client_is_sent_continue_clip_id_and_continue_at():
    request = GenerateRequest(prompt="la", continue_clip_id="abc123", continue_at=42)
    assert request.to_json() == {"prompt": "la", "continue_clip_id": "abc123", "continue_at": 42}


@pytest.mark.django_db
def test_a_finished_song_shows_its_variants_side_by_side_with_downloads_and_actions(client, user):
    song, tracks = _song_with_tracks(user)
    body = client.get(song.get_absolute_url()).content.decode()
    assert 'class="results"' in body and body.count('class="result-card"') == 2
    for track in tracks:
        audio = f"/clips/{track.id}/audio"
        assert f'href="{audio}?download=1"' in body
        assert f'href="{audio}?download=1&amp;format=wav"' in body
        assert f'href="/personas/new/?clip={track.id}"' in body
        assert f'action="/clips/{track.id}/separate/"' in body
        assert f'data-extend-href="/generations/new/?extend={track.id}"' in body
        assert f'action="/clips/{track.id}/favourite/"' in body
    assert "results.css" in body


@pytest.mark.django_db
def test_a_hosted_services_song_says_it_has_no_score_and_no_stems_instead_of_offering_them(client, user):
    from personastudio.providers import registry

    song, tracks = _song_with_tracks(user, provider=registry.REMOTE, provider_url="https://music.example")
    body = client.get(song.get_absolute_url()).content.decode()
    assert body.count("data-no-sheet") == 2 and body.count("data-no-parts") == 2
    assert "/sheet.midi" not in body and "stems.zip" not in body


@pytest.mark.django_db
def test_the_persona_picker_shows_range_voice_type_and_a_preview(client, user):
    clip = make_clip(user, samples=sung_line(seconds=2))
    mia = Persona.objects.create(owner=user, name="Mia", status="complete", profile=PROFILE, source_clip=clip)
    body = client.get(f"/generations/new/?persona={mia.id}").content.decode()
    picker = re.search(r'<fieldset[^>]*id="persona-picker".*?</fieldset>', body, re.S).group(0)
    assert "<legend>" in picker and "Mia" in picker
    assert mia.range_label in picker and mia.range_label == "A3–A4"
    assert re.search(r"(Soprano|Mezzo-soprano|Alto)", picker)
    assert f'data-preview-src="/clips/{clip.id}/audio"' in picker
    assert re.search(rf'name="persona" value="{mia.id}"[^>]*checked', picker)
    assert re.search(r'name="persona" value=""[^>]*>', picker)  # "no persona" is a choice too
    # no ?persona: "no persona" is the checked one
    body = client.get("/generations/new/").content.decode()
    assert re.search(r'name="persona" value="" id="id_persona_none" checked', body)
    response = client.post("/generations/new/", {"mode": "custom", "prompt": "", "persona": str(mia.id)})
    assert re.search(rf'name="persona" value="{mia.id}"[^>]*checked', response.content.decode())


def test_the_preview_plays_only_the_learned_region_when_one_is_stored():
    clip = Clip(id="00000000-0000-0000-0000-000000000001")
    persona = Persona(name="x", source_clip=clip)
    assert _preview_url(persona) == f"/clips/{clip.id}/audio"
    persona.region_start_s, persona.region_end_s = 2.5, 12.0
    assert _preview_url(persona) == f"/clips/{clip.id}/audio#t=2.5,12"
    assert _preview_url(Persona(name="no clip")) == ""


@pytest.mark.django_db
def test_an_extension_whose_track_was_deleted_is_not_quietly_made_as_a_plain_song(client, user):
    song, (track, _b) = _song_with_tracks(user)
    extension = Generation.objects.create(
        owner=user,
        mode="custom",
        prompt="[Verse]\nmore",
        tags="pop",
        continue_clip=track,
        continue_at=2,
        status="failed",
        error="boom",
    )
    track.delete()
    extension.refresh_from_db()
    assert extension.continue_clip is None and extension.is_extension

    page = client.get(extension.get_absolute_url()).content.decode()
    assert "data-retry-unavailable" in page and "generate-again" not in page and "Try again" not in page
    response = client.post(f"/generations/{extension.id}/retry/", follow=True)
    assert "has been deleted" in response.content.decode()
    assert Generation.objects.filter(owner=user).count() == 2  # nothing new was made

    body = client.get(f"/generations/new/?from={extension.id}").content.decode()
    assert "data-extend-source-deleted" in body and "[Verse]\nmore" in body
    assert 'name="continue_clip"' not in body  # a plain song, and the page says so


@pytest.mark.django_db
def test_an_extension_that_would_outgrow_the_song_limit_is_refused_before_any_work(client, user, settings):
    settings.SONG_MAX_DURATION_S = services.EXTENSION_ROOM_S + 2  # a 4-second track may be extended from 1 or 2
    _song, (track, _b) = _song_with_tracks(user)
    response = client.post(
        "/generations/new/", {"mode": "custom", "prompt": "more", "continue_clip": str(track.id), "continue_at": "3"}
    )
    assert response.status_code == 400 and "from second 2 or earlier" in response.content.decode()
    assert Generation.objects.count() == 1
    assert services.extend_problem(clip=track, continue_at=2, owner=user) == ""


@pytest.mark.django_db
def test_a_song_may_be_longer_than_the_upload_limit_but_an_upload_may_not(user, settings):
    from factories import wav_bytes

    from personastudio.clips import services as clip_services

    settings.CLIP_MAX_DURATION_S = 2
    data = wav_bytes(sung_line(seconds=4))
    song = clip_services.clip_create(
        owner=user, title="Long song", data=data, filename="a.wav", kind=Clip.Kind.GENERATED
    )
    assert song.duration_s == pytest.approx(4, abs=0.1)
    with pytest.raises(clip_services.ClipRejected):
        clip_services.clip_create(owner=user, title="Long upload", data=data, filename="a.wav")
    settings.SONG_MAX_DURATION_S = 3
    with pytest.raises(clip_services.ClipRejected):
        clip_services.clip_create(
            owner=user, title="Too long a song", data=data, filename="a.wav", kind=Clip.Kind.GENERATED
        )
