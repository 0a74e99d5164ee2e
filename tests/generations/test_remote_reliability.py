"""Against a scripted MusicMint server: a lost generate answer is looked up, never resubmitted;
webhooks are verified, idempotent, and forged ones change nothing."""

import hashlib
import hmac
import json
import time

import pytest
from django_tasks_db.models import DBTaskResult
from factories import UserFactory, mp3_bytes, sung_line
from werkzeug import Response

from personastudio.generations import services
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-secret"


def envelope(data):
    return {"code": 0, "message": "ok", "request_id": "req-1", "data": data}


def result_item(httpserver, clip_id):
    return {
        "id": clip_id,
        "audio_url": httpserver.url_for(f"/audio/{clip_id}.mp3"),
        "title": "Rivers",
        "duration": 3.0,
        "tags": "pop",
        "prompt": "la la",
        "expire_at": int(time.time() * 1000) + 3_600_000,
    }


@pytest.fixture
def remote(settings, httpserver, instant_retries):
    settings.MUSIC_PROVIDER = "remote"
    settings.MUSIC_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    settings.MUSIC_API_KEY = "sk-mm-test"
    settings.MUSIC_API_TIMEOUT_S = 0.4
    settings.MUSIC_WEBHOOK_SECRET = SECRET
    settings.GENERATION_POLL_INTERVAL_S = 0
    return httpserver


def _slow_generate(request):
    time.sleep(1.0)  # longer than the client's read timeout: the answer is lost, the task exists
    return Response(json.dumps(envelope({"task_id": "t-mine", "status": "queuing"})), content_type="application/json")


def _calls(httpserver, path):
    return sum(1 for request, _ in httpserver.log if request.path == path)


