"""The API's quota counts (personastudio.quotas): what /api/v1/ started, less what the studio made
through the built-in provider (the studio charged it already), and the renders waiting for the worker."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from personastudio import quotas

from .models import EnginePersona, EngineStem, EngineTask

_UNFINISHED = (EngineTask.Status.QUEUING, EngineTask.Status.PROCESSING)


@quotas.counts_api(quotas.Kind.SONGS)
def api_songs(owner: AbstractBaseUser, since: datetime) -> quotas.Ledger:
    songs = EngineTask.objects.filter(owner=owner).exclude(pk__in=quotas.studio_engine_ids(owner, quotas.Kind.SONGS))
    return quotas.Ledger(
        starts=quotas.start_times(songs.filter(created_at__gt=since)),
        unfinished=songs.filter(status__in=_UNFINISHED).count(),
    )


@quotas.counts_api(quotas.Kind.PERSONAS)
def api_personas(owner: AbstractBaseUser, since: datetime) -> quotas.Ledger:
    studio = quotas.studio_engine_ids(owner, quotas.Kind.PERSONAS)
    made = EnginePersona.objects.filter(owner=owner, created_at__gt=since).exclude(pk__in=studio)
    return quotas.Ledger(starts=quotas.start_times(made), unfinished=0)


@quotas.counts_api(quotas.Kind.SEPARATIONS)
def api_stems(owner: AbstractBaseUser, since: datetime) -> quotas.Ledger:
    # A persona learned from a region was split first, and its engine persona learned from that split's vocals.
    studio_personas = quotas.studio_engine_ids(owner, quotas.Kind.PERSONAS)
    studio_voices = EnginePersona.objects.filter(owner=owner, pk__in=studio_personas).values("clip_id")
    made = (
        EngineStem.objects.filter(owner=owner, created_at__gt=since)
        .exclude(vocal_clip_id__in=quotas.studio_engine_ids(owner, quotas.Kind.SEPARATIONS))
        .exclude(vocal_clip_id__in=studio_voices)
    )
    return quotas.Ledger(starts=quotas.start_times(made), unfinished=0)


@quotas.counts_backlog
def renders_waiting(owner_id: int) -> int:
    return EngineTask.objects.filter(owner_id=owner_id, status__in=_UNFINISHED).count()
