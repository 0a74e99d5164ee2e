"""A corpus of malformed requests to every /api/v1/ endpoint: never a 5xx, never anything stored.

Generated here: wrong methods, bad keys, bodies that are not JSON objects, deep nesting, NaN and
huge numbers, wrong types, missing and extra fields, bad URLs, lone surrogates, broken multipart and
forged or dangling signed links. Nothing may connect anywhere: the URLs are refused before a
connection (the test blocks sockets and name lookups and fails on any attempt).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from factories import UserFactory, tone, wav_bytes

from personastudio.engine import services
from personastudio.engine.models import ApiKey, EngineClip, EnginePersona, EngineStem, EngineTask, EngineVoiceCheck

pytestmark = pytest.mark.django_db(transaction=True)

# A body over this many bytes must be a 413 (lowered from 5 MB so the corpus stays light).
BODY_LIMIT = 64 * 1024

JSON_ENDPOINTS = ("music/generate", "tasks", "music/persona", "music/upload", "music/stem")
GET_ENDPOINTS = ("task/0123456789abcdef01234567", "music/persona/phrase", "music/sheet", "music/parts")


@dataclass
class Case:
    kind: str  # a family of malformed input, for the summary
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    auth: bool = True
    envelope: bool = True  # an /api/v1/ JSON view (not a file or cover)
    allow_ok: bool = False  # a read-only request that may well succeed


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "xYzZy") -> tuple[bytes, str]:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8", "surrogatepass")
        out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def build_corpus(*, clip_id: str, other_clip_id: str, generated_id: str, dangling_id: str) -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # Wrong methods on every endpoint.
    for path in JSON_ENDPOINTS:
        for method in ("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            add(Case("wrong method", method, path, body=b"{}"))
    for path in GET_ENDPOINTS:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            add(Case("wrong method", method, path, body=b"{}"))

    # Bad keys.
    for header in (
        "",
        "Bearer",
        "Bearer ",
        "Bearer sk-mm-",
        "Bearer sk-mm-nope",
        "Basic c2stbW0tOg==",
        "bearer  sk-mm-" + "x" * 4000,
        "Bearer sk-mm-\u00e9\u00ff",
        "Token sk-mm-abc",
    ):
        for path in JSON_ENDPOINTS:
            add(Case("bad auth", "POST", path, body=b"{}", headers={"HTTP_AUTHORIZATION": header}, auth=False))
        for path in GET_ENDPOINTS:
            add(Case("bad auth", "GET", path, headers={"HTTP_AUTHORIZATION": header}, auth=False))

    # Bodies that are not a JSON object.
    garbage = [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"null",
        b"1",
        b'"text"',
        b"{",
        b"\x00" * 64,
        b'{"a": 1} trailing',
        "\ufeff{}".encode(),
        b'{"a": 1, "a": }',
        b"1" * 5000,
    ]
    for path in JSON_ENDPOINTS:
        for body in garbage:
            allow = path == "tasks" and body.startswith("\ufeff".encode())  # a BOM before {} is still {}
            add(Case("not a JSON object", "POST", path, body=body, allow_ok=allow))
        add(Case("not a JSON object", "POST", path, body=b"prompt=la", content_type="text/plain"))

    # Deep nesting.
    for path in JSON_ENDPOINTS:
        for body in (
            b"[" * 100_000,
            b'{"a":' * 100_000,
            b"[" * 5000 + b"]" * 5000,
            b'{"prompt": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        ):
            add(Case("deep nesting", "POST", path, body=body))

    # Over the size limit.
    for path in JSON_ENDPOINTS:
        add(Case("too large", "POST", path, body=_json({"prompt": "x" * (BODY_LIMIT + 10)})))

    # Non-finite and huge numbers in every numeric field.
    numbers = {
        "music/generate": ("retention_days", "continue_at"),
        "tasks": ("page", "page_size", "status"),
        "music/stem": ("vocal_start_s", "vocal_end_s"),
    }
    base = {
        "music/generate": {"prompt": "la", "continue_clip_id": clip_id},
        "tasks": {},
        "music/stem": {"clip_id": clip_id},
    }
    # The other bound of a stem's region makes it shorter than a second, whatever the number.
    other_bound = {"vocal_start_s": {"vocal_end_s": 0.5}, "vocal_end_s": {"vocal_start_s": 1.5}}
    raw_numbers = [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1e400",
        b"-1e400",
        b"1" + b"0" * 30,
        b"-1" + b"0" * 30,
        b"1e308",
        b"-1e308",
        b"9" * 5000,
        b"18446744073709551616",
        b"-9223372036854775809",
    ]
    for path, keys in numbers.items():
        for key in keys:
            start = {**base[path], **other_bound.get(key, {})}
            for raw in raw_numbers:
                body = _json(start)[:-1] + (b", " if start else b"") + f'"{key}": '.encode() + raw + b"}"
                add(Case("bad number", "POST", path, body=body))
    for raw in (b"NaN", b"Infinity", b"1e400"):  # a non-finite number anywhere refuses the request
        add(Case("bad number", "POST", "music/generate", body=b'{"prompt": "la", "tags": "pop", "x": ' + raw + b"}"))
        add(
            Case(
                "bad number",
                "POST",
                "music/persona",
                body=b'{"name": "n", "clip_id": "%s", "extra": [%s]}' % (clip_id.encode(), raw),
            )
        )

    # Wrong types, field by field.
    wrong = [None, True, 0, 1.5, -1, "", "x", [], ["a"], {}, {"a": 1}]
    fields = {
        "music/generate": (
            "prompt",
            "title",
            "tags",
            "gpt_description_prompt",
            "make_instrumental",
            "persona_id",
            "continue_clip_id",
            "continue_at",
            "callback_url",
            "retention_days",
        ),
        "tasks": ("page", "page_size", "status"),
        "music/persona": ("name", "clip_id", "verification_clip_id"),
        "music/upload": ("audio_url",),
        "music/stem": ("clip_id", "vocal_start_s", "vocal_end_s"),
    }
    for path, keys in fields.items():
        for key in keys:
            for value in wrong:
                if path == "music/generate" and value == "x" and key in ("prompt", "tags", "gpt_description_prompt"):
                    continue  # a right value: that would be a real song
                body = {key: value}
                if path == "music/stem" and key != "clip_id":
                    body.update(clip_id=clip_id, **other_bound[key])
                if path == "music/persona" and key == "verification_clip_id":
                    body.update(name="n", clip_id=clip_id)
                allow = path == "tasks" and key == "status" and value in (0, -1)  # a right value lists
                add(Case("wrong type", "POST", path, body=_json(body), allow_ok=allow))

    # Missing fields, extra fields, and ids that are not ours.
    for path, body in [
        ("music/persona", {}),
        ("music/persona", {"name": "n"}),
        ("music/persona", {"clip_id": clip_id}),
        ("music/persona", {"name": "x" * 101, "clip_id": clip_id}),
        ("music/persona", {"name": "   ", "clip_id": clip_id}),
        ("music/persona", {"name": "n", "clip_id": other_clip_id}),
        ("music/persona", {"name": "n", "clip_id": "nope"}),
        ("music/persona", {"name": "n", "clip_id": clip_id, "verification_clip_id": other_clip_id}),
        ("music/stem", {}),
        ("music/stem", {"clip_id": other_clip_id}),
        ("music/stem", {"clip_id": "x" * 5000}),
        ("music/stem", {"clip_id": clip_id, "vocal_start_s": 5, "vocal_end_s": 1}),
        ("music/stem", {"clip_id": clip_id, "vocal_start_s": -1}),
        ("music/stem", {"clip_id": clip_id, "vocal_start_s": 1.5, "vocal_end_s": 2.0, "extra": {"a": [1, 2]}}),
        ("music/upload", {}),
        ("music/upload", {"audio_url": None, "file": "x"}),
        ("music/upload", {"url": "x"}),
        ("music/generate", {"unknown": 1}),
        ("music/generate", {"prompt": "   "}),
        ("music/generate", {"prompt": "la", "gpt_description_prompt": "a song"}),
        ("music/generate", {"prompt": "x" * 3001}),
        ("music/generate", {"tags": "x" * 201}),
        ("music/generate", {"prompt": "la", "title": "x" * 81}),
        ("music/generate", {"gpt_description_prompt": "x" * 501}),
        ("music/generate", {"prompt": "la", "persona_id": "persona-nope"}),
        ("music/generate", {"prompt": "la", "continue_clip_id": other_clip_id, "continue_at": 1}),
        ("music/generate", {"prompt": "la", "continue_clip_id": clip_id, "continue_at": 0}),
        ("music/generate", {"prompt": "la", "continue_at": 3}),
        ("music/generate", {"prompt": "la", "retention_days": 0}),
        ("tasks", {"page": 0}),
        ("tasks", {"page_size": 0}),
        ("tasks", {"page_size": 101}),
        ("tasks", {"status": 9}),
    ]:
        add(Case("missing or extra fields", "POST", path, body=_json(body)))

    # Bad URLs: each refused before any connection.
    for url in [
        "http://[::1",
        "http://example.com:abc/",
        "http://example.com:99999/",
        "http://example.com:-1/",
        "http://[::1]:65536/",
        "http://[zz::1]/",
        "http://[::1]x/",
        "http://:80/",
        "http://",
        "https://",
        "//127.0.0.1/a.mp3",
        "ftp://example.com/a.mp3",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:audio/mpeg;base64,AAAA",
        "http://127.0.0.1/a.mp3",
        "http://127.0.0.1:0/",
        "http://localhost/a",
        "http://10.0.0.5/a.wav",
        "http://169.254.169.254/latest",
        "http://0.0.0.0/",
        "http://[fe80::1]/",
        "http://[::]/",
        "http://user:pass@127.0.0.1/",
        "http://127.0.0.1\x00.example.com/",
        "http://127.0.0.1/\r\nHost: evil",
        "http:/\\127.0.0.1/",
        "http://" + "a" * 300 + "/",
        "x" * 10000,
        "http://[::1]:abc/",
        "http://127.0.0.1:99999999999999999999/",
        " http://127.0.0.1/",
    ]:
        add(Case("bad url", "POST", "music/upload", body=_json({"audio_url": url})))

    # Lone surrogates (JSON escapes and raw CESU bytes) in every string field and in keys.
    string_fields = {
        "music/generate": (
            "prompt",
            "title",
            "tags",
            "gpt_description_prompt",
            "persona_id",
            "continue_clip_id",
            "callback_url",
        ),
        "music/persona": ("name", "clip_id", "verification_clip_id"),
        "music/upload": ("audio_url",),
        "music/stem": ("clip_id",),
    }
    for path, keys in string_fields.items():
        for key in keys:
            body = {"prompt": "la", "tags": "pop"} if path == "music/generate" else {}
            if path == "music/persona":
                body = {"name": "n", "clip_id": clip_id}
            for lone in ("\ud800", "\udfff", "a\udc80b"):
                add(Case("surrogate", "POST", path, body=_json({**body, key: f"la {lone} la"})))
            raw = _json({**body, key: "la SURROGATE la"}).replace(b"SURROGATE", b"\xed\xa0\x80")
            add(Case("surrogate", "POST", path, body=raw))
    for path in JSON_ENDPOINTS:
        add(Case("surrogate", "POST", path, body=_json({"\ud83d": 1, "prompt": "la", "tags": "pop"})))
        add(Case("surrogate", "POST", path, body=_json({"prompt": ["la", {"x": "\udbff"}], "tags": "pop"})))
    add(Case("surrogate", "POST", "music/generate", body=_json({"prompt": "la", "tags": "pop", "title": "\x00"})))

    # Broken multipart on upload (and multipart where JSON is expected).
    audio = wav_bytes(tone(seconds=1))
    multipart = [
        (b"garbage" * 100, "multipart/form-data; boundary=xYzZy"),
        (b"--xYzZy\r\ngarbage", "multipart/form-data; boundary=xYzZy"),
        (b"garbage", "multipart/form-data; boundary="),
        (b"garbage", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=" + "b" * 300),
        (b"garbage", "multipart/form-data; boundary=\u00e9\u00e9"),
        (
            b"--xYzZy\r\n" + b"X-Long: " + b"h" * 5000 + b"\r\n\r\ndata\r\n--xYzZy--\r\n",
            "multipart/form-data; boundary=xYzZy",
        ),
        (
            b'--xYzZy\r\nContent-Disposition: form-data; name="file"; filename="'
            + b"n" * 3000
            + b'"\r\n\r\nx\r\n--xYzZy--',
            "multipart/form-data; boundary=xYzZy",
        ),
        _multipart([("file", "..", audio)]),
        _multipart([("file", ".", audio)]),
        _multipart([("file", "", audio)]),
        _multipart([("file", None, b"not a file, a field")]),
        _multipart([("file", "../../etc/passwd", b"not audio")]),
        _multipart([("file", "v.wav", b"")]),
        _multipart([("file", "v.wav", b"RIFF\x00\x00\x00\x00WAVEfmt garbage")]),
        _multipart([("file", "v\ud800.wav", b"not audio")]),
        _multipart([("file", "v.wav\x00.mp3", b"\x00\x01")]),
        _multipart([("audio", "v.wav", audio)]),
        _multipart([("audio_url", None, b"http://127.0.0.1/a.mp3")]),
        _multipart([("f", None, b"x" * (BODY_LIMIT + 10))]),
        _multipart([(f"f{i}", None, b"x") for i in range(1100)]),
        _multipart([(f"file{i}", "a.wav", b"x") for i in range(110)]),
        (b"a=1&" * 1100, "application/x-www-form-urlencoded"),
        (b"file=abc", "application/x-www-form-urlencoded"),
        (b"%ZZ=%ZZ&\xff=\xfe", "application/x-www-form-urlencoded"),
    ]
    for body, content_type in multipart:
        add(Case("bad multipart", "POST", "music/upload", body=body, content_type=content_type))
    for path in ("music/generate", "music/stem", "music/persona", "tasks"):
        body, content_type = _multipart([("file", "..", audio)])
        add(Case("bad multipart", "POST", path, body=body, content_type=content_type))
        add(Case("bad multipart", "POST", path, body=b"garbage", content_type="multipart/form-data; boundary="))

    # Query strings and path parameters.
    for query in ("lang=xx", "lang=", "lang=%ED%A0%80", "lang=en&lang=zh&lang=" + "x" * 3000, "lang[]=en", "lang=%00"):
        add(Case("bad query", "GET", f"music/persona/phrase?{query}", allow_ok=query == "lang[]=en"))
    for task_id in ("nope", "x" * 5000, "%ED%A0%80", "%00", "..", "\u4e2d\u6587", "0" * 24 + "%20"):
        add(Case("bad path", "GET", f"task/{task_id}"))
    for query in (
        "",
        "format=midi",
        f"clip_id={clip_id}",
        f"clip_id={clip_id}&format=pdf",
        f"clip_id={clip_id}&format=midi",
        f"clip_id={other_clip_id}&format=midi",
        "clip_id=%ED%A0%80&format=midi",
        "clip_id=%00&format=midi",
        "clip_id=" + "x" * 5000 + "&format=musicxml",
        f"clip_id[]={clip_id}",
    ):
        add(Case("bad query", "GET", f"music/sheet?{query}"))
    for query in (
        "",
        f"clip_id={other_clip_id}",
        "clip_id=%ED%A0%80",
        "clip_id=%00",
        "clip_id=" + "x" * 5000,
        f"clip_id[]={clip_id}",
        f"clip_id={clip_id}&part=drums",
        f"clip_id={clip_id}&part=%ED%A0%80",
        f"clip_id={clip_id}&part=" + "x" * 5000,
    ):
        add(Case("bad query", "GET", f"music/parts?{query}"))
    add(Case("an upload has no stems", "GET", f"music/parts?clip_id={clip_id}", allow_ok=True))

    # Signed links: unsigned, forged, malformed, expired, and signed links to nothing.
    def signed(cid: str, kind: str, exp: int = 4102444800000) -> str:
        return f"files/{cid}/{kind}.mp3?exp={exp}&sig={services._file_signature(cid, kind, exp)}"

    files = [
        f"files/{clip_id}/audio.mp3",
        f"files/{clip_id}/audio.mp3?exp=1&sig=0",
        f"files/{clip_id}/audio.mp3?exp=abc&sig=abc",
        f"files/{clip_id}/audio.mp3?exp=&sig=",
        f"files/{clip_id}/audio.mp3?exp={10**30}&sig=00",
        f"files/{clip_id}/audio.mp3?exp=1&exp=2&sig=a&sig=b",
        signed(clip_id, "audio", exp=1000),
        signed(clip_id, "vocals"),
        signed(clip_id, "band"),
        signed(clip_id, "cover"),
        signed(clip_id, "..%2Faudio"),
        signed("nope", "audio"),
        signed(dangling_id, "audio"),
        signed(dangling_id, "vocals"),
        signed(generated_id, "vocals"),
        f"files/{clip_id}/audio.mp3?exp=9&sig=%ED%A0%80",
    ]
    for path in files:
        add(Case("bad signed link", "GET", path, auth=False, envelope=False))
        add(Case("bad signed link", "GET", path, auth=False, envelope=False, headers={"HTTP_RANGE": "bytes=5-2"}))
    for path in (
        f"covers/{generated_id}.svg",
        f"covers/{generated_id}.svg?exp=1&sig=0",
        f"covers/{generated_id}.svg?exp=4102444800000&sig=" + "0" * 32,
        f"covers/{clip_id}.svg",
        "covers/nope.svg",
        f"covers/{generated_id}.svg?exp=abc&sig=",
        "covers/%ED%A0%80.svg",
    ):
        add(Case("bad signed link", "GET", path, auth=False, envelope=False))
    return cases


def _send(client: Client, key: str, case: Case):
    extra = dict(case.headers)
    if case.auth:
        extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {key}")
    path = f"/api/v1/{case.path}"
    if case.body is None:
        return client.generic(case.method, path, **extra)
    return client.generic(case.method, path, data=case.body, content_type=case.content_type, **extra)


def _stored(media_root: Path) -> tuple:
    rows = tuple(
        model.objects.count() for model in (EngineClip, EngineTask, EnginePersona, EngineStem, EngineVoiceCheck, ApiKey)
    )
    from django_tasks_db.models import DBTaskResult

    files = (
        sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())
        if media_root.exists()
        else []
    )
    return rows + (DBTaskResult.objects.count(),), files


def _is_sentence(message: str) -> bool:
    return (
        isinstance(message, str)
        and len(message) >= 12
        and message.rstrip().endswith((".", "?", ")"))
        and "internal error" not in message
        and "Traceback" not in message
    )


def test_no_malformed_request_gets_a_5xx_or_stores_anything(settings, private_media, no_network):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    user, other = UserFactory(), UserFactory()
    key = services.key_create(user=user)
    clip = services.clip_import_bytes(owner=user, data=wav_bytes(tone(seconds=2)), filename="t.wav")
    theirs = services.clip_import_bytes(owner=other, data=wav_bytes(tone(seconds=2)), filename="t.wav")
    generated = EngineClip.objects.create(
        owner=user,
        source=EngineClip.Source.GENERATED,
        title="Secret title (A)",
        audio=clip.audio.name,
        expire_at=clip.expire_at,
    )
    dangling = EngineClip.objects.create(
        owner=user,
        source=EngineClip.Source.UPLOAD,
        title="gone",
        audio="engine/clips/none/none/audio.mp3",
        expire_at=clip.expire_at,
    )
    corpus = build_corpus(clip_id=clip.id, other_clip_id=theirs.id, generated_id=generated.id, dangling_id=dangling.id)
    client = Client(raise_request_exception=False)
    before = _stored(private_media)

    server_errors, wrong_shape, not_refused, leaks = Counter(), [], [], []
    for case in corpus:
        response = _send(client, key, case)
        status = response.status_code
        if status >= 500:
            server_errors[case.kind] += 1
            continue
        if case.envelope:
            if case.method == "HEAD":
                continue
            try:
                body = json.loads(response.content)
                ok = set(body) == {"code", "message", "request_id", "data"}
                ok = ok and body["code"] == (0 if status < 400 else status)
                ok = ok and (status < 400 or _is_sentence(body["message"]))
            except (ValueError, TypeError):
                ok = False
            if not ok:
                wrong_shape.append((case.kind, case.method, case.path[:60], status, response.content[:120]))
            elif status < 400 and not case.allow_ok:
                not_refused.append((case.kind, case.path[:40], case.body[:80] if case.body else None, status))
        elif status != 404:
            leaks.append((case.kind, case.path[:80], status))

    after = _stored(private_media)
    summary = (
        f"{len(corpus)} requests; 5xx by kind: {dict(server_errors)}; "
        f"wrong shape: {len(wrong_shape)}; accepted: {len(not_refused)}; links not 404: {len(leaks)}"
    )
    print(summary)
    assert not server_errors, summary
    assert not wrong_shape, wrong_shape[:10]
    assert not not_refused, not_refused[:10]
    assert not leaks, leaks
    assert after == before, "a malformed request stored something"
    assert not no_network, no_network
    assert len(corpus) >= 300
