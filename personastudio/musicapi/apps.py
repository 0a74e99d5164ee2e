from django.apps import AppConfig


class MusicapiConfig(AppConfig):
    name = "personastudio.musicapi"
    label = "musicapi"
