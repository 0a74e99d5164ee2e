"""Polls are reads: a song in progress asks its provider (and writes its throttle timestamp) at most once per
GENERATION_POLL_INTERVAL_S, however often its page, its status fragment and the dashboard poll."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import UserFactory

from personastudio.generations import services
from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


@pytest.fixture
def song(client):
    user = UserFactory()
    client.force_login(user)
    song = services.generation_start(owner=user, mode="custom", title="Rivers", prompt="[Verse]\nla la la", tags="pop")
    assert song.task_id and song.status == Generation.Status.QUEUING  # no worker runs here: it stays queued
    return song


def _poll_everything(client, song, times):
    for _ in range(times):
        assert client.get(f"/generations/{song.id}/status/").status_code == 200
        assert client.get(f"/generations/{song.id}/progress/").status_code == 200


def test_polls_within_the_interval_write_nothing_after_the_first(client, song, settings):
    settings.GENERATION_POLL_INTERVAL_S = 60
    with CaptureQueriesContext(connection) as first:
        _poll_everything(client, song, 1)
    assert any("last_checked_at" in sql for sql in _writes(first.captured_queries))
    with CaptureQueriesContext(connection) as later:
        _poll_everything(client, song, 5)
    assert _writes(later.captured_queries) == []


def test_a_poll_after_the_interval_asks_again_and_writes_once(client, song, settings):
    settings.GENERATION_POLL_INTERVAL_S = 60
    long_ago = timezone.now() - timedelta(seconds=61)
    Generation.objects.filter(pk=song.pk).update(last_checked_at=long_ago)
    with CaptureQueriesContext(connection) as queries:
        _poll_everything(client, song, 3)
    stamps = [sql for sql in _writes(queries.captured_queries) if "last_checked_at" in sql]
    assert len(stamps) == 1
    assert Generation.objects.get(pk=song.pk).last_checked_at > long_ago
