from django.tasks import task

from personastudio.background import in_language, on_lost

from . import services


@task()
def learn_persona(persona_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.persona_learn(persona_id=persona_id))


on_lost(learn_persona, services.persona_lost)


@task()
def check_voice(check_id: str, language: str | None = None) -> None:
    in_language(language, lambda: services.voice_check_run(check_id=check_id))


on_lost(check_voice, services.voice_check_lost)
