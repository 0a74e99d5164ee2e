from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "personastudio.personas"
    label = "personas"

    def ready(self) -> None:
        from . import quota_counts  # noqa: F401  registers this app's counters with personastudio.quotas
