"""Reads of personas: the personas list."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, QuerySet

from .models import Persona

#: What a persona card never shows: the notes, and of its clip the 800-value waveform (a card loads the
#: clip's player only when asked: clips:player) and the separation error; of its voice check the phrase.
PERSONA_CARD_DEFERRED = (
    "description",
    "source_clip__peaks",
    "source_clip__separation_error",
    "voice_check__phrase",
    "voice_check__error",
)


def persona_list(*, owner: AbstractBaseUser) -> QuerySet[Persona]:
    """The owner's personas with their clip, their voice check and how many songs each has sung."""
    return (
        Persona.objects.filter(owner=owner)
        .select_related("source_clip", "voice_check")
        .defer(*PERSONA_CARD_DEFERRED)
        .annotate(song_count=Count("generations"))
    )
