import os

from django.apps import AppConfig
from django.conf import settings


class PersonaStudioConfig(AppConfig):
    """The project package as an app, for its project-wide management commands."""

    name = "personastudio"
    label = "personastudio"

    def ready(self) -> None:
        # Our private upload folder exists before anything checks it (Django's files.E001 refuses a missing one)
        # or spools an upload into it; on a fresh machine nothing else has made it yet.
        os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, mode=0o700, exist_ok=True)
