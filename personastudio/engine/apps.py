from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "personastudio.engine"
    label = "engine"
    verbose_name = "Built-in music engine"
