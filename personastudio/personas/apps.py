from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "personastudio.personas"
    label = "personas"
