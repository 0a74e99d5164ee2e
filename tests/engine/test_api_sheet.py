"""music/sheet and music/parts (ours): a generated track's MIDI, MusicXML lead sheet and per-instrument stems."""

import io
import json

import mido
import pytest
from factories import UserFactory, sung_line, wav_bytes

from personastudio.engine import services
from personastudio.engine.models import EngineClip
from personastudio.engine.sheet import score_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(client):
    user = UserFactory()
    key = services.key_create(user=user)

    def call(path, **extra):
        return client.get(f"/api/v1/{path}", HTTP_AUTHORIZATION=f"Bearer {key}", **extra)

    call.key = key
    return call


@pytest.fixture
def song(client, api, run_tasks):
    started = client.post(
        "/api/v1/music/generate",
        data=json.dumps(
            {"prompt": "[Verse]\nHello river running wild\n[Chorus]\n夜空中最亮的星", "title": "River", "tags": "folk"}
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    run_tasks()
    task = api(f"task/{started.json()['data']['task_id']}").json()["data"]
    assert task["status"] == "completed"
    return task["results"]


def test_each_track_downloads_its_midi_and_lead_sheet(api, song):
    for item in song:
        clip = EngineClip.objects.get(pk=item["id"])
        score = score_json.score_from_json(clip.score)
        response = api(f"music/sheet?clip_id={item['id']}&format=midi")
        assert response.status_code == 200 and response["Content-Type"] == "audio/midi"
        assert "attachment" in response["Content-Disposition"] and ".mid" in response["Content-Disposition"]
        smf = mido.MidiFile(file=io.BytesIO(response.content), charset="utf-8")
        melody = next(t for t in smf.tracks if t.name == "Melody")
        lead = [n for line in score.sung_lines if not line.backing for n in line.notes]
        assert [m.note for m in melody if m.type == "note_on" and m.velocity] == [round(n[2]) for n in lead]
        sheet = api(f"music/sheet?clip_id={item['id']}&format=musicxml")
        assert sheet.status_code == 200 and b"<score-partwise" in sheet.content
    # Two variants, two scores.
    assert EngineClip.objects.get(pk=song[0]["id"]).score != EngineClip.objects.get(pk=song[1]["id"]).score


def test_an_upload_has_no_score_and_says_so(client, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploaded = client.post(
        "/api/v1/music/upload",
        {"file": SimpleUploadedFile("v.wav", wav_bytes(sung_line(seconds=4)))},
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    ).json()["data"]
    response = api(f"music/sheet?clip_id={uploaded['clipId']}&format=midi")
    assert response.status_code == 404 and "no score" in response.json()["message"]
    assert api(f"music/parts?clip_id={uploaded['clipId']}").json()["data"]["parts"] == []


def test_a_bad_format_or_another_accounts_track_is_refused(client, api, song):
    assert api(f"music/sheet?clip_id={song[0]['id']}&format=pdf").status_code == 400
    other_key = services.key_create(user=UserFactory())
    response = client.get(
        f"/api/v1/music/sheet?clip_id={song[0]['id']}&format=midi", HTTP_AUTHORIZATION=f"Bearer {other_key}"
    )
    assert response.status_code == 404
    response = client.get(f"/api/v1/music/parts?clip_id={song[0]['id']}", HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert response.status_code == 404
    assert client.get(f"/api/v1/music/sheet?clip_id={song[0]['id']}&format=midi").status_code == 401


def test_each_track_lists_and_sends_its_per_instrument_stems_losslessly(api, song):
    from personastudio.engine.dsp import audio_io

    for item in song:
        listed = api(f"music/parts?clip_id={item['id']}")
        assert listed.status_code == 200
        names = listed.json()["data"]["parts"]
        assert names[0] == "lead vocal" and {"drums", "bass", "guitars"} <= set(names)  # folk strums guitars
        response = api(f"music/parts?clip_id={item['id']}&part=bass")
        assert response.status_code == 200 and response["Content-Type"] == "audio/flac"
        assert "River" in response["Content-Disposition"] and "bass.flac" in response["Content-Disposition"]
        bass, info = audio_io.decode(io.BytesIO(response.content), sr=44100, channels=2)
        assert info.codec == "flac" and abs(info.duration_s - item["duration"]) < 0.1 and bass.std() > 1e-3
        assert api(f"music/parts?clip_id={item['id']}&part=tuba").status_code == 404
