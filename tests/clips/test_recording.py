"""Saving a take from the in-browser recorder: a WebM/Opus upload kept as a clip of kind "recording"."""

import io

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from factories import SR, sung_line, upload_file

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db


def webm_opus_bytes(samples: np.ndarray, *, sr: int = SR) -> bytes:
    """What Chromium's MediaRecorder sends: Opus at 48 kHz in a WebM container."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        frame = av.AudioFrame.from_ndarray(
            (np.clip(samples, -1, 1) * 32767).astype(np.int16)[None, :], format="s16", layout="mono"
        )
        frame.sample_rate = sr
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def recording_file(seconds: float = 4) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "recording.webm", webm_opus_bytes(sung_line(seconds=seconds)), content_type="audio/webm;codecs=opus"
    )


def test_a_webm_opus_recording_becomes_a_clip_of_kind_recording(user_client):
    response = user_client.post(
        "/clips/upload/", {"title": "Kitchen take", "kind": "recording", "audio": recording_file(seconds=4)}
    )
    clip = Clip.objects.get(owner=user_client.user)
    assert response.status_code == 302 and response["Location"] == f"/clips/{clip.id}/"
    assert clip.kind == "recording" and clip.title == "Kitchen take"
    assert clip.audio.name.endswith(".webm")
    assert clip.duration_s == pytest.approx(4, abs=0.15)
    assert len(clip.peaks) == 800 and max(clip.peaks) > 0.1
    page = user_client.get(clip.get_absolute_url())
    assert b"Recording" in page.content


def test_the_recorder_gets_json_with_the_new_clip_page(user_client):
    response = user_client.post(
        "/clips/upload/",
        {"title": "", "kind": "recording", "audio": recording_file(2)},
        headers={"accept": "application/json"},
    )
    clip = Clip.objects.get(owner=user_client.user)
    assert response.status_code == 201
    assert response.json() == {"id": str(clip.id), "kind": "recording", "url": f"/clips/{clip.id}/"}
    assert clip.kind == "recording" and clip.title == "recording"


def test_the_recorder_gets_a_sentence_when_the_audio_is_refused(user_client):
    bad = SimpleUploadedFile("recording.webm", b"\x1aE\xdf\xa3 not really webm" * 20, content_type="audio/webm")
    response = user_client.post(
        "/clips/upload/", {"title": "x", "kind": "recording", "audio": bad}, headers={"accept": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert "audio" in body["errors"] and "doesn" in body["message"]
    assert not Clip.objects.exists()


@pytest.mark.parametrize("kind", ["generated", "vocals", "instrumental", "admin", "x" * 40])
def test_a_kind_the_songwriter_may_not_choose_is_refused(user_client, kind):
    response = user_client.post("/clips/upload/", {"title": "sneaky", "kind": kind, "audio": upload_file()})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not Clip.objects.exists()


def test_a_plain_upload_without_kind_is_still_an_upload(user_client):
    user_client.post("/clips/upload/", {"title": "Plain", "audio": upload_file()})
    assert Clip.objects.get(owner=user_client.user).kind == "upload"


def test_the_upload_page_offers_the_recorder_above_the_form(user_client):
    html = user_client.get("/clips/upload/").content.decode()
    assert 'id="recorder"' in html and "will ask to use the microphone" in html
    assert html.index('id="recorder"') < html.index('id="id_audio"')
    assert 'name="kind"' in html and 'type="hidden"' in html
