from django.tasks import task

from personastudio.background import on_lost

from . import services


@task()
def separate_clip(clip_id: str) -> None:
    services.clip_separate(clip_id=clip_id)


on_lost(separate_clip, services.clip_separation_lost)