def test_a_lost_generate_answer_is_found_in_the_task_list_and_not_submitted_again(remote):
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_handler(_slow_generate)
    user = UserFactory()
    generation = services.generation_start(owner=user, mode="custom", title="Rivers", prompt="la la", tags="pop")
    assert generation.status == "queuing" and generation.task_id == "" and generation.error == ""

    now_ms = int(time.time() * 1000)
    remote.expect_request("/api/v1/tasks", method="POST").respond_with_json(
        envelope(
            {
                "items": [
                    {"id": "t-old", "status": "completed", "created_at": now_ms - 3_600_000},
                    {"id": "t-mine", "status": "processing", "created_at": now_ms - 500},
                ],
                "total": 2,
                "page": 1,
            }
        )
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.task_id == "t-mine"

    remote.expect_request("/api/v1/task/t-mine").respond_with_json(
        envelope(
            {
                "id": "t-mine",
                "status": "completed",
                "created_at": now_ms,
                "results": [result_item(remote, "c1"), result_item(remote, "c2")],
            }
        )
    )
    for clip_id in ("c1", "c2"):
        remote.expect_request(f"/audio/{clip_id}.mp3").respond_with_data(
            mp3_bytes(sung_line(seconds=3)), content_type="audio/mpeg"
        )
    generation = services.generation_refresh(generation=generation)
    services.generation_save_tracks(generation_id=str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.tracks.count() == 2
    assert _calls(remote, "/api/v1/music/generate") == 1  # the user was charged once


def test_a_5xx_on_generate_is_looked_up_like_a_lost_answer_and_adopted_not_resent(remote):
    # The service failed on its side after it may have started the song: outcome unknown, so it is looked up.
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(
        Response("<html><body>502 Bad Gateway</body></html>", status=502, content_type="text/html")
    )
    generation = services.generation_start(
        owner=UserFactory(), mode="custom", title="Mine", prompt="[Verse]\nMy own words", tags="pop"
    )
    assert generation.status == "queuing" and not generation.task_id and not generation.error
    remote.expect_request("/api/v1/tasks", method="POST").respond_with_json(
        envelope(
            {
                "items": [{"id": "t-made", "status": "processing", "created_at": int(time.time() * 1000)}],
                "total": 1,
                "page": 1,
            }
        )
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.task_id == "t-made"
    assert _calls(remote, "/api/v1/music/generate") == 1


def test_a_lost_generate_answer_with_no_task_ends_in_a_sentence_after_the_window(remote, settings):
    settings.GENERATION_LOOKUP_WINDOW_S = 0
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_handler(_slow_generate)
    remote.expect_request("/api/v1/tasks", method="POST").respond_with_json(
        envelope({"items": [], "total": 0, "page": 1})
    )
    generation = services.generation_start(owner=UserFactory(), mode="custom", prompt="Keep these words", tags="")
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "failed" and "never confirmed" in generation.error
    assert generation.prompt == "Keep these words"
    assert _calls(remote, "/api/v1/music/generate") == 1


def test_a_refused_connection_fails_at_once_and_keeps_the_lyrics(settings):
    settings.MUSIC_PROVIDER = "remote"
    settings.MUSIC_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.MUSIC_API_KEY = "sk-mm-test"
    generation = services.generation_start(owner=UserFactory(), mode="custom", prompt="My lyrics", tags="pop")
    assert generation.status == "failed" and "unreachable" in generation.error
    assert generation.prompt == "My lyrics"


def _signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post_webhook(client, payload, signature=None):
    body = json.dumps(payload).encode()
    headers = {} if signature is False else {"X-Signature": signature or _signed(body)}
    return client.post("/webhooks/music/", data=body, content_type="application/json", headers=headers)


@pytest.fixture
def waiting_generation():
    return Generation.objects.create(
        owner=UserFactory(), mode="custom", prompt="la", provider="remote", task_id="t-hook", status="processing"
    )


def test_a_signed_webhook_finishes_the_song_once_even_when_it_arrives_twice(
    client, remote, waiting_generation, django_capture_on_commit_callbacks
):
    payload = {
        "task_id": "t-hook",
        "status": "completed",
        "results": [result_item(remote, "h1"), result_item(remote, "h2")],
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_webhook(client, payload).status_code == 200
        assert _post_webhook(client, payload).status_code == 200  # duplicate delivery
    waiting_generation.refresh_from_db()
    assert len(waiting_generation.provider_results) == 2
    assert DBTaskResult.objects.filter(task_path__endswith="save_tracks").count() == 1


@pytest.mark.parametrize("signature", [False, "sha256=" + "0" * 64, _signed(b"another body")])
def test_a_forged_or_unsigned_webhook_is_refused_and_changes_nothing(client, remote, waiting_generation, signature):
    payload = {"task_id": "t-hook", "status": "failed", "error": "forged"}
    assert _post_webhook(client, payload, signature=signature).status_code == 401
    waiting_generation.refresh_from_db()
    assert waiting_generation.status == "processing" and waiting_generation.error == ""


def test_a_failed_webhook_shows_the_services_error(client, remote, waiting_generation):
    assert (
        _post_webhook(client, {"task_id": "t-hook", "status": "failed", "error": "Lyrics refused"}).status_code == 200
    )
    waiting_generation.refresh_from_db()
    assert waiting_generation.status == "failed" and waiting_generation.error == "Lyrics refused"


def test_without_a_secret_every_webhook_is_refused(client, remote, settings, waiting_generation):
    settings.MUSIC_WEBHOOK_SECRET = ""
    assert _post_webhook(client, {"task_id": "t-hook", "status": "failed"}).status_code == 401


def test_a_busy_service_while_copying_keeps_the_song_and_the_sweep_finishes_it(
    remote, django_capture_on_commit_callbacks
):
    generation = Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="la",
        provider="remote",
        provider_url=remote.url_for("/").rstrip("/"),
        task_id="t-busy",
        status="processing",
        provider_results=[result_item(remote, "b1")],
    )
    remote.expect_oneshot_request("/audio/b1.mp3").respond_with_data("busy", status=503)
    remote.expect_oneshot_request("/audio/b1.mp3").respond_with_data("busy", status=503)
    remote.expect_oneshot_request("/audio/b1.mp3").respond_with_data("busy", status=503)
    remote.expect_oneshot_request("/audio/b1.mp3").respond_with_data("busy", status=503)
    services.generation_save_tracks(generation_id=str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == "processing" and generation.error == services.MSG_SAVE_WILL_RETRY

    remote.expect_request("/audio/b1.mp3").respond_with_data(mp3_bytes(sung_line(seconds=3)), content_type="audio/mpeg")
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_refresh_unfinished()  # the sweep re-queues the copy
    assert DBTaskResult.objects.filter(task_path__endswith="save_tracks").count() == 1
    services.generation_save_tracks(generation_id=str(generation.pk))  # what the worker runs
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.tracks.count() == 1


def test_a_result_link_that_expired_ends_in_a_sentence_not_a_crash(remote):
    item = {**result_item(remote, "gone"), "expire_at": int(time.time() * 1000) - 1000}
    generation = Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="la",
        provider="remote",
        provider_url=remote.url_for("/").rstrip("/"),
        task_id="t-gone",
        status="processing",
        provider_results=[item],
    )
    remote.expect_request("/audio/gone.mp3").respond_with_data("not found", status=404)
    services.generation_save_tracks(generation_id=str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == "failed" and "no longer available" in generation.error
    assert generation.prompt == "la"


def test_with_a_public_address_each_generation_asks_for_a_webhook(remote, settings):
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_json(
        envelope({"task_id": "t-cb", "status": "queuing"})
    )
    generation = services.generation_start(owner=UserFactory(), mode="custom", prompt="la", tags="pop")
    assert generation.task_id == "t-cb"
    sent = json.loads(remote.log[0][0].get_data())
    assert sent["callback_url"] == "https://studio.example.com/webhooks/music/"


@pytest.mark.parametrize(
    "reply, sentence",
    [
        (
            Response('{"code": 401, "message": "bad key", "data": null}', status=401, content_type="application/json"),
            "rejected the API key",
        ),
        (
            Response(
                '{"code": 402, "message": "no credits", "data": null}', status=402, content_type="application/json"
            ),
            "out of credits",
        ),
        (
            Response(
                '{"code": 1001, "message": "Lyrics contain blocked words", "data": null}',
                status=200,
                content_type="application/json",
            ),
            "Lyrics contain blocked words",
        ),
        (Response("{not json", status=200, content_type="application/json"), "not a MusicMint response"),
    ],
)
def test_a_refused_generate_fails_with_a_sentence_and_keeps_what_was_typed(remote, reply, sentence):
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_response(reply)
    generation = services.generation_start(
        owner=UserFactory(), mode="custom", title="Mine", prompt="[Verse]\nMy own words", tags="pop"
    )
    assert generation.status == "failed" and sentence in generation.error
    assert (generation.title, generation.prompt, generation.tags) == ("Mine", "[Verse]\nMy own words", "pop")
    assert _calls(remote, "/api/v1/music/generate") == 1  # never resubmitted behind the user's back


def _processing(remote, task_id):
    return Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="la",
        provider="remote",
        provider_url=remote.url_for("/").rstrip("/"),
        task_id=task_id,
        status="queuing",
    )


def test_a_rate_limited_status_call_waits_as_asked_then_succeeds(remote, instant_retries):
    generation = _processing(remote, "t-429")
    remote.expect_oneshot_request("/api/v1/task/t-429").respond_with_response(
        Response(
            '{"code": 429, "message": "slow down", "data": null}',
            status=429,
            headers={"Retry-After": "1"},
            content_type="application/json",
        )
    )
    remote.expect_oneshot_request("/api/v1/task/t-429").respond_with_json(
        envelope({"id": "t-429", "status": "processing", "created_at": 1})
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "processing" and generation.error == ""
    assert _calls(remote, "/api/v1/task/t-429") == 2
    assert instant_retries == [1.0]  # the Retry-After it was given


def test_a_rejected_key_while_polling_is_explained_and_the_song_is_kept(remote):
    generation = _processing(remote, "t-401")
    remote.expect_request("/api/v1/task/t-401").respond_with_response(
        Response('{"code": 401, "message": "bad key", "data": null}', status=401, content_type="application/json")
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "queuing" and "check it in Settings" in generation.error


def test_a_task_that_never_finishes_is_given_up_with_a_way_forward(remote, settings):
    settings.GENERATION_GIVE_UP_AFTER_S = 0
    generation = _processing(remote, "t-forever")
    remote.expect_request("/api/v1/task/t-forever").respond_with_json(
        envelope({"id": "t-forever", "status": "processing", "created_at": 1})
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "failed" and "Try again" in generation.error


def test_many_polls_cost_one_upstream_call_per_interval(remote, settings):
    settings.GENERATION_POLL_INTERVAL_S = 60
    generation = _processing(remote, "t-tabs")
    remote.expect_request("/api/v1/task/t-tabs").respond_with_json(
        envelope({"id": "t-tabs", "status": "processing", "created_at": 1})
    )
    for _ in range(5):  # five open tabs
        services.generation_refresh(generation=Generation.objects.get(pk=generation.pk))
    assert _calls(remote, "/api/v1/task/t-tabs") == 1


def test_two_lost_answers_on_one_account_are_never_guessed(remote, settings):
    settings.GENERATION_LOOKUP_WINDOW_S = 0
    remote.expect_request("/api/v1/music/generate", method="POST").respond_with_handler(_slow_generate)
    first = services.generation_start(owner=UserFactory(), mode="custom", prompt="mine", tags="")
    second = services.generation_start(owner=UserFactory(), mode="custom", prompt="theirs", tags="")
    now_ms = int(time.time() * 1000)
    remote.expect_request("/api/v1/tasks", method="POST").respond_with_json(
        envelope(
            {
                "items": [
                    {"id": "t-a", "status": "processing", "created_at": now_ms},
                    {"id": "t-b", "status": "processing", "created_at": now_ms},
                ],
                "total": 2,
                "page": 1,
            }
        )
    )
    for generation in (first, second):
        generation = services.generation_refresh(generation=generation)
        assert generation.task_id == "" and generation.status == "failed"  # said, not guessed


def test_a_completed_task_without_tracks_fails_instead_of_waiting_forever(remote):
    generation = _processing(remote, "t-empty")
    remote.expect_request("/api/v1/task/t-empty").respond_with_json(
        envelope({"id": "t-empty", "status": "completed", "created_at": 1, "results": []})
    )
    generation = services.generation_refresh(generation=generation)
    assert generation.status == "failed" and "no tracks" in generation.error


@pytest.mark.parametrize("signature", ["é", "SHA256=" + "0" * 64])
def test_odd_signatures_are_refused_without_a_crash(client, remote, waiting_generation, signature):
    assert _post_webhook(client, {"task_id": "t-hook", "status": "failed"}, signature=signature).status_code == 401


def test_an_uppercase_prefix_on_a_good_signature_is_accepted(client, remote, waiting_generation):
    body = json.dumps({"task_id": "t-hook", "status": "failed", "error": "x"}).encode()
    signature = _signed(body).replace("sha256=", "SHA256=")
    response = client.post(
        "/webhooks/music/", data=body, content_type="application/json", headers={"X-Signature": signature}
    )
    assert response.status_code == 200


def test_a_song_started_on_a_service_is_finished_there_after_switching_to_the_built_in_engine(client, remote):
    user = UserFactory()
    client.force_login(user)
    client.post("/accounts/settings/", {"provider": "remote", "base_url": remote.url_for("/"), "api_key": "sk-mm-u"})
    client.post("/accounts/settings/", {"provider": "local"})
    generation = Generation.objects.create(
        owner=user,
        mode="custom",
        prompt="la",
        provider="remote",
        provider_url=remote.url_for("/").rstrip("/"),
        task_id="t-switch",
        status="processing",
        provider_results=[result_item(remote, "s1")],
    )
    remote.expect_request("/audio/s1.mp3").respond_with_data(mp3_bytes(sung_line(seconds=3)), content_type="audio/mpeg")
    services.generation_save_tracks(generation_id=str(generation.pk))
    generation.refresh_from_db()
    assert generation.status == "completed" and generation.tracks.count() == 1


def test_a_song_asked_for_in_chinese_is_saved_in_chinese_when_the_webhook_finishes_it(
    client, remote, django_capture_on_commit_callbacks
):
    Generation.objects.create(
        owner=UserFactory(),
        mode="custom",
        prompt="啦",
        provider="remote",
        task_id="t-zh",
        status="processing",
        language="zh-hans",
    )
    payload = {"task_id": "t-zh", "status": "completed", "results": [result_item(remote, "z1")]}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_webhook(client, payload).status_code == 200  # the service's request: no language
    job = DBTaskResult.objects.get(task_path__endswith="save_tracks")
    assert job.args_kwargs["kwargs"]["language"] == "zh-hans"


def test_the_song_form_records_the_language_it_was_filled_in(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/generations/new/", {"mode": "custom", "prompt": "啦啦"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert Generation.objects.get(owner=user).language == "zh-hans"
