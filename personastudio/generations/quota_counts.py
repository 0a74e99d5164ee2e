"""The song quota's counts (personastudio.quotas): the account's songs in the studio."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from personastudio import quotas

from .models import Generation


@quotas.counts_studio(quotas.Kind.SONGS)
def studio_songs(
    owner: AbstractBaseUser, since: datetime, besides: models.Model | None, now: datetime
) -> quotas.Ledger:
    songs = quotas.without(Generation.objects.filter(owner=owner), besides)
    return quotas.Ledger(
        starts=quotas.start_times(songs.filter(created_at__gt=since)),
        unfinished=songs.exclude(status__in=Generation.FINAL).count(),
    )


@quotas.names_studio_engine_ids(quotas.Kind.SONGS)
def studio_song_task_ids(owner: AbstractBaseUser) -> models.QuerySet:
    return Generation.objects.filter(owner=owner).exclude(task_id="").values("task_id")
