"""The consent check: a persona of a real voice is made only when that voice reads the phrase."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from factories import UserFactory, make_clip, upload_file, wav_bytes
from voices import SR, need_speakers, phrase, sung

from personastudio.clips.models import Clip
from personastudio.personas.models import Persona, VoiceCheck

pytestmark = pytest.mark.django_db(transaction=True)


def _form(client, query=""):
    body = client.get(f"/personas/new/{query}").content.decode()
    token = re.search(r'name="phrase_token" value="([^"]+)"', body).group(1)
    submission = re.search(r'name="submission" value="([^"]+)"', body).group(1)
    return body, {"phrase_token": token, "submission": submission}


def _post(client, clip, reading=None, **fields):
    _body, hidden = _form(client, f"?clip={clip.id}")
    data = {"name": "Ada", "clip": str(clip.id), **hidden, **fields}
    if reading is not None:
        data["phrase_audio"] = upload_file(data=wav_bytes(reading, sr=SR), name="phrase.wav")
    return client.post("/personas/new/", data)


def test_an_upload_asks_for_the_phrase_and_keeps_what_was_typed(client):
    user = UserFactory()
    clip = make_clip(user, samples=sung("us2"))
    client.force_login(user)
    body, _hidden = _form(client, f"?clip={clip.id}")
    assert "data-consent-phrase" in body and "2026" in body
    response = _post(client, clip, name="Ada", vocal_start_s="2", vocal_end_s="24")
    assert response.status_code == 400
    page = response.content.decode()
    assert "needs that voice&#x27;s consent" in page or "needs that voice's consent" in page
    assert 'value="Ada"' in page and 'value="2"' in page and 'value="24"' in page
    assert not Persona.objects.exists() and not VoiceCheck.objects.exists()


def test_the_same_voice_reading_the_phrase_makes_a_checked_persona(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, title="Ada sings", samples=sung("us2"))
    client.force_login(user)
    response = _post(client, clip, reading=phrase("us2"))
    check = VoiceCheck.objects.get(owner=user)
    assert response["Location"] == f"/personas/checks/{check.id}/"
    assert check.recording.kind == Clip.Kind.VERIFICATION and "2026" in check.phrase
    assert "Checking that the phrase" in client.get(response["Location"]).content.decode()
    run_tasks()
    check.refresh_from_db()
    assert check.status == "passed", check.error
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error
    assert persona.consent == "checked" and persona.voice_check == check and check.similarity is not None
    # The poll goes on to the persona; its page and card say the voice was checked, with the date.
    status = client.get(f"/personas/checks/{check.id}/status/", HTTP_HX_REQUEST="true")
    assert status["HX-Redirect"] == f"/personas/{persona.id}/"
    day = timezone.localdate().strftime("%Y")
    for url in (f"/personas/{persona.id}/", "/personas/"):
        page = client.get(url).content.decode()
        assert 'data-consent="checked"' in page and "voice checked" in page and day in page
    # The recording is not offered as a persona's clip.
    assert str(check.recording_id) not in client.get("/personas/new/").content.decode()


def test_another_voice_is_refused_in_plain_words_and_the_retry_keeps_name_and_region(client, run_tasks):
    need_speakers("us2", "us3")
    user = UserFactory()
    clip = make_clip(user, title="My take", samples=sung("us2"))
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    _post(client, clip, reading=phrase("us3"), name="借来的声音", vocal_start_s="1", vocal_end_s="25")
    run_tasks()
    check = VoiceCheck.objects.get(owner=user)
    assert check.status == "refused" and check.similarity is not None
    assert not Persona.objects.exists()
    # Someone else's voice is not kept.
    assert check.recording is None and not Clip.objects.filter(kind=Clip.Kind.VERIFICATION).exists()
    page = client.get(f"/personas/checks/{check.id}/").content.decode()
    assert "data-check-error" in page and "My take" in page and "没有" in page
    retry = client.get(f"/personas/new/?retry={check.id}").content.decode()
    assert 'value="借来的声音"' in retry and f'value="{clip.id}" selected' in retry
    assert 'value="1"' in retry and 'value="25"' in retry


def test_a_generated_track_needs_no_check(client, run_tasks):
    from personastudio.generations.models import Generation

    user = UserFactory()
    song = Generation.objects.create(owner=user, title="Made here", tags="pop", prompt="la la")
    track = make_clip(user, title="Made here (A)", samples=sung("us2"), kind=Clip.Kind.GENERATED, generation=song)
    client.force_login(user)
    form, _hidden = _form(client, f"?clip={track.id}")
    assert re.search(rf'<option value="{track.id}"(?![^>]*data-needs-voice-check)[^>]*selected', form)
    response = _post(client, track)
    persona = Persona.objects.get(owner=user)
    assert response["Location"] == f"/personas/{persona.id}/"
    assert persona.consent == "generated" and not VoiceCheck.objects.exists()
    assert "made from a generated track" in client.get(f"/personas/{persona.id}/").content.decode()


def test_a_persona_made_before_checks_says_not_checked(client):
    user = UserFactory()
    persona = Persona.objects.create(owner=user, name="Old", status="complete")
    client.force_login(user)
    assert 'data-consent="unchecked"' in client.get(f"/personas/{persona.id}/").content.decode()


def test_the_hourly_limit_says_when_to_try_again(client, settings):
    settings.VOICE_CHECKS_PER_HOUR = 3
    user = UserFactory()
    clip = make_clip(user, samples=sung("us2"))
    for _ in range(3):
        VoiceCheck.objects.create(owner=user, name="x", source_clip=clip, phrase="p", status="refused")
    client.force_login(user)
    response = _post(client, clip, reading=phrase("us2"), name="Patient")
    assert response.status_code == 400
    page = response.content.decode()
    assert "3 times in the last hour" in page and "try again at" in page and 'value="Patient"' in page
    # An hour later the limit has moved on.
    VoiceCheck.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert _post(client, clip, reading=phrase("us2")).status_code == 302


def test_another_users_check_is_404_and_does_not_fill_in_the_form(client):
    owner, other = UserFactory(), UserFactory()
    clip = make_clip(owner, samples=sung("us2"))
    check = VoiceCheck.objects.create(owner=owner, name="Secret name", source_clip=clip, phrase="p", status="refused")
    client.force_login(other)
    assert client.get(f"/personas/checks/{check.id}/").status_code == 404
    assert client.get(f"/personas/checks/{check.id}/status/").status_code == 404
    assert "Secret name" not in client.get(f"/personas/new/?retry={check.id}").content.decode()


def test_deleting_a_persona_deletes_its_consent_recording(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung("us2"))
    client.force_login(user)
    _post(client, clip, reading=phrase("us2"))
    run_tasks()
    persona = Persona.objects.get(owner=user)
    recording = persona.voice_check.recording
    path = recording.audio.path
    client.post(f"/personas/{persona.id}/delete/")
    assert not Clip.objects.filter(pk=recording.pk).exists()
    import os

    assert not os.path.exists(path)
    assert VoiceCheck.objects.filter(pk=persona.voice_check_id).exists()  # the record of what was agreed stays
