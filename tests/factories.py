"""Factories and test audio. The audio is synthesized here: tones, and voice-like sung lines."""

from __future__ import annotations

import io

import factory
import numpy as np
from django.contrib.auth import get_user_model
from synth import SR, sung_line, tone  # noqa: F401  (re-exported for tests)

from personastudio.engine.dsp import audio_io

PASSWORD = "a-long-Test-passw0rd"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"singer{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def wav_bytes(samples: np.ndarray, *, sr: int = SR) -> bytes:
    return audio_io.encode_wav(samples, sr=sr)


def mp3_bytes(samples: np.ndarray, *, sr: int = SR) -> bytes:
    return audio_io.encode_mp3(samples, sr=sr)


def make_clip(owner, *, title: str = "My voice", samples: np.ndarray | None = None, **fields):
    """A clip stored the way an upload is (decoded, measured, kept privately)."""
    from personastudio.clips import services

    data = wav_bytes(sung_line() if samples is None else samples)
    return services.clip_create(owner=owner, title=title, data=data, filename=f"{title}.wav", **fields)


def upload_file(samples: np.ndarray | None = None, *, name: str = "voice.wav", data: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if data is None:
        data = wav_bytes(sung_line() if samples is None else samples)
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def log_in_browser(page, live_server):
    """A new user, logged in in a Playwright page on `live_server`, which then shows the home page as after a
    log-in. The session is the test client's (force_login), handed to the browser as its cookie: three page
    loads less than through the log-in form (0.5-1 s a test); the form itself is tested in tests/accounts/
    and visited by tests/browser/test_csp.py."""
    from django.conf import settings
    from django.test import Client

    user = UserFactory()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    return user


def consent_phrase_file(tmp_path, samples: np.ndarray | None = None):
    """A recording of the consent phrase by the voice of `sung_line` (another tune): the voice check
    passes it against clips of that voice. Real voices are in tests/voices.py."""
    path = tmp_path / "consent-phrase.wav"
    path.write_bytes(wav_bytes(sung_line(seconds=16, seed=5) if samples is None else samples))
    return path


def persona_form(client, data: dict, *, phrase: np.ndarray | None = None) -> dict:
    """The persona form's fields as a browser sends them: `data`, the signed phrase this page showed,
    and a recording of it by the voice of `sung_line` (or `phrase`)."""
    import re

    page = client.get("/personas/new/").content.decode()
    found = re.search(r'name="phrase_token" value="([^"]+)"', page)
    token = found.group(1) if found else ""  # a user with no clips of their own is shown no form
    recording = wav_bytes(sung_line(seconds=16, seed=5) if phrase is None else phrase)
    return {"phrase_token": token, "phrase_audio": upload_file(data=recording, name="phrase.wav"), **data}
