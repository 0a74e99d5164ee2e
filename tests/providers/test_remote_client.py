"""RemoteProvider against a real local HTTP server (pytest-httpserver), faults included."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from werkzeug import Request, Response

from personastudio.contract.errors import (
    AuthError,
    BadRequest,
    MusicApiError,
    NotFound,
    PayloadTooLarge,
    ProtocolError,
    QuotaExceeded,
    RateLimited,
    Unavailable,
)
from personastudio.contract.http import retry_after_s
from personastudio.contract.types import GenerateRequest
from personastudio.providers.remote import RemoteProvider

KEY = "sk-mm-test-secret-0123456789"
TASK_ID = "64f3a1b2c8d9e0f1a2b3c4d5"
HTML_502 = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"


def ok(data):
    return {"code": 0, "message": "ok", "request_id": "req-1", "data": data}


def fail(code, message):
    return {"code": code, "message": message, "request_id": "req-2", "data": None}


class SleepRecorder:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleep():
    return SleepRecorder()


@pytest.fixture
def provider(httpserver, sleep):
    return RemoteProvider(base_url=httpserver.url_for("/"), api_key=KEY, sleep=sleep, timeout_s=5)


def api(path):
    return f"/api/v1/{path}"


# -- each endpoint, happy path ------------------------------------------------


def test_it_starts_a_generation_with_the_key_and_the_contract_body(httpserver, provider):
    request = GenerateRequest(prompt="[Verse]\n月光洒在窗前", tags="pop 女声", persona_id="persona-1")
    httpserver.expect_request(
        api("music/generate"),
        method="POST",
        json=request.to_json(),
        headers={"Authorization": f"Bearer {KEY}", "Accept": "application/json"},
    ).respond_with_json(ok({"task_id": TASK_ID, "status": "queuing"}))

    ref = provider.generate(request)

    assert (ref.task_id, ref.status) == (TASK_ID, "queuing")
    sent = httpserver.log[0][0]
    assert sent.headers["User-Agent"].startswith("PersonaStudio/")


def test_our_persona_influence_is_never_sent_to_a_hosted_service(httpserver, provider):
    request = GenerateRequest(prompt="[Verse]\nla la", tags="pop", persona_id="persona-1", persona_influence=0.4)
    httpserver.expect_request(api("music/generate"), method="POST").respond_with_json(
        ok({"task_id": TASK_ID, "status": "queuing"})
    )

    provider.generate(request)

    sent = json.loads(httpserver.log[0][0].data)
    assert sent == {"prompt": "[Verse]\nla la", "tags": "pop", "persona_id": "persona-1"}


def test_it_reads_a_completed_task_with_its_results(httpserver, provider):
    httpserver.expect_request(api(f"task/{TASK_ID}"), method="GET").respond_with_json(
        ok(
            {
                "id": TASK_ID,
                "status": "completed",
                "created_at": 1710000000000,
                "results": [
                    {
                        "id": "clip-a",
                        "audio_url": "https://cdn.example/a.mp3",
                        "image_url": "https://cdn.example/a.jpg",
                        "title": "月光",
                        "duration": 182.5,
                        "tags": "pop",
                        "prompt": "[Verse]",
                        "expire_at": 1710600000000,
                    },
                    {"id": "clip-b", "audio_url": "https://cdn.example/b.mp3"},
                ],
            }
        )
    )

    task = provider.get_task(TASK_ID)

    assert task.is_final and task.status == "completed"
    assert [r.id for r in task.results] == ["clip-a", "clip-b"]
    assert task.results[0].duration == 182.5 and task.results[0].expire_at == 1710600000000


def test_it_quotes_a_task_id_so_it_cannot_reach_another_endpoint(httpserver, provider):
    # werkzeug matches on the decoded path; the raw request line shows what was sent
    httpserver.expect_request(api("task/../music/generate")).respond_with_json(fail(404, "unknown task"), status=404)

    with pytest.raises(NotFound):
        provider.get_task("../music/generate")
    assert httpserver.log[0][0].environ["REQUEST_URI"] == "/api/v1/task/..%2Fmusic%2Fgenerate"


def test_it_lists_tasks_with_paging_and_a_status_filter(httpserver, provider):
    httpserver.expect_request(
        api("tasks"), method="POST", json={"page": 2, "page_size": 5, "status": 3}
    ).respond_with_json(
        ok({"items": [{"id": "t1", "status": "failed", "created_at": 1, "error": "boom"}], "total": 6, "page": 2})
    )

    page = provider.list_tasks(page=2, page_size=5, status=3)

    assert (page.total, page.page) == (6, 2)
    assert page.items[0].error == "boom"


def test_it_creates_a_persona(httpserver, provider):
    httpserver.expect_request(
        api("music/persona"), method="POST", json={"name": "林小雨", "clip_id": "clip-a"}
    ).respond_with_json(ok({"taskBatchId": "batch-xyz789", "items": [{"id": "persona-abc123", "status": "complete"}]}))

    persona = provider.create_persona(name="林小雨", clip_id="clip-a")

    assert (persona.persona_id, persona.status, persona.batch_id) == ("persona-abc123", "complete", "batch-xyz789")


def test_it_uploads_a_clip_by_url(httpserver, provider):
    httpserver.expect_request(
        api("music/upload"), method="POST", json={"audio_url": "https://files.example/me.wav"}
    ).respond_with_json(
        ok({"clipId": "clip-up", "audioUrl": "https://cdn.example/up.mp3", "duration": 41, "status": 1})
    )

    upload = provider.upload_url("https://files.example/me.wav")

    assert (upload.clip_id, upload.audio_url, upload.duration_s, upload.status) == (
        "clip-up",
        "https://cdn.example/up.mp3",
        41,
        1,
    )


def test_it_uploads_a_file_as_multipart_field_file(httpserver, provider, tmp_path):
    path = tmp_path / "take.wav"
    path.write_bytes(b"RIFF fake wave")
    seen = {}

    def handler(request: Request) -> Response:
        upload = request.files["file"]
        seen.update(name=upload.filename, body=upload.read(), type=upload.content_type)
        return Response(
            json.dumps(ok({"clipId": "clip-file", "duration": 3, "status": 1})), content_type="application/json"
        )

    httpserver.expect_request(api("music/upload"), method="POST").respond_with_handler(handler)

    assert provider.upload_file(path, filename="my take.wav").clip_id == "clip-file"
    assert seen == {"name": "my take.wav", "body": b"RIFF fake wave", "type": "audio/x-wav"}


def test_it_separates_stems_and_tolerates_a_missing_instrumental(httpserver, provider):
    httpserver.expect_request(
        api("music/stem"), method="POST", json={"clip_id": "clip-a", "vocal_start_s": 1.5, "vocal_end_s": 30.0}
    ).respond_with_json(
        ok(
            {
                "id": "stem-1",
                "source_clip_id": "clip-a",
                "status": "complete",
                "vocal_audio_url": "https://cdn.example/v.mp3",
                "vocal_start_s": 1.5,
                "vocal_end_s": 30,
            }
        )
    )

    stem = provider.stem(clip_id="clip-a", vocal_start_s=1.5, vocal_end_s=30.0)

    assert (stem.vocal_audio_url, stem.vocal_end_s, stem.instrumental_audio_url) == (
        "https://cdn.example/v.mp3",
        30.0,
        "",
    )


def test_ping_makes_one_cheap_authenticated_call(httpserver, provider):
    httpserver.expect_request(
        api("tasks"), json={"page": 1, "page_size": 1, "status": -1}, headers={"Authorization": f"Bearer {KEY}"}
    ).respond_with_json(ok({"items": [], "total": 0, "page": 1}))

    provider.ping()

    assert len(httpserver.log) == 1


def test_it_accepts_a_base_url_that_already_ends_in_api_v1(httpserver, sleep):
    provider = RemoteProvider(base_url=httpserver.url_for("/api/v1/"), api_key=KEY, sleep=sleep)
    httpserver.expect_request(api("tasks")).respond_with_json(ok({"items": [], "total": 0, "page": 1}))

    provider.ping()


# -- audio downloads ---------------------------------------------------------


def test_it_downloads_audio_from_its_own_host_with_the_key(httpserver, provider):
    httpserver.expect_request("/media/a.mp3", headers={"Authorization": f"Bearer {KEY}"}).respond_with_data(
        b"ID3" + b"\x00" * 1000, content_type="audio/mpeg"
    )

    assert provider.fetch_audio(httpserver.url_for("/media/a.mp3")).startswith(b"ID3")


def test_it_never_sends_the_key_to_another_host(provider, httpserver_ipv4):
    httpserver_ipv4.expect_request("/cdn/a.mp3").respond_with_data(b"ID3 audio", content_type="audio/mpeg")

    assert provider.fetch_audio(httpserver_ipv4.url_for("/cdn/a.mp3")) == b"ID3 audio"
    assert "Authorization" not in httpserver_ipv4.log[0][0].headers


def test_it_reports_expired_audio_as_not_found(httpserver, provider):
    httpserver.expect_request("/media/gone.mp3").respond_with_data(
        "<h1>Not Found</h1>", status=404, content_type="text/html"
    )

    with pytest.raises(NotFound, match="no longer available"):
        provider.fetch_audio(httpserver.url_for("/media/gone.mp3"))


def test_it_refuses_audio_above_the_size_limit(httpserver, provider, monkeypatch):
    monkeypatch.setattr("personastudio.providers.remote.MAX_AUDIO_BYTES", 1000)
    httpserver.expect_request("/media/big.mp3").respond_with_data(b"x" * 5000, content_type="audio/mpeg")

    with pytest.raises(PayloadTooLarge):
        provider.fetch_audio(httpserver.url_for("/media/big.mp3"))


# -- errors from the service -------------------------------------------------


def test_it_raises_auth_error_with_the_services_message_on_401(httpserver, provider):
    httpserver.expect_request(api("tasks")).respond_with_json(fail(401, "Invalid API key."), status=401)

    with pytest.raises(AuthError, match="Invalid API key.") as info:
        provider.ping()
    assert info.value.request_id == "req-2"


def test_it_raises_quota_exceeded_on_402(httpserver, provider):
    httpserver.expect_request(api("music/generate")).respond_with_json(fail(402, "Out of credits."), status=402)

    with pytest.raises(QuotaExceeded, match="Out of credits."):
        provider.generate(GenerateRequest(tags="pop"))


def test_it_treats_a_vendor_error_code_in_a_200_reply_as_an_error(httpserver, provider):
    httpserver.expect_request(api("music/generate")).respond_with_json(fail(1001, "Prompt rejected."))

    with pytest.raises(BadRequest, match="Prompt rejected."):
        provider.generate(GenerateRequest(tags="pop"))


def test_it_maps_an_http_like_code_in_a_200_reply_by_value(httpserver, provider):
    httpserver.expect_request(api("music/persona")).respond_with_json(fail(402, "No credits left."))

    with pytest.raises(QuotaExceeded):
        provider.create_persona(name="x", clip_id="c")


def test_it_turns_an_html_500_into_a_readable_unavailable(httpserver, provider):
    httpserver.expect_request(api("music/generate")).respond_with_data(HTML_502, status=500, content_type="text/html")

    with pytest.raises(Unavailable) as info:
        provider.generate(GenerateRequest(tags="pop"))
    assert str(info.value) == "The music service answered 500 Internal Server Error."


def test_it_turns_an_empty_502_into_a_readable_unavailable(httpserver, provider):
    httpserver.expect_request(api("music/stem")).respond_with_data("", status=502)

    with pytest.raises(Unavailable, match="502 Bad Gateway"):
        provider.stem(clip_id="c")


@pytest.mark.parametrize(
    "body",
    ["", "{not json", HTML_502, "[1, 2]", '{"code": 0, "data": "nope"}', '{"data": {}}'],
    ids=["empty", "malformed", "html", "list", "data-not-object", "no-code"],
)
def test_it_raises_protocol_error_for_a_200_that_is_not_an_envelope(httpserver, provider, body):
    httpserver.expect_request(api("music/persona")).respond_with_data(body, status=200)

    with pytest.raises(ProtocolError, match="not a MusicMint response"):
        provider.create_persona(name="x", clip_id="c")


def test_it_raises_protocol_error_for_fields_of_the_wrong_type(httpserver, provider):
    httpserver.expect_request(api("music/upload")).respond_with_json(ok({"clipId": "c", "duration": "long"}))

    with pytest.raises(ProtocolError):
        provider.upload_url("https://files.example/me.wav")


def test_it_does_not_follow_a_redirect(httpserver, provider):
    httpserver.expect_request(api("music/generate")).respond_with_data(
        "", status=301, headers={"Location": "https://elsewhere.example/api/v1/music/generate"}
    )

    with pytest.raises(ProtocolError, match="check the service address"):
        provider.generate(GenerateRequest(tags="pop"))
    assert len(httpserver.log) == 1


# -- transport failures and retries ------------------------------------------


def test_it_retries_get_task_after_429_honouring_retry_after(httpserver, provider, sleep):
    httpserver.expect_oneshot_request(api(f"task/{TASK_ID}")).respond_with_json(
        fail(429, "Slow down."), status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request(api(f"task/{TASK_ID}")).respond_with_json(
        ok({"id": TASK_ID, "status": "processing", "created_at": 1})
    )

    assert provider.get_task(TASK_ID).status == "processing"
    assert sleep.calls == [pytest.approx(1.0)]
    assert len(httpserver.log) == 2


def test_it_does_not_retry_generate_on_429(httpserver, provider, sleep):
    httpserver.expect_request(api("music/generate")).respond_with_json(
        fail(429, "Slow down."), status=429, headers={"Retry-After": "2"}
    )

    with pytest.raises(RateLimited) as info:
        provider.generate(GenerateRequest(tags="pop"))
    assert info.value.retry_after_s == 2
    assert len(httpserver.log) == 1 and sleep.calls == []


def test_it_does_not_wait_when_retry_after_is_beyond_the_cap(httpserver, provider, sleep):
    httpserver.expect_request(api("tasks")).respond_with_json(
        fail(429, "Come back in an hour."), status=429, headers={"Retry-After": "3600"}
    )

    with pytest.raises(RateLimited):
        provider.list_tasks()
    assert len(httpserver.log) == 1 and sleep.calls == []


def test_it_gives_up_after_max_retries_on_a_persistent_503(httpserver, sleep):
    provider = RemoteProvider(base_url=httpserver.url_for("/"), api_key=KEY, max_retries=3, backoff_s=0.5, sleep=sleep)
    httpserver.expect_request(api("tasks")).respond_with_data("<h1>down</h1>", status=503, content_type="text/html")

    with pytest.raises(Unavailable, match="503 Service Unavailable"):
        provider.list_tasks()
    assert len(httpserver.log) == 4
    assert len(sleep.calls) == 3
    # exponential with ±50% jitter: 0.5·2ⁿ·[0.5, 1.5]
    for n, delay in enumerate(sleep.calls):
        assert 0.25 * 2**n <= delay <= 0.75 * 2**n


def test_it_raises_unavailable_when_the_service_is_too_slow(httpserver, sleep):
    provider = RemoteProvider(base_url=httpserver.url_for("/"), api_key=KEY, timeout_s=0.2, max_retries=0, sleep=sleep)

    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response(json.dumps(ok({"id": TASK_ID, "status": "queuing"})), content_type="application/json")

    httpserver.expect_request(api(f"task/{TASK_ID}")).respond_with_handler(slow)

    with pytest.raises(Unavailable, match="did not answer in time"):
        provider.get_task(TASK_ID)


def test_it_raises_unavailable_when_nothing_listens(sleep):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = RemoteProvider(base_url=f"http://127.0.0.1:{port}", api_key=KEY, max_retries=1, sleep=sleep)

    with pytest.raises(Unavailable, match=f"Could not reach the music service at 127.0.0.1:{port}"):
        provider.get_task(TASK_ID)
    assert len(sleep.calls) == 1


# -- the key stays secret ----------------------------------------------------


def test_the_key_never_appears_in_errors_or_logs(httpserver, provider, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(api("tasks")).respond_with_json(fail(401, f"Key {KEY} is revoked."), status=401)
    httpserver.expect_request(api("music/generate")).respond_with_data(f"<p>{KEY}</p>", status=500)
    errors: list[MusicApiError] = []
    for call in (
        provider.ping,
        lambda: provider.generate(GenerateRequest(tags="pop")),
        lambda: provider.fetch_audio(httpserver.url_for("/missing.mp3")),
    ):
        with pytest.raises(MusicApiError) as info:
            call()
        errors.append(info.value)

    assert str(errors[0]) == "Key [API key] is revoked."
    assert all(KEY not in str(e) and KEY not in repr(e) for e in errors)
    assert KEY not in caplog.text and KEY not in repr(provider)


def test_a_key_with_a_stray_newline_gives_auth_error_without_echoing_it(httpserver, sleep):
    provider = RemoteProvider(base_url=httpserver.url_for("/"), api_key=KEY + "\nx", sleep=sleep)

    with pytest.raises(AuthError) as info:
        provider.ping()
    assert KEY not in str(info.value)
    assert httpserver.log == []


# -- small parts -------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_s("7") == 7
    assert retry_after_s(None) is None and retry_after_s("soon") is None
    from email.utils import formatdate

    assert 25 < retry_after_s(formatdate(time.time() + 30, usegmt=True)) <= 30
    assert retry_after_s(formatdate(time.time() - 30, usegmt=True)) == 0


def test_it_refuses_a_base_url_that_is_not_http():
    with pytest.raises(ValueError):
        RemoteProvider(base_url="api.example.com", api_key=KEY)


def test_connect_reads_the_music_api_settings_and_guards_only_a_users_own_service(settings):
    settings.MUSIC_API_BASE_URL, settings.MUSIC_API_ALLOW_PRIVATE = "https://api.example.com", False
    settings.MUSIC_API_TIMEOUT_S, settings.MUSIC_API_STEM_TIMEOUT_S = 12.0, 300.0

    operators = RemoteProvider.connect(owner=None, base_url="https://api.example.com/api/v1/", api_key=KEY)
    users_own = RemoteProvider.connect(owner=None, base_url="https://music.example.org", api_key=KEY)

    assert operators.base_url == "https://api.example.com"
    assert (operators.timeout_s, operators.stem_timeout_s) == (12.0, 300.0)
    with pytest.raises(ProtocolError, match="will not fetch"):
        users_own.fetch_audio("http://127.0.0.1/secret.mp3")
