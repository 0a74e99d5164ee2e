"""The engine's /api/v1/: envelope, Bearer keys, validation, and the whole contract round trip."""

import json

import pytest
from django.core.management import call_command
from factories import UserFactory, sung_line, tone, wav_bytes

from personastudio.engine import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(client):
    user = UserFactory()
    key = services.key_create(user=user)

    def call(method, path, body=None, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}", **extra}
        if method == "get":
            return client.get(f"/api/v1/{path}", **kwargs)
        return client.post(f"/api/v1/{path}", data=json.dumps(body or {}), content_type="application/json", **kwargs)

    call.user, call.key = user, key
    return call


def _upload(client, api, samples):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/music/upload",
        {"file": SimpleUploadedFile("v.wav", wav_bytes(samples))},
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_keys_are_stored_hashed_and_printed_once(capsys):
    UserFactory(username="alice")
    call_command("engine_key", "--user", "alice")
    key = capsys.readouterr().out.strip()
    from personastudio.engine.models import ApiKey

    stored = ApiKey.objects.get()
    assert key.startswith("sk-mm-") and key not in (stored.key_hash, stored.prefix)
    assert services.key_authenticate(key).username == "alice"


def test_a_missing_or_wrong_key_gets_401_in_the_envelope(client):
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer sk-mm-nope"}, {"HTTP_AUTHORIZATION": "Basic abc"}):
        response = client.post("/api/v1/music/generate", data="{}", content_type="application/json", **header)
        body = response.json()
        assert response.status_code == 401 and body["code"] == 401 and body["message"]
        assert body["request_id"].startswith("req-")


@pytest.mark.parametrize(
    "body, words",
    [
        ({}, "lyrics, style tags or a description"),
        ({"gpt_description_prompt": "a song", "prompt": "words"}, "cannot be combined"),
        ({"prompt": "x" * 3001}, "at most 3000"),
        ({"prompt": 5}, "must be a string"),
        ({"prompt": "la", "retention_days": 31}, "retention_days"),
    ],
)
def test_generate_refuses_requests_the_contract_forbids(api, body, words):
    response = api("post", "music/generate", body)
    assert response.status_code == 400 and response.json()["code"] == 400
    assert words in response.json()["message"]


def test_malformed_json_is_a_400_not_a_crash(client, api):
    response = client.post(
        "/api/v1/music/generate",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert response.status_code == 400 and "JSON" in response.json()["message"]


def test_an_unknown_task_or_another_accounts_task_is_404(api):
    assert api("get", "task/64f3a1b2c8d9e0f1a2b3c4d5").status_code == 404
    other = services.task_create(
        owner=UserFactory(),
        request=__import__("personastudio.contract.types", fromlist=["GenerateRequest"]).GenerateRequest(tags="rock"),
    )
    assert api("get", f"task/{other.id}").status_code == 404


def test_generate_then_poll_gives_two_mp3_results_whose_urls_serve_audio(client, api, run_tasks):
    started = api(
        "post",
        "music/generate",
        {"prompt": "[Verse]\n天空很蓝\n[Chorus]\n我们一起唱", "title": "蓝", "tags": "流行 抒情 女声"},
    )
    assert started.status_code == 200
    data = started.json()["data"]
    assert data["status"] == "queuing" and len(data["task_id"]) == 24
    waiting = api("get", f"task/{data['task_id']}").json()["data"]
    assert waiting["status"] == "queuing" and isinstance(waiting["created_at"], int)
    run_tasks()
    done = api("get", f"task/{data['task_id']}").json()["data"]
    assert done["status"] == "completed" and len(done["results"]) == 2
    for item in done["results"]:
        assert {"id", "audio_url", "image_url", "title", "duration", "tags", "prompt", "expire_at"} <= set(item)
        assert item["audio_url"].startswith("http://testserver/api/v1/files/")
        assert item["tags"] == "流行 抒情 女声" and item["duration"] > 5
        audio = client.get(item["audio_url"].removeprefix("http://testserver"))
        assert audio.status_code == 200 and audio["Content-Type"] == "audio/mpeg"
        assert b"".join(audio.streaming_content)[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    forged = done["results"][0]["audio_url"].removeprefix("http://testserver").replace("sig=", "sig=0")
    assert client.get(forged).status_code == 404


def test_tasks_lists_summaries_newest_first_and_filters_by_status(api, run_tasks):
    first = api("post", "music/generate", {"tags": "rock", "make_instrumental": True}).json()["data"]["task_id"]
    second = api("post", "music/generate", {"tags": "jazz", "make_instrumental": True}).json()["data"]["task_id"]
    listed = api("post", "tasks", {"page": 1, "page_size": 20, "status": -1}).json()["data"]
    assert [item["id"] for item in listed["items"]] == [second, first]
    assert listed["total"] == 2 and listed["page"] == 1 and "results" not in listed["items"][0]
    assert api("post", "tasks", {"status": 2}).json()["data"]["total"] == 0
    assert api("post", "tasks", {"page_size": 101}).status_code == 400


def test_a_persona_from_a_clip_without_enough_voice_is_422_with_advice(client, api):
    clip = _upload(client, api, tone(seconds=3))
    response = api("post", "music/persona", {"name": "Too short", "clip_id": clip["clipId"]})
    assert response.status_code == 422 and "30 seconds" in response.json()["message"]


def test_stem_returns_vocal_and_instrumental_urls(client, api):
    clip = _upload(client, api, sung_line(seconds=6))
    response = api("post", "music/stem", {"clip_id": clip["clipId"], "vocal_start_s": 1.0, "vocal_end_s": 5.0})
    data = response.json()["data"]
    assert response.status_code == 200, data
    assert data["id"].startswith("stem-") and data["status"] == "complete"
    assert data["source_clip_id"] == clip["clipId"] and data["vocal_end_s"] == 5.0
    assert data["vocal_audio_url"].startswith("http://testserver/api/v1/files/")
    assert data["instrumental_audio_url"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x.mp3",
        "http://localhost/x.mp3",
        "http://10.0.0.5/a.wav",
        "http://169.254.169.254/latest",
        "file:///etc/passwd",
        "ftp://example.com/a.mp3",
    ],
)
def test_upload_refuses_private_local_and_non_http_urls(api, url):
    response = api("post", "music/upload", {"audio_url": url})
    assert response.status_code == 400


def test_generate_refuses_an_unknown_or_another_accounts_continue_clip_id(api, client):
    unknown = api("post", "music/generate", {"prompt": "la la", "continue_clip_id": "abcdef123456", "continue_at": 3})
    assert unknown.status_code == 404 and unknown.json()["code"] == 404
    theirs = services.clip_import_bytes(owner=UserFactory(), data=wav_bytes(tone(seconds=4)), filename="t.wav")
    response = api("post", "music/generate", {"prompt": "la la", "continue_clip_id": theirs.id, "continue_at": 2})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"continue_at": 0}, "continue_at"),
        ({"continue_at": 60}, "continue_at"),
        ({"continue_at": 2.5}, "whole number"),
        ({"continue_at": "3"}, "whole number"),
    ],
)
def test_generate_checks_continue_at_against_the_clip(api, client, body, words):
    clip = _upload(client, api, tone(seconds=6))
    response = api("post", "music/generate", {"prompt": "la la", "continue_clip_id": clip["clipId"], **body})
    assert response.status_code == 400 and words in response.json()["message"]
    assert api("post", "music/generate", {"prompt": "la", "continue_at": 3}).status_code == 400  # needs the clip


