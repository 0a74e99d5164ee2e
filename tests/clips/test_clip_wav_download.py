"""Download a clip as WAV: the stored audio (often MP3) transcoded to 16-bit PCM, named after the clip."""

import io

import numpy as np
import pytest
import soundfile
from factories import UserFactory, mp3_bytes, tone

from personastudio.clips import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def mp3_clip():
    left, right = tone(seconds=3, hz=440, sr=44100), tone(seconds=3, hz=660, sr=44100)
    data = mp3_bytes(np.stack([left, right], axis=1), sr=44100)
    return services.clip_create(owner=UserFactory(), title="Night song — take 2", data=data, filename="song.mp3")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_transcodes_the_clip_to_16_bit_wav_of_the_same_length(client, mp3_clip):
    client.force_login(mp3_clip.owner)
    response = client.get(f"/clips/{mp3_clip.id}/audio?download=1&format=wav")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "Night%20song%20%E2%80%94%20take%202.wav" in disposition
    info = soundfile.info(io.BytesIO(_body(response)))
    assert info.format == "WAV" and info.subtype == "PCM_16"
    assert info.samplerate == 44100 and info.channels == 2
    assert info.duration == pytest.approx(3.0, abs=0.1)


def test_the_wav_still_sounds_like_the_clip(client, mp3_clip):
    client.force_login(mp3_clip.owner)
    samples, sr = soundfile.read(io.BytesIO(_body(client.get(f"/clips/{mp3_clip.id}/audio?format=wav"))))
    # The left channel is the 440 Hz tone: its spectrum peaks there.
    spectrum = np.abs(np.fft.rfft(samples[sr // 2 : sr // 2 + sr, 0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)


def test_the_mp3_download_is_the_stored_file_under_the_clip_title(client, mp3_clip):
    client.force_login(mp3_clip.owner)
    response = client.get(f"/clips/{mp3_clip.id}/audio?download=1")
    assert _body(response) == mp3_clip.audio.open("rb").read()
    assert "take%202.mp3" in response["Content-Disposition"]


def test_the_clip_page_offers_mp3_and_wav(client, mp3_clip):
    client.force_login(mp3_clip.owner)
    body = client.get(f"/clips/{mp3_clip.id}/").content.decode()
    assert f'href="/clips/{mp3_clip.id}/audio?download=1" download>MP3</a>' in body
    assert f'href="/clips/{mp3_clip.id}/audio?download=1&amp;format=wav" download>WAV</a>' in body


def test_another_user_gets_404_and_nobody_gets_in(client, mp3_clip):
    client.force_login(UserFactory())
    assert client.get(f"/clips/{mp3_clip.id}/audio?download=1&format=wav").status_code == 404
    client.logout()
    assert client.get(f"/clips/{mp3_clip.id}/audio?download=1&format=wav").status_code in (302, 404)
