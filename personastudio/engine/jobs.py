"""The engine's long work, run by the task worker. Thin: each job calls one service."""

from django.tasks import task

from personastudio.background import in_language, on_lost

from . import services


@task()
def render_generation(task_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.task_render(task_id=task_id))


on_lost(render_generation, services.task_lost)
