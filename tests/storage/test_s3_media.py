"""MEDIA_STORAGE=s3 against a real S3-compatible server (SeaweedFS): every file goes to the bucket, playback
keeps Range and the ownership check, deletion removes the objects."""

import io

import pytest
import soundfile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import UserFactory, make_clip, mp3_bytes, persona_form, sung_line, tone, upload_file, wav_bytes

from personastudio.clips.models import Clip, TrackPart
from personastudio.engine import services as engine_services
from personastudio.engine.models import EngineClip
from personastudio.generations.models import Generation
from personastudio.media_files import referenced_media_names
from personastudio.personas.models import Persona


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _record_s3_reads():
    """The Range header of every GetObject the media storage sends from now on (None: the whole object).
    The requests still go to the server; this only listens on botocore's event hooks."""
    sent = []
    events = default_storage.connection.meta.client.meta.events
    events.register("before-send.s3.GetObject", lambda request, **_: sent.append(request.headers.get("Range")))
    return sent


def _local_files(media_root):
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.mark.django_db
def test_a_clip_uploaded_through_the_form_lands_in_the_bucket_and_plays_with_range(user_client, bucket, private_media):
    data = wav_bytes(sung_line(seconds=4))
    response = user_client.post("/clips/upload/", {"title": "Take one", "audio": upload_file(data=data)})
    clip = Clip.objects.get(owner=user_client.user)
    assert response.status_code == 302 and clip.duration_s == pytest.approx(4, abs=0.1)
    assert bucket.keys() == {clip.audio.name} and bucket.read(clip.audio.name) == data
    assert _local_files(private_media) == []

    reads = _record_s3_reads()
    ranged = user_client.get(f"/clips/{clip.id}/audio", headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206 and ranged["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert ranged["Content-Length"] == "1000" and _body(ranged) == data[1000:2000]
    assert reads == [b"bytes=1000-1999"]  # one ranged GET: the object is not downloaded whole

    whole = user_client.get(f"/clips/{clip.id}/audio")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and _body(whole) == data
    assert user_client.get(f"/clips/{clip.id}/audio", headers={"Range": f"bytes={len(data) + 5}-"}).status_code == 416

    user_client.force_login(UserFactory())
    assert user_client.get(f"/clips/{clip.id}/audio", headers={"Range": "bytes=0-99"}).status_code == 404


@pytest.mark.django_db
def test_an_mp3_in_the_bucket_downloads_as_wav(user_client, bucket):
    user_client.post(
        "/clips/upload/", {"title": "Demo", "audio": upload_file(data=mp3_bytes(tone(seconds=3)), name="demo.mp3")}
    )
    clip = Clip.objects.get(owner=user_client.user)
    assert clip.audio.name in bucket and clip.audio.name.endswith(".mp3")
    response = user_client.get(f"/clips/{clip.id}/audio?format=wav&download=1")
    assert response.status_code == 200 and "Demo.wav" in response["Content-Disposition"]
    samples, sr = soundfile.read(io.BytesIO(_body(response)))
    assert len(samples) / sr == pytest.approx(3, abs=0.1)


@pytest.mark.django_db
def test_an_api_upload_is_kept_in_the_bucket_and_its_signed_url_plays_with_range(client, bucket, private_media):
    user = UserFactory()
    key = engine_services.key_create(user=user)
    response = client.post(
        "/api/v1/music/upload",
        {"file": SimpleUploadedFile("v.wav", wav_bytes(tone(seconds=3)))},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    engine_clip = EngineClip.objects.get(pk=data["clipId"], owner=user)  # the contract's camelCase
    assert bucket.keys() == {engine_clip.audio.name} and _local_files(private_media) == []
    stored = bucket.read(engine_clip.audio.name)

    url = data["audioUrl"].removeprefix("http://testserver")
    ranged = client.get(url, headers={"Range": "bytes=10-99"})
    assert ranged.status_code == 206 and _body(ranged) == stored[10:100]
    assert ranged["Content-Range"] == f"bytes 10-99/{len(stored)}"
    assert client.get(url.replace("sig=", "sig=0")).status_code == 404  # the signature is still the key


@pytest.mark.django_db
def test_deleting_a_clip_removes_its_objects_and_its_stems_from_the_bucket(
    user_client, bucket, django_capture_on_commit_callbacks
):
    clip = make_clip(user_client.user, samples=tone(seconds=2))
    stem = make_clip(
        user_client.user, title="My voice (vocals)", samples=tone(seconds=2), parent=clip, kind=Clip.Kind.VOCALS
    )
    kept = make_clip(user_client.user, title="Another", samples=tone(seconds=2))
    assert bucket.keys() == {clip.audio.name, stem.audio.name, kept.audio.name}
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/clips/{clip.id}/delete/")
    assert response.status_code == 302
    assert bucket.keys() == {kept.audio.name}


@pytest.mark.django_db(transaction=True)
def test_a_persona_and_a_song_keep_every_file_in_the_bucket_and_a_deleted_track_takes_its_stems(
    client, run_tasks, settings, bucket, private_media
):
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
    run_tasks()  # the clip is handed to the engine (a temporary local copy) and the persona learned
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error

    client.post(
        "/generations/new/",
        {
            "mode": "custom",
            "title": "Rivers",
            "prompt": "[Verse]\nMorning light\n",
            "tags": "folk",
            "persona": str(persona.id),
        },
    )
    generation = Generation.objects.get(owner=user)
    for _ in range(3):
        run_tasks()
        if client.get(f"/generations/{generation.id}/status/").status_code == 286:
            break
    generation.refresh_from_db()
    assert generation.status == "completed", generation.error

    tracks = list(Clip.objects.filter(generation=generation))
    parts = list(TrackPart.objects.filter(track__in=tracks))
    assert len(tracks) == 2 and parts
    names = set(referenced_media_names())
    assert {t.audio.name for t in tracks} | {p.audio.name for p in parts} | {clip.audio.name} <= names
    assert any(name.startswith("engine/") for name in names)
    assert names <= bucket.keys()  # every file the database names is an object in the bucket
    assert _local_files(private_media) == []  # and none went to the local folder

    part = parts[0]
    stem = client.get(f"/clips/{part.track_id}/parts/{part.id}", headers={"Range": "bytes=0-3"})
    assert stem.status_code == 206 and _body(stem) == b"fLaC"

    track = tracks[0]
    doomed = {track.audio.name} | {p.audio.name for p in parts if p.track_id == track.id}
    assert client.post(f"/clips/{track.id}/delete/").status_code == 302
    assert not doomed & bucket.keys() and tracks[1].audio.name in bucket
