"""An upload that would decode to far more work than a clip is worth is refused next to the file field."""

import pytest
from audio_files import encoded
from factories import upload_file

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db


def test_many_channels_at_192_khz_in_a_small_flac_is_refused_with_a_sentence_and_the_title_kept(user_client, settings):
    settings.CLIP_MAX_DURATION_S = 6  # the attack's proportions: nearly the limit's length, 8 channels at 192 kHz
    data = encoded(fmt="flac", codec="flac", seconds=5, rate=192_000, channels=8)
    response = user_client.post(
        "/clips/upload/", {"title": "Quiet take", "audio": upload_file(data=data, name="q.flac")}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This file holds too much audio to read: 8 channels at 192 kHz for 5 seconds." in page
    assert 'value="Quiet take"' in page
    assert not Clip.objects.exists()


def test_a_sample_rate_over_the_limit_is_refused_with_a_sentence(user_client, settings):
    settings.UPLOAD_MAX_SAMPLE_RATE_HZ = 96_000
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=1, rate=192_000, channels=2, noise=True)
    response = user_client.post("/clips/upload/", {"title": "hi-res", "audio": upload_file(data=data)})
    assert response.status_code == 400
    assert "sample rate is 192 kHz; clips can be at most 96 kHz" in response.content.decode()
    assert not Clip.objects.exists()


def test_more_channels_than_the_limit_are_refused_with_a_sentence(user_client, settings):
    settings.UPLOAD_MAX_CHANNELS = 2
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=1, rate=48_000, channels=6, noise=True)
    response = user_client.post("/clips/upload/", {"title": "5.1", "audio": upload_file(data=data)})
    assert response.status_code == 400
    assert "This file has 6 audio channels; clips can have at most 2." in response.content.decode()


def test_a_24_bit_96_khz_stereo_daw_export_is_kept(user_client):
    data = encoded(fmt="wav", codec="pcm_s24le", seconds=2, rate=96_000, channels=2, noise=True, sample_format="s32")
    response = user_client.post("/clips/upload/", {"title": "mix", "audio": upload_file(data=data, name="mix.wav")})
    assert response.status_code == 302
    clip = Clip.objects.get()
    assert clip.sample_rate == 96_000 and clip.channels == 2
