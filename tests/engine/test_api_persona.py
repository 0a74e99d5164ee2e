"""music/persona on the engine's API: a clip of a real voice needs `verification_clip_id` (ours)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import UserFactory, wav_bytes
from voices import SR, need_speakers, phrase, sung

from personastudio.engine import services
from personastudio.engine.models import EnginePersona, EngineVoiceCheck

pytestmark = pytest.mark.django_db(transaction=True)


class Api:
    def __init__(self, client):
        self.client = client
        self.user = UserFactory()
        self.key = services.key_create(user=self.user)

    def get(self, path):
        return self.client.get(f"/api/v1/{path}", HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def post(self, path, body):
        return self.client.post(
            f"/api/v1/{path}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )

    def upload(self, samples) -> str:
        response = self.client.post(
            "/api/v1/music/upload",
            {"file": SimpleUploadedFile("v.wav", wav_bytes(samples, sr=SR))},
            HTTP_AUTHORIZATION=f"Bearer {self.key}",
        )
        assert response.status_code == 200, response.content
        return response.json()["data"]["clipId"]


@pytest.fixture
def api(client):
    return Api(client)


@pytest.mark.parametrize("lang, words", [("en", "2026"), ("zh", "年")])
def test_the_phrase_comes_in_the_asked_language_with_todays_date(api, lang, words):
    data = api.get(f"music/persona/phrase?lang={lang}").json()["data"]
    assert data["lang"] == lang and words in data["phrase"] and data["date"][:4] in data["phrase"]
    assert lang == "zh" or 8 <= len(data["phrase"].split()) - 3 <= 12  # words, then "2 December 2026"
    assert api.get("music/persona/phrase?lang=fr").status_code == 400


def test_an_uploaded_clip_without_a_verification_says_what_to_send(api):
    clip = api.upload(sung("us2"))
    response = api.post("music/persona", {"name": "Ada", "clip_id": clip})
    body = response.json()
    assert response.status_code == 400 and body["code"] == 400
    assert "verification_clip_id" in body["message"] and "music/persona/phrase" in body["message"]
    assert not EnginePersona.objects.exists()


def test_the_same_voice_reading_the_phrase_makes_the_persona(api):
    clip, reading = api.upload(sung("us2")), api.upload(phrase("us2"))
    response = api.post("music/persona", {"name": "Ada", "clip_id": clip, "verification_clip_id": reading})
    data = response.json()["data"]
    assert response.status_code == 200, response.json()
    item = data["items"][0]
    assert item["status"] == "complete" and isinstance(item["voice_check"]["similarity"], float)
    persona = EnginePersona.objects.get(pk=item["id"])
    assert persona.voice_check.passed and persona.voice_check.verification_clip_id == reading


def test_another_voice_is_422_with_the_similarity(api):
    need_speakers("us2", "us3")
    clip, reading = api.upload(sung("us2")), api.upload(phrase("us3"))
    response = api.post("music/persona", {"name": "Borrowed", "clip_id": clip, "verification_clip_id": reading})
    body = response.json()
    assert response.status_code == 422 and "does not sound like" in body["message"]
    assert isinstance(body["data"]["similarity"], float)
    assert not EnginePersona.objects.exists() and EngineVoiceCheck.objects.get().passed is False


def test_another_users_verification_clip_is_404(client, api):
    other = Api(client)
    theirs = other.upload(phrase("us2"))
    clip = api.upload(sung("us2"))
    response = api.post("music/persona", {"name": "Ada", "clip_id": clip, "verification_clip_id": theirs})
    assert response.status_code == 404 and not EngineVoiceCheck.objects.exists()


def test_checks_past_the_hourly_limit_are_429_with_retry_after(api, settings):
    settings.VOICE_CHECKS_PER_HOUR = 2
    clip, reading = api.upload(sung("us2")), api.upload(phrase("us2"))
    for _ in range(2):
        EngineVoiceCheck.objects.create(owner=api.user, similarity=0.1, passed=False)
    response = api.post("music/persona", {"name": "Ada", "clip_id": clip, "verification_clip_id": reading})
    assert response.status_code == 429 and "in the last hour" in response.json()["message"]
    assert 0 < int(response["Retry-After"]) <= 3600
