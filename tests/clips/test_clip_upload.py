import pytest
from factories import mp3_bytes, sung_line, tone, upload_file, wav_bytes

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db


def test_it_keeps_an_uploaded_wav_with_its_measurements(user_client):
    response = user_client.post(
        "/clips/upload/", {"title": "Morning take", "audio": upload_file(sung_line(seconds=12))}
    )
    clip = Clip.objects.get(owner=user_client.user)
    assert response.status_code == 302 and response["Location"] == f"/clips/{clip.id}/"
    assert clip.title == "Morning take" and clip.kind == "upload"
    assert clip.duration_s == pytest.approx(12, abs=0.1)
    assert clip.sample_rate == 22050 and clip.channels == 1
    assert len(clip.peaks) == 800 and max(clip.peaks) > 0.1
    assert clip.voiced_s > 8


def test_it_keeps_an_mp3_and_names_it_after_the_file(user_client):
    user_client.post(
        "/clips/upload/", {"title": "", "audio": upload_file(data=mp3_bytes(tone(seconds=3)), name="demo.mp3")}
    )
    clip = Clip.objects.get(owner=user_client.user)
    assert clip.title == "demo" and clip.audio.name.endswith(".mp3")
    assert clip.duration_s == pytest.approx(3, abs=0.1)


@pytest.mark.parametrize(
    "data, sentence",
    [
        (b"%PDF-1.4 this is not audio at all" * 50, b"doesn"),
        (b"", b"empty"),
    ],
)
def test_it_refuses_a_file_that_is_not_audio_and_saves_nothing(user_client, data, sentence):
    response = user_client.post("/clips/upload/", {"title": "x", "audio": upload_file(data=data, name="notes.wav")})
    assert response.status_code == 400
    assert sentence in response.content
    assert not Clip.objects.exists()


def test_it_refuses_a_file_in_the_users_language(user_client):
    response = user_client.post(
        "/clips/upload/", {"title": "x", "audio": upload_file(data=b"not audio" * 50)}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert response.status_code == 400
    assert "这个文件不像是我们能读取的音频" in response.content.decode()


def test_it_refuses_a_truncated_wav(user_client):
    data = wav_bytes(tone(seconds=2))[:40]  # the header and nothing else
    response = user_client.post("/clips/upload/", {"title": "cut", "audio": upload_file(data=data)})
    assert response.status_code == 400
    assert not Clip.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(user_client, settings):
    settings.CLIP_MAX_UPLOAD_MB = 0
    response = user_client.post("/clips/upload/", {"title": "big", "audio": upload_file(tone(seconds=1))})
    assert response.status_code == 400
    assert b"larger than 0 MB" in response.content
    assert not Clip.objects.exists()


def test_it_refuses_audio_over_the_duration_limit(user_client, settings):
    settings.CLIP_MAX_DURATION_S = 5
    response = user_client.post("/clips/upload/", {"title": "long", "audio": upload_file(tone(seconds=8))})
    assert response.status_code == 400
    assert b"This audio is 8 seconds long; clips can be at most 5 seconds" in response.content
    assert not Clip.objects.exists()


def test_it_keeps_the_typed_title_when_the_file_is_refused(user_client):
    response = user_client.post(
        "/clips/upload/", {"title": "Keep me", "audio": upload_file(data=b"nope", name="a.mp3")}
    )
    assert b'value="Keep me"' in response.content
