from django.tasks import task

from personastudio.background import in_language, on_lost

from . import services


@task()
def separate_clip(clip_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.clip_separate(clip_id=clip_id))


on_lost(separate_clip, services.clip_separation_lost)
