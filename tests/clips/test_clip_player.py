"""A clip's player alone (clips:player), which a page fetches when someone asks to play: the owner gets the
waveform player, another user a 404, nobody logged in the log-in page."""

import pytest
from factories import UserFactory

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip():
    return Clip.objects.create(
        owner=UserFactory(),
        title="Summer take",
        audio="clips/x/take.wav",
        duration_s=31.5,
        sample_rate=44100,
        channels=1,
        peaks=[0.25, -0.25] * 400,
    )


def test_the_owner_gets_the_clips_waveform_player(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/player", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<figure class="player" data-kind="upload" data-id="{clip.id}"' in body
    assert f'src="/clips/{clip.id}/audio"' in body and "0.25" in body and "Summer take" in body


def test_another_user_gets_404_and_nobody_logged_in_the_log_in_page(client, clip):
    client.force_login(UserFactory())
    assert client.get(f"/clips/{clip.id}/player").status_code == 404
    client.logout()
    response = client.get(f"/clips/{clip.id}/player")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
