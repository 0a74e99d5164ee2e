"""Fair queueing: one account's backlog does not hold another account's first song behind it."""

import json

import pytest
from django_tasks_db.models import DBTaskResult
from factories import UserFactory

from personastudio.engine import services
from personastudio.engine.models import EngineTask

pytestmark = pytest.mark.django_db(transaction=True)

SONG = {"tags": "pop", "title": "Short", "make_instrumental": True}


def _generate(client, user, title: str) -> str:
    key = services.key_create(user=user)
    response = client.post(
        "/api/v1/music/generate",
        data=json.dumps({**SONG, "title": title}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["task_id"]


def test_a_second_accounts_first_song_is_claimed_within_the_first_two(client):
    from conftest import _worker

    busy, newcomer = UserFactory(), UserFactory()
    backlog = [_generate(client, busy, f"Busy {n}") for n in range(10)]
    first_song = _generate(client, newcomer, "Newcomer")

    _worker(batch=True, max_tasks=2).run()

    claimed = set(DBTaskResult.objects.exclude(status="READY").values_list("id", flat=True))
    assert len(claimed) == 2
    newcomer_job = EngineTask.objects.get(pk=first_song).job_id
    assert newcomer_job and DBTaskResult.objects.get(pk=newcomer_job).pk in claimed
    # The busy account's own songs stay in the order it sent them.
    priorities = [DBTaskResult.objects.get(pk=EngineTask.objects.get(pk=t).job_id).priority for t in backlog]
    assert priorities == sorted(priorities, reverse=True) and priorities[0] == 0


def test_a_separation_queues_behind_its_own_accounts_work_only():
    from factories import make_clip

    from personastudio.clips import services as clip_services

    user = UserFactory()
    for _ in range(3):
        EngineTask.objects.create(owner=user, request={}, status=EngineTask.Status.QUEUING)
    EngineTask.objects.create(owner=UserFactory(), request={}, status=EngineTask.Status.QUEUING)
    clip_services.clip_request_separation(clip=make_clip(user))
    assert DBTaskResult.objects.get().priority == -3


def test_the_priority_stops_at_the_lowest_the_queue_takes():
    from personastudio.background import fair_priority

    user = UserFactory()
    EngineTask.objects.bulk_create([EngineTask(owner=user, request={}) for _ in range(150)])
    assert fair_priority(user.pk) == -100
