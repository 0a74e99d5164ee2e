"""music/upload refuses audio that would decode to hours of work with a contract 422, by file or by audio_url."""

import json

import pytest
from audio_files import encoded
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import UserFactory

from personastudio.engine import services
from personastudio.engine.models import EngineClip

pytestmark = pytest.mark.django_db

ATTACK = dict(fmt="flac", codec="flac", seconds=5, rate=192_000, channels=8)  # within a 6 s limit by length


@pytest.fixture
def key():
    user = UserFactory()
    return services.key_create(user=user)


def _refused_422(response) -> str:
    body = response.json()
    assert response.status_code == 422, body
    assert set(body) == {"code", "message", "request_id", "data"} and body["code"] == 422
    return body["message"]


def test_an_uploaded_file_of_many_channels_at_192_khz_is_422_with_a_sentence(client, key, settings):
    settings.CLIP_MAX_DURATION_S = 6
    response = client.post(
        "/api/v1/music/upload",
        {"file": SimpleUploadedFile("q.flac", encoded(**ATTACK))},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert "8 channels at 192000 Hz for 5 seconds" in _refused_422(response)
    assert not EngineClip.objects.exists()


def test_an_audio_url_serving_many_channels_at_192_khz_is_422_with_a_sentence(client, key, settings, httpserver):
    settings.CLIP_MAX_DURATION_S = 6
    settings.ENGINE_UPLOAD_ALLOW_PRIVATE = True  # the file is served from 127.0.0.1 here
    httpserver.expect_request("/quiet.flac").respond_with_data(encoded(**ATTACK), content_type="audio/flac")
    response = client.post(
        "/api/v1/music/upload",
        data=json.dumps({"audio_url": httpserver.url_for("/quiet.flac")}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert "holds too much to read" in _refused_422(response)
    assert not EngineClip.objects.exists()


def test_a_sample_rate_over_the_limit_is_422(client, key, settings):
    settings.UPLOAD_MAX_SAMPLE_RATE_HZ = 48_000
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=1, rate=96_000, channels=2, noise=True)
    response = client.post(
        "/api/v1/music/upload", {"file": SimpleUploadedFile("hi.wav", data)}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert "sample rate is 96000 Hz; at most 48000 Hz" in _refused_422(response)
