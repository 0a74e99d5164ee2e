from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "personastudio.engine"
    label = "engine"
    verbose_name = "Built-in music engine"

    def ready(self) -> None:
        from . import quota_counts  # noqa: F401  registers this app's counters with personastudio.quotas
