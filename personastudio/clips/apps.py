from django.apps import AppConfig


class ClipsConfig(AppConfig):
    name = "personastudio.clips"
    label = "clips"

    def ready(self) -> None:
        from . import quota_counts  # noqa: F401  registers this app's counters with personastudio.quotas
