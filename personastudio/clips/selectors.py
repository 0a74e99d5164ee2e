"""Reads of clips: the clips list."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from .models import Clip

#: Columns a list of clips never shows, left in the database: the 800-value waveform (a player loads it
#: with the clip) and why a separation failed.
CLIP_LIST_DEFERRED = ("peaks", "separation_error")


def clip_search(*, owner: AbstractBaseUser, q: str = "", kind: str = "") -> QuerySet[Clip]:
    """The owner's clips, optionally of one kind and with the words of `q` in the title, newest first,
    with the clip or song each came from (for its title: none of their heavy columns)."""
    song = Clip._meta.get_field("generation").related_model  # the songs app's model, without importing it
    clips = (
        Clip.objects.filter(owner=owner)
        .select_related("parent", "generation")
        .defer(
            *CLIP_LIST_DEFERRED,
            *(f"parent__{name}" for name in CLIP_LIST_DEFERRED),
            *(f"generation__{name}" for name in song.LIST_DEFERRED),
        )
    )
    if kind in Clip.Kind.values:
        clips = clips.filter(kind=kind)
    for word in (q or "").split():
        clips = clips.filter(title__icontains=word)
    return clips


def owner_has_clips(*, owner: AbstractBaseUser) -> bool:
    return Clip.objects.filter(owner=owner).exists()
