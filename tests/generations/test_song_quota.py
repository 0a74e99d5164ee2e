"""The song form past the account's song quota: a sentence saying when, the lyrics kept, nothing stored."""

import uuid

import pytest
from factories import UserFactory

from personastudio.engine.models import EngineTask
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db

LYRICS = "[Verse]\nRain on the window, a song I keep\n[Chorus]\nHold on, hold on"


@pytest.fixture
def songwriter(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _form(**fields):
    return {
        "mode": "custom",
        "title": "Window rain",
        "prompt": LYRICS,
        "tags": "folk",
        "submission": str(uuid.uuid4()),
        **fields,
    }


def test_a_song_past_the_hourly_quota_says_when_the_next_can_start_and_keeps_the_lyrics(client, songwriter, settings):
    settings.SONGS_PER_HOUR = 1
    Generation.objects.create(owner=songwriter, prompt="an earlier song", status="completed")
    response = client.post("/generations/new/", _form())
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have made 1 song in the last hour, the most allowed; the next one can start at " in page
    assert "Rain on the window, a song I keep" in page and 'value="Window rain"' in page
    assert Generation.objects.filter(owner=songwriter).count() == 1 and not EngineTask.objects.exists()


def test_a_song_past_the_in_flight_quota_waits_for_one_to_finish(client, songwriter, settings):
    settings.SONGS_IN_FLIGHT = 1
    Generation.objects.create(owner=songwriter, prompt="still rendering", status="processing")
    response = client.post("/generations/new/", _form())
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have 1 song being made, the most at once; the next one can start as soon as it is done." in page
    assert "Rain on the window, a song I keep" in page
    assert Generation.objects.filter(owner=songwriter).count() == 1


def test_the_last_song_of_the_quota_starts_and_a_double_click_of_it_is_not_refused(client, songwriter, settings):
    settings.SONGS_PER_HOUR = 1
    form = _form()
    first = client.post("/generations/new/", form)
    assert first.status_code == 302
    again = client.post("/generations/new/", form)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Generation.objects.filter(owner=songwriter).count() == 1 and EngineTask.objects.count() == 1


def test_another_accounts_songs_do_not_use_your_quota(client, songwriter, settings):
    settings.SONGS_PER_HOUR = 1
    Generation.objects.create(owner=UserFactory(), prompt="theirs", status="completed")
    assert client.post("/generations/new/", _form()).status_code == 302


def test_try_again_past_the_quota_says_when_and_makes_nothing(client, songwriter, settings):
    settings.SONGS_PER_HOUR = 1
    failed = Generation.objects.create(owner=songwriter, prompt=LYRICS, status="failed", error="boom")
    response = client.post(f"/generations/{failed.id}/retry/", {"submission": str(uuid.uuid4())}, follow=True)
    assert "You have made 1 song in the last hour" in response.content.decode()
    assert Generation.objects.filter(owner=songwriter).count() == 1
