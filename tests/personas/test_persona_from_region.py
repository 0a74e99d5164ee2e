"""Make a persona from a region of a clip: the region goes through `stem`, then the persona learns the vocals."""

import numpy as np
import pytest
from factories import UserFactory, make_clip, persona_form, sung_line

from personastudio.clips.models import Clip
from personastudio.contract.types import PersonaResult, StemResult, UploadResult
from personastudio.engine.models import EnginePersona, EngineStem
from personastudio.personas import services
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db(transaction=True)

SR = 22050


def _clip_with_silence(user, **fields):
    """6 s of silence, 16 s of singing (A3–A4), 6 s of silence: 28 s in all."""
    silence = np.zeros(6 * SR, np.float32)
    return make_clip(
        user, title="Long take", samples=np.concatenate([silence, sung_line(seconds=16), silence]), **fields
    )


def test_it_learns_a_persona_from_the_region_and_says_which_part(client, run_tasks):
    user = UserFactory()
    clip = _clip_with_silence(user)
    client.force_login(user)
    response = client.post(
        "/personas/new/",
        persona_form(client, {"name": "Middle", "clip": str(clip.id), "vocal_start_s": "5.5", "vocal_end_s": "22.5"}),
    )
    assert response["Location"].startswith("/personas/checks/")
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert (persona.region_start_s, persona.region_end_s) == (5.5, 22.5)
    assert persona.status == "complete", persona.error
    # The engine was asked for the stem of that region, and the persona learned from its vocals.
    stem = EngineStem.objects.get()
    assert (stem.vocal_start_s, stem.vocal_end_s) == (5.5, 22.5)
    assert EnginePersona.objects.get(pk=persona.remote_id).clip_id == stem.vocal_clip_id
    # Our own profile is measured on the region's slice of the source clip.
    assert persona.voice.voiced_s == pytest.approx(clip.voiced_s, abs=1.5)
    assert persona.voice.low_hz == pytest.approx(220, rel=0.12)
    assert persona.voice.high_hz == pytest.approx(440, rel=0.12)
    page = client.get(f"/personas/{persona.id}/").content.decode()
    assert 'learned from <span class="learned-region" data-learned-region>0:05.5–0:22.5</span> of' in page
    assert 'data-region-start="5.5" data-region-end="22.5"' in page
    clip_page = client.get(f"/clips/{clip.id}/").content.decode()
    assert "was learned from 0:05.5–0:22.5 of it" in clip_page


def test_a_persona_without_a_region_learns_from_the_whole_clip_as_before(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=16))
    client.force_login(user)
    client.post(
        "/personas/new/",
        persona_form(client, {"name": "Whole", "clip": str(clip.id), "vocal_start_s": "", "vocal_end_s": ""}),
    )
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete" and persona.region is None
    assert not EngineStem.objects.exists()


