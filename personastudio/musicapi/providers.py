"""Which provider serves a user. One place decides, so views and services never do."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from .base import MusicProvider


def provider_for(user: AbstractBaseUser) -> MusicProvider:
    if settings.MUSIC_PROVIDER == "remote":
        from .remote import RemoteProvider

        return RemoteProvider.from_settings()
    from .local import LocalProvider

    return LocalProvider(owner=user)
