from django.apps import AppConfig


class PersonaStudioConfig(AppConfig):
    """The project package as an app, for its project-wide management commands."""

    name = "personastudio"
    label = "personastudio"
