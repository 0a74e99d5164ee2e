"""Against a scripted MusicMint server: a "slow down" (429) on music/generate made nothing, so the song waits as
asked and is submitted again by a poll or the sweep, once, until GENERATION_GIVE_UP_AFTER_S; a 5xx is never resent."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from factories import UserFactory, mp3_bytes, sung_line
from werkzeug import Response

from personastudio.generations import services
from personastudio.generations.models import Generation
from personastudio.providers import backoff

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, 6, 3, 0, tzinfo=UTC)  # 14:03 in Shanghai


def envelope(data):
    return {"code": 0, "message": "ok", "request_id": "req-1", "data": data}


def slow_down(retry_after=None):
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Response(
        '{"code": 429, "message": "slow down", "data": null}',
        status=429,
        headers=headers,
        content_type="application/json",
    )


@pytest.fixture
def remote(settings, httpserver, instant_retries):
    settings.MUSIC_PROVIDER = "remote"
    settings.MUSIC_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.MUSIC_API_KEY = "sk-mm-test"
    settings.MUSIC_API_TIMEOUT_S = 0.4
    settings.GENERATION_POLL_INTERVAL_S = 0
    settings.GENERATION_GIVE_UP_AFTER_S = 3600
    return httpserver


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _calls(httpserver, path):
    return sum(1 for request, _ in httpserver.log if request.path == path)


def _start(**fields):
    return services.generation_start(
        owner=fields.pop("owner", None) or UserFactory(),
        mode="custom",
        title="Rivers",
        prompt="[Verse]\nMy own words",
        tags="pop",
        **fields,
    )


def test_a_429_with_retry_after_waits_says_when_and_the_sweep_submits_it_again_and_it_completes(
    remote, clock, client, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "Asia/Shanghai"
    remote.expect_oneshot_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down("120"))
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_json(
        envelope({"task_id": "t-later", "status": "queuing"})
    )
    user = UserFactory()
    generation = _start(owner=user)
    assert generation.status == "queuing" and generation.error == "" and generation.task_id == ""
    assert generation.retry_at == START + timedelta(seconds=120)

    client.force_login(user)
    page = client.get(generation.get_absolute_url()).content.decode()
    assert "The music service asked us to wait; trying again at" in page
    assert "2:05 p.m." in page  # 06:05 UTC, shown in the site's time zone as the page's other times
    services.generation_refresh_unfinished()  # before the time: nothing is sent
    assert _calls(remote, "/api/v1/music/generate") == 1

    clock.shift(timedelta(seconds=121))
    services.generation_refresh_unfinished()  # the sweep
    generation.refresh_from_db()
    assert generation.task_id == "t-later" and generation.retry_at is None and generation.status == "queuing"
    assert _calls(remote, "/api/v1/music/generate") == 2
    assert "asked us to wait" not in client.get(generation.get_absolute_url()).content.decode()

    remote.expect_request("/api/v1/task/t-later").respond_with_json(
        envelope(
            {
                "id": "t-later",
                "status": "completed",
                "created_at": int(time.time() * 1000),
                "results": [
                    {
                        "id": "r1",
                        "audio_url": remote.url_for("/audio/r1.mp3"),
                        "title": "Rivers",
                        "duration": 3.0,
                        "expire_at": int(time.time() * 1000) + 3_600_000,
                    }
                ],
            }
        )
    )
    remote.expect_request("/audio/r1.mp3").respond_with_data(mp3_bytes(sung_line(seconds=3)), content_type="audio/mpeg")
    with django_capture_on_commit_callbacks(execute=False):
        generation = services.generation_refresh(generation=generation)
    services.generation_save_tracks(generation_id=str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.tracks.count() == 1
    assert _calls(remote, "/api/v1/music/generate") == 2  # one refused, one made: never a third


def test_the_wait_shows_in_chinese_as_a_24_hour_time(remote, clock, client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down("120"))
    user = UserFactory()
    generation = _start(owner=user)
    client.force_login(user)
    page = client.get(generation.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "14:05" in page


def test_two_polls_when_the_time_has_come_submit_the_song_once(remote, clock):
    remote.expect_oneshot_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down("30"))
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_json(
        envelope({"task_id": "t-once", "status": "queuing"})
    )
    generation = _start()
    clock.shift(timedelta(seconds=31))
    first, second = Generation.objects.get(pk=generation.pk), Generation.objects.get(pk=generation.pk)
    services.generation_refresh(generation=first)
    services.generation_refresh(generation=second)  # read the same wait before the first claimed it
    assert _calls(remote, "/api/v1/music/generate") == 2
    assert Generation.objects.get(pk=generation.pk).task_id == "t-once"


def test_a_429_without_retry_after_waits_a_bounded_jittered_backoff(remote, clock):
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down())
    generation = _start()
    low, high = backoff.RATE_LIMIT_BACKOFF_S
    assert START + timedelta(seconds=low / 2) <= generation.retry_at <= START + timedelta(seconds=low)

    clock.shift(generation.retry_at - START + timedelta(seconds=1))
    generation = services.generation_refresh(generation=generation)  # refused again: a new, later wait
    assert generation.status == "queuing" and generation.retry_at > datetime.now(UTC)
    assert _calls(remote, "/api/v1/music/generate") == 2


def test_the_backoff_grows_with_the_wait_so_far_and_stays_within_its_bounds():
    low, high = backoff.RATE_LIMIT_BACKOFF_S
    waits = [
        backoff.rate_limit_wait_s(retry_after_s=None, waited_s=waited) for waited in (0, 100, 10**6) for _ in range(50)
    ]
    assert all(low / 2 <= wait <= high for wait in waits)
    assert len({round(wait, 3) for wait in waits[:50]}) > 1  # jittered
    assert min(waits[100:]) >= high / 2
    assert backoff.rate_limit_wait_s(retry_after_s=90, waited_s=0) == 90


def test_a_song_still_refused_after_the_give_up_time_fails_with_a_way_forward_and_keeps_the_lyrics(
    remote, clock, settings
):
    settings.GENERATION_GIVE_UP_AFTER_S = 600
    remote.expect_oneshot_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down("60"))
    generation = _start()
    clock.shift(timedelta(seconds=700))
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "failed" and "Try again later" in generation.error and generation.retry_at is None
    assert (generation.title, generation.prompt, generation.tags) == ("Rivers", "[Verse]\nMy own words", "pop")
    assert _calls(remote, "/api/v1/music/generate") == 1


def test_a_wait_past_the_give_up_time_fails_at_once(remote, clock, settings):
    settings.GENERATION_GIVE_UP_AFTER_S = 600
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(slow_down("3600"))
    generation = _start()
    assert generation.status == "failed" and "stopped trying" in generation.error
    assert generation.prompt == "[Verse]\nMy own words"


def test_a_5xx_on_generate_is_never_sent_again_by_polls_or_the_sweep(remote, clock):
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(
        Response("<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    )
    generation = _start()
    assert generation.retry_at is None
    clock.shift(timedelta(minutes=30))
    services.generation_refresh_unfinished()
    services.generation_refresh(generation=generation)
    assert _calls(remote, "/api/v1/music/generate") == 1


def _slow_generate(request):
    time.sleep(1.0)  # longer than the client's read timeout: the answer is lost
    return Response(json.dumps(envelope({"task_id": "t-lost", "status": "queuing"})), content_type="application/json")


def test_a_lost_generate_answer_is_still_looked_up_not_resent(remote):
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_handler(_slow_generate)
    generation = _start()
    assert generation.retry_at is None and generation.submitted_at is not None
    remote.expect_request("/api/v1/tasks", method="POST").respond_with_json(
        envelope(
            {
                "items": [{"id": "t-lost", "status": "processing", "created_at": int(time.time() * 1000)}],
                "total": 1,
                "page": 1,
            }
        )
    )
    services.generation_refresh_unfinished()
    generation.refresh_from_db()
    assert generation.task_id == "t-lost"
    assert _calls(remote, "/api/v1/music/generate") == 1
