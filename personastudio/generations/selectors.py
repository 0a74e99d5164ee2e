"""Reads of songs: the library with its filters, and the dashboard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from personastudio.clips.models import Clip
from personastudio.personas.models import Persona

from .models import Generation

#: A song's line names its persona (name and link): the voice profile and notes stay in the database.
SINGER_DEFERRED = ("persona__profile", "persona__description", "persona__error")
#: A persona's line on the dashboard shows its name, avatar and voice type (from the profile).
PERSONA_LINE_DEFERRED = ("description", "error")
#: The dashboard's clips show title, kind and length: not the 800-value waveform (as clips.selectors).
CLIP_LINE_DEFERRED = ("peaks", "separation_error")


@dataclass(frozen=True)
class LibraryFilters:
    """The songs library's filters as the address gives them (?q=, ?status=, ?persona=, ?fav=1),
    each one dropped when it names nothing of the owner's."""

    q: str = ""
    status: str = ""
    persona: Persona | None = None
    favourites: bool = False

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.persona or self.favourites)


def library_filters(*, owner: AbstractBaseUser, params) -> LibraryFilters:
    status = params.get("status", "")
    try:
        persona = owner_personas(owner=owner).filter(pk=uuid.UUID(params.get("persona", ""))).first()
    except ValueError:
        persona = None
    return LibraryFilters(
        q=params.get("q", "").strip(),
        status=status if status in Generation.Status.values else "",
        persona=persona,
        favourites=params.get("fav") == "1",
    )


def owner_personas(*, owner: AbstractBaseUser) -> QuerySet[Persona]:
    return Persona.objects.filter(owner=owner).order_by("name")


def song_library(*, owner: AbstractBaseUser, filters: LibraryFilters = LibraryFilters()) -> QuerySet[Generation]:
    """Every word of `q` must appear in the title, lyrics (written or sung), tags or description; the other
    filters narrow. Newest first, with the first track's length."""
    songs = (
        Generation.objects.filter(owner=owner)
        .select_related("persona")
        .defer(*Generation.LIST_DEFERRED, *SINGER_DEFERRED)
        .annotate(
            first_track_s=Subquery(
                Clip.objects.filter(generation=OuterRef("pk")).order_by("title").values("duration_s")[:1]
            ),
            has_favourite=Exists(Clip.objects.filter(generation=OuterRef("pk"), favourite=True)),
        )
    )
    for word in filters.q.split():
        songs = songs.filter(
            Q(title__icontains=word)
            | Q(prompt__icontains=word)
            | Q(tags__icontains=word)
            | Q(gpt_description_prompt__icontains=word)
            | Q(provider_results__0__prompt__icontains=word)
            | Q(provider_results__1__prompt__icontains=word)
        )
    if filters.persona is not None:
        songs = songs.filter(persona=filters.persona)
    if filters.status:
        songs = songs.filter(status=filters.status)
    if filters.favourites:
        songs = songs.filter(has_favourite=True)
    return songs


def song_tracks(*, generation: Generation) -> QuerySet[Clip]:
    """A song's tracks for its page and its polled status, each with how many stems it has (`stem_count`) but
    not the stems: their players load when the listener opens them (clips:parts)."""
    return generation.tracks.order_by("title").annotate(stem_count=Count("parts"))


def owner_has_songs(*, owner: AbstractBaseUser) -> bool:
    return Generation.objects.filter(owner=owner).exists()


def dashboard(*, owner: AbstractBaseUser) -> dict:
    """What is in progress (each polls its own status), and the latest songs, personas and clips."""
    generations = Generation.objects.filter(owner=owner).select_related("persona").defer(*SINGER_DEFERRED)
    return {
        # Their stage line reads provider_results ("Saving your tracks…") and the error (a checking notice),
        # so only the lyrics stay behind.
        "in_progress": generations.filter(status__in=[Generation.Status.QUEUING, Generation.Status.PROCESSING]).defer(
            "prompt"
        )[:10],
        "songs": generations.filter(status=Generation.Status.COMPLETED).defer(*Generation.LIST_DEFERRED)[:5],
        "personas": Persona.objects.filter(owner=owner)
        .defer(*PERSONA_LINE_DEFERRED)
        .annotate(song_count=Count("generations"))[:5],
        "clips": Clip.objects.filter(owner=owner).defer(*CLIP_LINE_DEFERRED)[:5],
    }
