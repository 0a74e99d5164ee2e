from django.apps import AppConfig


class ClipsConfig(AppConfig):
    name = "personastudio.clips"
    label = "clips"
