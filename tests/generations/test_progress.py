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
    return Generation.objects.create(
        owner=user, mode="custom", title="Rivers", prompt="[Verse]\nla la", tags="pop", **fields
    )


def test_a_queued_song_says_what_it_waits_for_and_keeps_being_polled(client, user):
    response = client.get(f"/generations/{_song(user).id}/progress/")
    assert response.status_code == 200
    assert "Queued — waiting for the engine…" in response.content.decode()


def test_a_finished_song_sends_its_players_and_stops_the_polling(client, user):
    song = _song(user, status="completed")
    tracks = [
        make_clip(
            user,
            title=f"Rivers ({v})",
            samples=sung_line(seconds=3),
            kind=Clip.Kind.GENERATED,
            generation=song,
            remote_id=f"t-{v}",
        )
        for v in "AB"
    ]
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


FIGURES = {"fraction": 0.42, "stage": "singing", "done": 2, "total": 12, "variant": 0, "variants": 2}


@pytest.mark.parametrize("address", ["/generations/{id}/status/", "/generations/{id}/progress/", "/"])
def test_a_song_the_engine_is_rendering_shows_a_determinate_bar_with_its_stage_in_words(client, user, address):
    song = _song(user, status="processing", provider="local", task_id="t-1", progress=FIGURES)
    response = client.get(address.format(id=song.id))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="42" max="100" data-progress="42"' in body
    assert "Track 1 of 2: singing line 3 of 12" in body and "(42 %)" in body


@pytest.mark.parametrize("address", ["/generations/{id}/status/", "/generations/{id}/progress/", "/"])
def test_a_hosted_song_without_figures_keeps_a_bar_that_only_moves(client, user, address):
    song = _song(user, status="processing", provider="remote", provider_url="https://music.example", task_id="t-2")
    body = client.get(address.format(id=song.id)).content.decode()
    assert "The music service is making your song…" in body
    assert "<progress aria-label=" in body and "data-progress=" not in body and 'max="100"' not in body


def test_once_the_tracks_are_being_kept_the_figures_give_way_to_the_saving_stage(client, user):
    song = _song(
        user,
        status="processing",
        provider="local",
        task_id="t-3",
        progress=FIGURES,
        provider_results=[{"id": "a", "audio_url": "/x.mp3"}],
    )
    body = client.get(f"/generations/{song.id}/status/").content.decode()
    assert "Saving your tracks…" in body and "data-progress=" not in body
