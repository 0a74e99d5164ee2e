from django.tasks import task

from personastudio.background import in_language, on_lost

from . import services


@task()
def save_tracks(generation_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.generation_save_tracks(generation_id=generation_id))


on_lost(save_tracks, services.generation_save_lost)
