"""The persona form past the account's persona quota: a sentence above the form, the name kept, nothing stored."""

import pytest
from factories import UserFactory, make_clip, persona_form, sung_line

from personastudio.clips.models import Clip
from personastudio.personas.models import Persona, VoiceCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def songwriter(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_a_persona_past_the_hourly_quota_says_when_and_keeps_the_name(client, songwriter, settings):
    settings.PERSONAS_PER_HOUR = 1
    clip = make_clip(songwriter, samples=sung_line(seconds=16))
    Persona.objects.create(owner=songwriter, name="Earlier", status="complete")
    response = client.post("/personas/new/", persona_form(client, {"name": "Second singer", "clip": str(clip.id)}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have started 1 persona in the last hour, the most allowed; the next one can start at " in page
    assert 'value="Second singer"' in page
    # Refused before anything was kept: no check, no recording of the phrase.
    assert not VoiceCheck.objects.exists()
    assert not Clip.objects.filter(kind=Clip.Kind.VERIFICATION).exists()
    assert Persona.objects.count() == 1


def test_a_persona_past_the_in_flight_quota_waits_for_one_to_be_learned(client, songwriter, settings):
    settings.PERSONAS_IN_FLIGHT = 1
    clip = make_clip(songwriter, samples=sung_line(seconds=16))
    VoiceCheck.objects.create(owner=songwriter, name="Being checked", source_clip=clip, phrase="p")
    response = client.post("/personas/new/", persona_form(client, {"name": "Next", "clip": str(clip.id)}))
    assert response.status_code == 400
    assert (
        "You have 1 persona being checked or learned, the most at once; the next one can start as soon as it is done."
    ) in response.content.decode()
    assert VoiceCheck.objects.count() == 1
