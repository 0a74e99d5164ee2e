from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "personastudio.generations"
    label = "generations"

    def ready(self) -> None:
        # A provider that renders in our own worker tells us there how far a song is and when it is done.
        from personastudio.providers import registry

        from . import quota_counts, services  # noqa: F401  quota_counts registers the song quota's counters

        registry.listen(on_progress=services.generation_progress, on_end=services.generation_task_ended)
