"""API calls are reads: an API key's last_used_at is written at most once per API_KEY_LAST_USED_EVERY_S."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from factories import UserFactory

from personastudio.engine import services
from personastudio.engine.models import ApiKey

pytestmark = pytest.mark.django_db


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


@pytest.fixture
def key():
    return services.key_create(user=UserFactory())


def _list_tasks(client, key):
    response = client.post(
        "/api/v1/tasks", data={}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200
    return response


def test_ten_api_calls_within_the_interval_write_last_used_at_once(client, key, settings):
    settings.API_KEY_LAST_USED_EVERY_S = 60
    with CaptureQueriesContext(connection) as queries:
        for _ in range(10):
            _list_tasks(client, key)
    writes = _writes(queries.captured_queries)
    assert len(writes) == 1 and "last_used_at" in writes[0]
    assert ApiKey.objects.get().last_used_at is not None


def test_a_call_after_the_interval_writes_last_used_at_again(client, key, settings):
    settings.API_KEY_LAST_USED_EVERY_S = 60
    _list_tasks(client, key)
    long_ago = timezone.now() - timedelta(seconds=61)
    ApiKey.objects.update(last_used_at=long_ago)
    with CaptureQueriesContext(connection) as queries:
        _list_tasks(client, key)
        _list_tasks(client, key)
    assert len(_writes(queries.captured_queries)) == 1
    assert ApiKey.objects.get().last_used_at > long_ago


def test_a_call_within_the_interval_leaves_last_used_at_as_it_was(client, key, settings):
    settings.API_KEY_LAST_USED_EVERY_S = 60
    recently = timezone.now() - timedelta(seconds=30)
    ApiKey.objects.update(last_used_at=recently)
    with CaptureQueriesContext(connection) as queries:
        _list_tasks(client, key)
    assert _writes(queries.captured_queries) == []
    assert ApiKey.objects.get().last_used_at == recently
