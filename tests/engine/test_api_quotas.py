"""/api/v1/ past the account's quotas: 429 with Retry-After in the contract's envelope, and nothing stored."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from factories import UserFactory

from personastudio.engine import services
from personastudio.engine.models import EngineClip, EnginePersona, EngineStem, EngineTask, EngineVoiceCheck
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db(transaction=True)

SONG = {"prompt": "[Verse]\nla la la", "tags": "pop", "title": "Quota"}


@pytest.fixture
def api(client):
    user = UserFactory()
    key = services.key_create(user=user)

    def post(path, body):
        return client.post(
            f"/api/v1/{path}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    post.user = user
    return post


def _clip(user, source="upload") -> EngineClip:
    return EngineClip.objects.create(
        owner=user,
        source=source,
        audio="x.mp3",
        duration_s=30,
        voiced_s=30,
        expire_at=timezone.now() + timedelta(days=1),
    )


def _assert_rate_limited(response, *, at_most_s: int):
    body = response.json()
    assert response.status_code == 429 and body["code"] == 429 and body["data"] is None
    assert body["request_id"].startswith("req-") and body["message"]
    assert 1 <= int(response["Retry-After"]) <= at_most_s
    return body["message"]


def test_a_song_past_the_hourly_rate_is_429_with_retry_after_and_nothing_is_stored(api, settings):
    settings.SONGS_PER_HOUR = 1
    earlier = EngineTask.objects.create(owner=api.user, request={}, status=EngineTask.Status.COMPLETED)
    EngineTask.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(minutes=20))
    message = _assert_rate_limited(api("music/generate", SONG), at_most_s=40 * 60 + 1)
    assert "started 1 song in the last hour" in message and "SONGS_PER_HOUR" in message
    assert int(api("music/generate", SONG)["Retry-After"]) > 39 * 60
    assert EngineTask.objects.count() == 1 and not DBTaskResult.objects.exists()


def test_a_song_past_the_in_flight_limit_is_429_until_one_finishes(api, settings):
    settings.SONGS_IN_FLIGHT = 1
    running = EngineTask.objects.create(owner=api.user, request={}, status=EngineTask.Status.PROCESSING)
    message = _assert_rate_limited(api("music/generate", SONG), at_most_s=60)
    assert "queued or rendering" in message
    assert EngineTask.objects.count() == 1 and not DBTaskResult.objects.exists()
    EngineTask.objects.filter(pk=running.pk).update(status=EngineTask.Status.COMPLETED)
    response = api("music/generate", SONG)
    assert response.status_code == 200 and DBTaskResult.objects.count() == 1


def test_songs_the_studio_made_on_the_built_in_engine_do_not_use_the_api_quota(api, settings):
    settings.SONGS_PER_HOUR = 1
    task = EngineTask.objects.create(owner=api.user, request={}, status=EngineTask.Status.COMPLETED)
    Generation.objects.create(owner=api.user, prompt="la", status="completed", task_id=task.id, provider="local")
    assert api("music/generate", SONG).status_code == 200


def test_bad_input_past_the_quota_is_still_told_what_is_wrong(api, settings):
    settings.SONGS_PER_HOUR = 1
    EngineTask.objects.create(owner=api.user, request={}, status=EngineTask.Status.COMPLETED)
    assert api("music/generate", {}).status_code == 400


def test_a_persona_past_the_hourly_rate_is_429_before_any_work(api, settings):
    settings.PERSONAS_PER_HOUR = 1
    clip = _clip(api.user)
    EnginePersona.objects.create(owner=api.user, name="Earlier", clip=clip, batch_id="b", status="complete")
    reading = _clip(api.user)
    message = _assert_rate_limited(
        api("music/persona", {"name": "Ada", "clip_id": clip.id, "verification_clip_id": reading.id}), at_most_s=3600
    )
    assert "PERSONAS_PER_HOUR" in message
    assert EnginePersona.objects.count() == 1 and not EngineVoiceCheck.objects.exists()


def test_a_stem_past_the_hourly_rate_is_429_before_any_work(api, settings):
    settings.SEPARATIONS_PER_HOUR = 1
    clip = _clip(api.user)
    EngineStem.objects.create(
        owner=api.user,
        source_clip=clip,
        vocal_end_s=30,
        vocal_clip=_clip(api.user, "vocals"),
        instrumental_clip=_clip(api.user, "instrumental"),
    )
    message = _assert_rate_limited(api("music/stem", {"clip_id": clip.id}), at_most_s=3600)
    assert "SEPARATIONS_PER_HOUR" in message
    assert EngineStem.objects.count() == 1 and EngineClip.objects.count() == 3