@pytest.mark.parametrize(
    "start, end, words",
    [
        ("6", "12", "this region is only 6.0 seconds long"),
        ("0", "5.9", "this region is only 5.9 seconds long"),
        ("0", "12", "This region has only"),  # long enough, but half of it is silence
        ("12", "40", "end the region at 0:28"),
        ("9", "3", "must end after it starts"),
    ],
)
def test_it_refuses_a_region_that_cannot_make_a_persona_beside_the_region(client, start, end, words):
    user = UserFactory()
    clip = _clip_with_silence(user)
    client.force_login(user)
    response = client.post(
        "/personas/new/",
        persona_form(client, {"name": "Short", "clip": str(clip.id), "vocal_start_s": start, "vocal_end_s": end}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    error = body.split('id="id_vocal_end_s_error"', 1)[1].split("</small>", 1)[0]
    assert words in error
    assert f'value="{start}"' in body and f'value="{end}"' in body and 'value="Short"' in body
    assert not Persona.objects.exists()


def test_the_form_is_filled_in_from_the_clip_pages_region(client):
    user = UserFactory()
    clip = _clip_with_silence(user)
    client.force_login(user)
    body = client.get(f"/personas/new/?clip={clip.id}&vocal_start_s=5.5&vocal_end_s=22.25").content.decode()
    assert f'value="{clip.id}" selected' in body
    assert 'name="vocal_start_s" value="5.5"' in body and 'name="vocal_end_s" value="22.25"' in body
    body = client.get(f"/personas/new/?clip={clip.id}&vocal_start_s=soon&vocal_end_s=inf").content.decode()
    assert 'name="vocal_start_s" value=' not in body and 'name="vocal_end_s" value=' not in body


def test_the_region_of_another_users_clip_is_not_offered(client):
    clip = _clip_with_silence(UserFactory())
    client.force_login(UserFactory())
    response = client.post(
        "/personas/new/",
        persona_form(client, {"name": "Thief", "clip": str(clip.id), "vocal_start_s": "5", "vocal_end_s": "22"}),
    )
    assert response.status_code == 400 and not Persona.objects.exists()


class _HostedWithoutStemClipIds:
    """A hosted service as the public reference describes it: `stem` gives only the vocal stem's URL."""

    name, base_url = "remote", "https://music.example.com"

    def __init__(self):
        self.calls = []

    def stem(self, *, clip_id, vocal_start_s=0.0, vocal_end_s=None):
        self.calls.append(("stem", clip_id, vocal_start_s, vocal_end_s))
        return StemResult(
            id="stem-1",
            source_clip_id=clip_id,
            status="complete",
            vocal_audio_url="https://cdn.example.com/stem-1.mp3",
            vocal_start_s=vocal_start_s,
            vocal_end_s=vocal_end_s,
        )

    def upload_url(self, audio_url):
        self.calls.append(("upload", audio_url))
        return UploadResult(clip_id="clip-from-stem", audio_url=audio_url, duration_s=17, status=1)

    def create_persona(self, *, name, clip_id, verification_clip_id="", on_progress=None):
        self.calls.append(("persona", clip_id))
        return PersonaResult(persona_id="persona-9", status="complete")


def test_a_stem_without_a_clip_id_is_uploaded_before_the_persona_is_made(monkeypatch):
    user = UserFactory()
    clip = _clip_with_silence(user, provider="remote", provider_url="https://music.example.com", remote_id="clip-1")
    provider = _HostedWithoutStemClipIds()
    monkeypatch.setattr(services, "provider_for", lambda owner: provider)
    persona = Persona.objects.create(owner=user, name="Hosted", source_clip=clip, region_start_s=5, region_end_s=22)
    services.persona_learn(persona_id=str(persona.pk))
    persona.refresh_from_db()
    assert persona.status == "complete", persona.error
    assert provider.calls == [
        ("stem", "clip-1", 5, 22),
        ("upload", "https://cdn.example.com/stem-1.mp3"),
        ("persona", "clip-from-stem"),
    ]
    assert persona.remote_id == "persona-9" and persona.voice.voiced_s > 12


def test_a_deleted_source_clip_fails_the_persona_with_a_sentence():
    user = UserFactory()
    clip = _clip_with_silence(user)
    persona = Persona.objects.create(owner=user, name="Orphan", source_clip=clip, region_start_s=5, region_end_s=22)
    Clip.objects.filter(pk=clip.pk).delete()
    services.persona_learn(persona_id=str(persona.pk))
    persona.refresh_from_db()
    assert persona.status == "failed" and "has been deleted" in persona.error


def test_the_range_is_measured_on_the_voice_not_on_the_band_under_it(client, run_tasks):
    from synth import tone

    user = UserFactory()
    voice = sung_line(seconds=24, low_hz=220, high_hz=440)
    bar = np.concatenate([tone(seconds=0.25, hz=110, amplitude=0.4), tone(seconds=0.25, hz=82.4, amplitude=0.4)])
    clip = make_clip(user, title="With bass", samples=voice + np.tile(bar, 50)[: len(voice)])
    client.force_login(user)
    response = client.post(
        "/personas/new/",
        persona_form(client, {"name": "Over bass", "clip": str(clip.id), "vocal_start_s": "1", "vocal_end_s": "23"}),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    run_tasks()
    persona = Persona.objects.get(owner=user)
    assert persona.status == "complete", persona.error
    assert persona.voice.low_hz == pytest.approx(220, rel=0.12)
    assert persona.voice.high_hz == pytest.approx(440, rel=0.12)
