"""Reads of clips: the clips list."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from .models import Clip


def clip_search(*, owner: AbstractBaseUser, q: str = "", kind: str = "") -> QuerySet[Clip]:
    """The owner's clips, optionally of one kind and with the words of `q` in the title."""
    clips = Clip.objects.filter(owner=owner).select_related("parent", "generation")
    if kind in Clip.Kind.values:
        clips = clips.filter(kind=kind)
    for word in (q or "").split():
        clips = clips.filter(title__icontains=word)
    return clips


def owner_has_clips(*, owner: AbstractBaseUser) -> bool:
    return Clip.objects.filter(owner=owner).exists()
