from django.tasks import task
from django.tasks.base import TASK_MAX_PRIORITY

from personastudio.background import enqueue_on_commit, in_language, on_lost

from . import services

# Copying a song's tracks takes seconds, a render minutes: a save is claimed before every render queued
# (django-tasks-db claims the highest priority first; renders queue at 0 or below, background.fair_priority).
SAVE_PRIORITY = TASK_MAX_PRIORITY


@task()
def save_tracks(generation_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.generation_save_tracks(generation_id=generation_id))


on_lost(save_tracks, services.generation_save_lost)


def save_tracks_soon(*, generation_id: str, language: str) -> None:
    """Queue the copy of a song's tracks ahead of every render, once the current transaction commits."""
    queued = save_tracks
    if queued.get_backend().supports_priority:
        queued = queued.using(priority=SAVE_PRIORITY)
    enqueue_on_commit(queued, generation_id, language=language)
