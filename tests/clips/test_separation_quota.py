"""“Separate vocals” past the account's separation quota: a sentence on the clip page, the region kept, nothing queued."""

import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def songwriter(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_a_separation_past_the_hourly_quota_says_when_and_keeps_the_region(client, songwriter, settings):
    settings.SEPARATIONS_PER_HOUR = 1
    earlier = make_clip(songwriter, title="Earlier", separation_status=Clip.Separation.COMPLETE)
    make_clip(songwriter, title="Earlier vocals", kind=Clip.Kind.VOCALS, parent=earlier)
    clip = make_clip(songwriter, title="Next", samples=sung_line(seconds=8))
    response = client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "1.5", "vocal_end_s": "6.5"})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "You have separated vocals 1 time in the last hour, the most allowed; the next separation can start at "
    ) in page
    assert 'value="1.5"' in page and 'value="6.5"' in page
    clip.refresh_from_db()
    assert clip.separation_status == "" and clip.separation_start_s is None


def test_a_separation_past_the_in_flight_quota_waits_for_the_running_one(client, songwriter, settings):
    settings.SEPARATIONS_IN_FLIGHT = 1
    make_clip(songwriter, title="Running", separation_status=Clip.Separation.PROCESSING)
    clip = make_clip(songwriter, title="Next")
    response = client.post(f"/clips/{clip.id}/separate/", {})
    assert response.status_code == 400
    assert (
        "You have 1 separation running, the most at once; the next one can start as soon as it is done."
        in response.content.decode()
    )
    clip.refresh_from_db()
    assert clip.separation_status == ""


def test_a_separation_within_the_quota_is_queued(client, songwriter, settings):
    settings.SEPARATIONS_PER_HOUR, settings.SEPARATIONS_IN_FLIGHT = 1, 1
    clip = make_clip(songwriter, title="First")
    assert client.post(f"/clips/{clip.id}/separate/", {}).status_code == 302
    clip.refresh_from_db()
    assert clip.separation_status == "processing"
