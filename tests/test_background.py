"""The worker writes messages and titles in the language of the user who asked for the work."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from factories import UserFactory, make_clip, sung_line

from personastudio import background
from personastudio.contract.types import GenerateRequest
from personastudio.engine import services as engine_services
from personastudio.engine.models import EngineTask

pytestmark = pytest.mark.django_db(transaction=True)


def test_stems_of_a_separation_asked_for_in_chinese_get_chinese_titles(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=4), title="晚风")
    client.force_login(user)
    client.post(f"/clips/{clip.id}/separate/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    run_tasks()
    assert sorted(stem.title for stem in clip.stems.all()) == ["晚风 — 人声", "晚风 — 伴奏"]


def test_stems_of_a_separation_asked_for_in_english_get_english_titles(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=4), title="Evening wind")
    client.force_login(user)
    client.post(f"/clips/{clip.id}/separate/", HTTP_ACCEPT_LANGUAGE="en-US")
    run_tasks()
    assert sorted(stem.title for stem in clip.stems.all()) == ["Evening wind — instrumental", "Evening wind — vocals"]


def test_a_lost_task_fails_with_a_sentence_in_the_requesters_language(settings):
    with translation.override("zh-hans"):
        task = engine_services.task_create(owner=UserFactory(), request=GenerateRequest(tags="民谣"))
    DBTaskResult.objects.update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(hours=1),
        worker_ids=[f"dead-{n}" for n in range(settings.TASK_MAX_ATTEMPTS)],
    )
    EngineTask.objects.update(status="processing")
    assert translation.get_language() != "zh-hans"  # the reaper itself runs in the default language
    assert background.reap_stale_tasks() == (0, 1)
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.error == "引擎在生成这首歌时停止了。请再试一次。"