def test_extending_a_song_keeps_it_up_to_continue_at_then_goes_on(client, api, run_tasks):
    import io

    import numpy as np

    from personastudio.engine.dsp import audio_io
    from personastudio.engine.dsp.mix import integrated_lufs, true_peak_dbtp

    first = api(
        "post",
        "music/generate",
        {"prompt": "[Verse]\nCity lights are calling me\n[Chorus]\nHold on to the night", "tags": "pop upbeat"},
    ).json()["data"]["task_id"]
    run_tasks()
    source = api("get", f"task/{first}").json()["data"]["results"][0]
    started = api(
        "post",
        "music/generate",
        {
            "prompt": "[Verse]\nMorning comes and we are home",
            "tags": "pop upbeat",
            "continue_clip_id": source["id"],
            "continue_at": 6,
        },
    )
    assert started.status_code == 200, started.content
    run_tasks()
    done = api("get", f"task/{started.json()['data']['task_id']}").json()["data"]
    assert done["status"] == "completed" and len(done["results"]) == 2

    def audio(item):
        response = client.get(item["audio_url"].removeprefix("http://testserver"))
        return audio_io.decode(io.BytesIO(b"".join(response.streaming_content)), sr=22050, channels=2)[0]

    before = audio(source)
    for item in done["results"]:
        after = audio(item)
        assert item["duration"] > 6 + 3
        n = 6 * 22050 - 2048  # the MP3 frames either side of the join may differ
        assert np.corrcoef(before[:n].ravel(), after[:n].ravel())[0, 1] > 0.95
        assert abs(integrated_lufs(after, sr=22050) + 14) <= 1.0 and true_peak_dbtp(after, sr=22050) <= -0.5
        # Its exports cover the whole track: the kept part's stems and notes, then the new part's.
        parts = api("get", f"music/parts?clip_id={item['id']}").json()["data"]["parts"]
        assert {"lead vocal", "drums", "bass"} <= set(parts)
        sheet = api("get", f"music/sheet?clip_id={item['id']}&format=midi")
        assert sheet.status_code == 200 and sheet["Content-Type"] == "audio/midi"


def test_api_uploads_keep_the_upload_limit_while_the_studio_may_hand_over_longer_songs(client, api, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from personastudio.providers.local import LocalProvider

    settings.CLIP_MAX_DURATION_S, settings.SONG_MAX_DURATION_S = 2, 6
    data = wav_bytes(tone(seconds=4))
    response = client.post(
        "/api/v1/music/upload", {"file": SimpleUploadedFile("v.wav", data)}, HTTP_AUTHORIZATION=f"Bearer {api.key}"
    )
    assert response.status_code != 200 and "longer than 2 seconds" in response.content.decode()
    song = tmp_path / "song.wav"
    song.write_bytes(data)
    assert LocalProvider(owner=api.user).upload_file(song, filename="song.wav").clip_id
