from django.tasks import task

from personastudio.background import on_lost

from . import services


@task()
def learn_persona(persona_id: str) -> None:
    services.persona_learn(persona_id=persona_id)


on_lost(learn_persona, services.persona_lost)
