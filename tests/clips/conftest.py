"""A finished song made through the studio on the built-in engine, for the track export tests."""

import pytest
from factories import UserFactory

from personastudio.generations.models import Generation

LYRICS = "[Verse]\nMorning light on the window\n[Chorus]\n夜空中最亮的星\n"


@pytest.fixture
def song(client, run_tasks, settings):
    settings.GENERATION_POLL_INTERVAL_S = 0
    user = UserFactory()
    client.force_login(user)
    client.post("/generations/new/", {"mode": "custom", "title": "Morning", "prompt": LYRICS, "tags": "folk"})
    generation = Generation.objects.get(owner=user)
    run_tasks()
    client.get(f"/generations/{generation.id}/status/")
    run_tasks()
    assert client.get(f"/generations/{generation.id}/status/").status_code == 286
    return generation
