"""Reads of personas: the personas list."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, QuerySet

from .models import Persona


def persona_list(*, owner: AbstractBaseUser) -> QuerySet[Persona]:
    """The owner's personas with their clip, their voice check and how many songs each has sung."""
    return (Persona.objects.filter(owner=owner).select_related("source_clip", "voice_check")
            .annotate(song_count=Count("generations")))
