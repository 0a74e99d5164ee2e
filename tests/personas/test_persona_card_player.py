"""A persona card loads its clip's player only when asked: the personas page carries no waveform, and each
card has a link that fetches the player into the card (htmx) or, without JavaScript, opens the clip."""

import pytest
from factories import UserFactory

from personastudio.clips.models import Clip
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db


def test_the_personas_page_has_a_play_link_per_card_and_no_waveform(client):
    user = UserFactory()
    client.force_login(user)
    clips = [
        Clip.objects.create(
            owner=user,
            title=f"Take {n}",
            audio=f"clips/x/{n}.wav",
            duration_s=95,
            sample_rate=44100,
            channels=1,
            peaks=[0.654321] * 800,
        )
        for n in range(3)
    ]
    for n, clip in enumerate(clips):
        Persona.objects.create(owner=user, name=f"Singer {n}", source_clip=clip, status="complete")
    Persona.objects.create(owner=user, name="Orphan", source_clip=None, status="complete")
    body = client.get("/personas/").content.decode()
    assert "0.654321" not in body and '<figure class="player"' not in body and "<audio" not in body
    for clip in clips:
        assert (
            f'<a href="/clips/{clip.id}/" role="button" class="secondary outline" data-load-player data-on-demand\n'
            f'         hx-get="/clips/{clip.id}/player" hx-target="closest .player-on-demand"'
        ) in body
        assert f"Play “{clip.title}”" in body
    assert body.count("data-load-player") == 3 and "1:35" in body
