from django.tasks import task

from personastudio.background import on_lost

from . import services


@task()
def save_tracks(generation_id: str) -> None:
    services.generation_save_tracks(generation_id=generation_id)


on_lost(save_tracks, services.generation_save_lost)
