from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "personastudio.generations"
    label = "generations"
