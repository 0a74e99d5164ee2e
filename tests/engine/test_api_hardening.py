"""Issue 14: bad input to /api/v1/ gets a contract-shaped 4xx with a sentence, never a 500, and
nothing is left behind; covers are signed like the audio links. (The corpus is test_api_corpus.py.)"""

import json
import socket
from types import SimpleNamespace

import numpy as np
import pytest
from django.test import Client
from factories import UserFactory, tone, wav_bytes

from personastudio.contract.types import GenerateRequest
from personastudio.engine import services
from personastudio.engine.dsp import separate
from personastudio.engine.dsp.composer import compose, style_from_tags
from personastudio.engine.dsp.lyrics import parse_lyrics
from personastudio.engine.models import EngineClip, EngineTask

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api():
    client = Client(raise_request_exception=False)
    user = UserFactory()
    key = services.key_create(user=user)

    def call(path, body=b"{}", *, content_type="application/json", method="POST"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.generic(
            method, f"/api/v1/{path}", data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {key}"
        )

    call.user, call.client = user, client
    return call


def _refused(response, status=400):
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "request_id", "data"} and body["code"] == status
    assert body["message"].endswith(".") and "internal error" not in body["message"]
    return body["message"]


def _media_files(media_root):
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.fixture
def no_network(monkeypatch):
    """Any name lookup or connection fails the test: refusals must come before them."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"tried the network: {args[:2]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr("requests.get", refuse)


# --- malformed requests -------------------------------------------------------


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"garbage" * 50, "multipart/form-data; boundary=xYzZy"),
        (b"garbage", "multipart/form-data; boundary="),
        (
            b"--xYzZy\r\nX-Long: " + b"h" * 5000 + b"\r\n\r\ndata\r\n--xYzZy--\r\n",
            "multipart/form-data; boundary=xYzZy",
        ),
        (
            b'--xYzZy\r\nContent-Disposition: form-data; name="file"; filename=".."\r\n\r\nRIFF....\r\n--xYzZy--\r\n',
            "multipart/form-data; boundary=xYzZy",
        ),
    ],
)
def test_malformed_multipart_is_a_400_with_what_to_send(api, private_media, body, content_type):
    message = _refused(api("music/upload", body, content_type=content_type))
    assert "multipart" in message and "'file'" in message
    assert not EngineClip.objects.exists() and not _media_files(private_media)


def test_a_json_body_over_the_limit_is_413(api, settings):
    body = json.dumps({"prompt": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}).encode()
    assert "larger than 5 MB" in _refused(api("music/generate", body), status=413)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        json.dumps({"prompt": [[[[[[["la"]]]]]]]}).replace("[", "[" * 10).replace("]", "]" * 10).encode(),
    ],
)
def test_json_nested_too_deep_is_a_400(api, body):
    assert "nested too deeply" in _refused(api("music/generate", body))


def test_a_page_beyond_any_database_integer_is_a_400(api):
    assert "page must be a whole number from 1 to" in _refused(api("tasks", {"page": 10**30}))
    assert api("tasks", {"page": 1_000_000}).status_code == 200  # far past the last page: an empty page


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_numbers_are_refused_before_any_work(api, monkeypatch, number):
    clip = services.clip_import_bytes(owner=api.user, data=wav_bytes(tone(seconds=3)), filename="t.wav")

    def no_work(*args, **kwargs):
        raise AssertionError("separation started")

    monkeypatch.setattr(services, "_decode_field", no_work)
    monkeypatch.setattr(separate, "separate_vocals", no_work)  # imported where it runs
    response = api("music/stem", b'{"clip_id": "%s", "vocal_start_s": %s}' % (clip.id.encode(), number))
    assert "finite" in _refused(response) or "too large" in _refused(response)
    assert (
        "finite" in _refused(api("music/generate", b'{"prompt": "la", "retention_days": %s}' % number))
        or number == b"1e400"
    )
    with pytest.raises(Exception, match="finite"):  # the service refuses them too (the studio calls it)
        services.stem_create(owner=api.user, clip_id=clip.id, vocal_start_s=float("nan"))
    assert not EngineTask.objects.exists()


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "url, words",
    [("http://[::1", "square brackets"), ("http://example.com:abc/", "port"), ("http://example.com:99999/", "port")],
)
def test_malformed_audio_urls_are_a_400_with_a_sentence_before_any_lookup(
    api, settings, no_network, allow_private, url, words
):
    settings.ENGINE_UPLOAD_ALLOW_PRIVATE = allow_private
    message = _refused(api("music/upload", {"audio_url": url}))
    assert message.startswith("audio_url: ") and words in message


def test_the_address_check_reads_malformed_urls_as_sentences_not_value_errors(no_network):
    from personastudio.netguard import PrivateAddressError, require_public_http_url

    for url in (
        "http://[::1",
        "http://example.com:abc/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://" + "a" * 300 + "/",
        "http://127.0.0.1\x00.example.com/",
        "http://:80/",
    ):
        with pytest.raises(PrivateAddressError) as refused:
            require_public_http_url(url)
        assert str(refused.value).endswith(".")


@pytest.mark.parametrize("raw", [b'"la \\ud800 la"', b'"la \xed\xa0\x80 la"', b'"\\udfff"'])
def test_a_lone_surrogate_in_the_prompt_is_refused_at_the_edge(api, raw):
    message = _refused(api("music/generate", b'{"tags": "pop", "prompt": ' + raw + b"}"))
    assert "surrogate" in message or "UTF-8" in message
    assert "surrogate" in _refused(api("music/generate", {"tags": "pop", "title": "\udc80"}))  # any string
    assert not EngineTask.objects.exists()


def test_a_signed_link_to_a_stem_or_file_that_does_not_exist_is_404(api):
    clip = services.clip_import_bytes(owner=api.user, data=wav_bytes(tone(seconds=2)), filename="t.wav")
    client = api.client
    assert client.get(services.clip_file_path(clip)).status_code == 200
    for kind in ("vocals", "band"):  # an upload has no stems, yet the link is validly signed
        assert client.get(services.clip_file_path(clip, kind=kind)).status_code == 404
    clip.audio.storage.delete(clip.audio.name)  # the row outlived its file
    assert client.get(services.clip_file_path(clip)).status_code == 404


# --- nothing left behind ----------------------------------------------------------


def _fake_render(fail_on_call: int):
    calls = []

    def render_song(**kwargs):
        calls.append(kwargs)
        if len(calls) == fail_on_call:
            raise RuntimeError("the renderer broke")
        sr = 22050
        vocal = 0.1 * np.sin(np.arange(sr) * 2 * np.pi * 220 / sr).astype(np.float32)
        mix = np.stack([vocal, vocal], axis=1)
        score = compose(parse_lyrics("la la"), style_from_tags("pop", 0), seed=0)
        return SimpleNamespace(
            mix=mix, vocal=vocal, band=mix * 0.5, sr=sr, duration_s=1.0, style=None, score=score, stems={"drums": mix}
        )

    return render_song


def test_a_failed_render_removes_the_files_it_wrote(private_media, monkeypatch):
    from personastudio.engine import song

    user = UserFactory()
    task = services.task_create(owner=user, request=GenerateRequest(prompt="la la", tags="pop"))
    monkeypatch.setattr(song, "render_song", _fake_render(fail_on_call=2))  # variant A is kept, then B fails
    services.task_render(task_id=task.id)
    task.refresh_from_db()
    assert task.status == EngineTask.Status.FAILED and "try again" in task.error
    assert not EngineClip.objects.filter(task=task).exists()
    assert _media_files(private_media) == []


def test_a_variant_whose_row_cannot_be_saved_leaves_no_files(private_media, monkeypatch):
    """The files are written first, then the row: when the row cannot be saved (once, a lone surrogate in the
    lyric did that on SQLite; here the task is deleted while it renders, on any database) no file stays."""
    from personastudio.engine import song

    user = UserFactory()
    task = services.task_create(owner=user, request=GenerateRequest(prompt="la la", tags="pop"))
    render = _fake_render(fail_on_call=0)

    def render_then_lose_the_task(**kwargs):
        EngineTask.objects.filter(pk=task.pk).delete()
        return render(**kwargs)

    monkeypatch.setattr(song, "render_song", render_then_lose_the_task)
    services.task_render(task_id=task.id)
    assert not EngineTask.objects.filter(pk=task.pk).exists() and not EngineClip.objects.exists()
    assert _media_files(private_media) == []


def test_a_lost_render_and_a_rerun_remove_half_written_variants(private_media, monkeypatch):
    from personastudio.engine import song

    user = UserFactory()
    task = services.task_create(owner=user, request=GenerateRequest(prompt="la la", tags="pop"))
    monkeypatch.setattr(song, "render_song", _fake_render(fail_on_call=0))
    services._keep_variant(task, song.render_song(), variant=0, title="t", tags="pop", lyrics="la", score={})
    half_written = _media_files(private_media)
    assert len(half_written) == 3
    services.task_render(task_id=task.id)  # a worker picks the task up again: the old variant goes
    assert not any(path.exists() for path in half_written)
    assert len(_media_files(private_media)) == 8  # two variants: mix, vocal, band and the drums stem each
    other = services.task_create(owner=user, request=GenerateRequest(prompt="la", tags="pop"))
    services._keep_variant(other, song.render_song(), variant=0, title="t", tags="pop", lyrics="la", score={})
    services.task_lost(other.id)
    assert not EngineClip.objects.filter(task=other).exists() and len(_media_files(private_media)) == 8


def test_a_stem_that_fails_after_writing_removes_its_files(api, private_media, monkeypatch):
    from personastudio.engine.models import EngineStem

    clip = services.clip_import_bytes(owner=api.user, data=wav_bytes(tone(seconds=2)), filename="t.wav")
    before = _media_files(private_media)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(EngineStem.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.stem_create(owner=api.user, clip_id=clip.id)
    assert _media_files(private_media) == before and EngineClip.objects.count() == 1


# --- signed covers --------------------------------------------------------------------


def test_result_covers_are_signed_and_an_unsigned_or_forged_cover_is_404(api):
    task = EngineTask.objects.create(owner=api.user, request={"tags": "pop"}, status=EngineTask.Status.COMPLETED)
    source = services.clip_import_bytes(owner=api.user, data=wav_bytes(tone(seconds=2)), filename="t.wav")
    clip = EngineClip.objects.create(
        owner=api.user,
        source=EngineClip.Source.GENERATED,
        title="Private title (A)",
        audio=source.audio.name,
        task=task,
        expire_at=source.expire_at,
    )
    other = EngineClip.objects.create(
        owner=UserFactory(),
        source=EngineClip.Source.GENERATED,
        title="Theirs",
        audio=source.audio.name,
        expire_at=source.expire_at,
    )
    result = api(f"task/{task.id}", method="GET").json()["data"]["results"][0]
    assert result["image_url"].startswith(f"http://testserver/api/v1/covers/{clip.id}.svg?exp=")
    client = Client(raise_request_exception=False)
    signed = result["image_url"].removeprefix("http://testserver")
    cover = client.get(signed)
    assert cover.status_code == 200 and cover["Content-Type"] == "image/svg+xml"
    assert "Private title" in cover.content.decode()
    query = signed.split("?", 1)[1]
    exp = query.split("&")[0].removeprefix("exp=")
    for path in (
        f"/api/v1/covers/{clip.id}.svg",  # unsigned: the title is not for anyone with the id
        signed.replace("sig=", "sig=0"),
        signed.replace(f"exp={exp}", f"exp={int(exp) + 1}"),
        f"/api/v1/covers/{other.id}.svg?{query}",  # another clip's signature
        services.clip_file_path(clip).replace("/files/", "/covers/").replace("/audio.mp3", ".svg"),
    ):
        response = client.get(path)
        assert response.status_code == 404 and b"Private title" not in response.content
    expired_ms = 1_000
    expired = f"/api/v1/covers/{clip.id}.svg?exp={expired_ms}&sig={services._cover_signature(clip.id, expired_ms)}"
    assert client.get(expired).status_code == 404
