"""The dashboard's progress line for a song: its stage while it is made, then its players; 286 stops the polling."""

import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _song(user, **fields):
    return Generation.objects.create(owner=user, mode="custom", title="Rivers", prompt="[Verse]\nla la", tags="pop",
                                     **fields)


def test_a_queued_song_says_what_it_waits_for_and_keeps_being_polled(client, user):
    response = client.get(f"/generations/{_song(user).id}/progress/")
    assert response.status_code == 200
    assert "Queued — waiting for the engine…" in response.content.decode()


def test_a_finished_song_sends_its_players_and_stops_the_polling(client, user):
    song = _song(user, status="completed")
    tracks = [make_clip(user, title=f"Rivers ({v})", samples=sung_line(seconds=3), kind=Clip.Kind.GENERATED,
                        generation=song, remote_id=f"t-{v}") for v in "AB"]
    response = client.get(f"/generations/{song.id}/progress/")
    body = response.content.decode()
    assert response.status_code == 286 and body.count('class="player"') == 2
    assert all(f"/clips/{t.id}/audio" in body for t in tracks) and "aria-busy" not in body


def test_a_failed_song_says_why_and_another_users_song_is_404(client, user):
    song = _song(user, status="failed", error="The engine stopped while making this song. Please try again.")
    response = client.get(f"/generations/{song.id}/progress/")
    assert response.status_code == 286 and "Please try again." in response.content.decode()
    client.force_login(UserFactory())
    assert client.get(f"/generations/{song.id}/progress/").status_code == 404
