"""The separation quota's counts (personastudio.quotas): a separation leaves its vocal stem."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from personastudio import quotas

from .models import Clip


@quotas.counts_studio(quotas.Kind.SEPARATIONS)
def studio_separations(
    owner: AbstractBaseUser, since: datetime, besides: models.Model | None, now: datetime
) -> quotas.Ledger:
    # A separation leaves its vocal stem, stamped when it was kept; one still running counts as starting now.
    stems = Clip.objects.filter(owner=owner, kind=Clip.Kind.VOCALS, parent__isnull=False, created_at__gt=since)
    running = quotas.without(
        Clip.objects.filter(owner=owner, separation_status=Clip.Separation.PROCESSING), besides
    ).count()
    return quotas.Ledger(starts=quotas.start_times(stems) + [now] * running, unfinished=running)


@quotas.names_studio_engine_ids(quotas.Kind.SEPARATIONS)
def studio_stem_engine_ids(owner: AbstractBaseUser) -> models.QuerySet:
    # The studio's separations keep the engine's vocal clip id.
    return Clip.objects.filter(owner=owner).exclude(remote_id="").values("remote_id")


@quotas.counts_backlog
def clips_being_separated(owner_id: int) -> int:
    return Clip.objects.filter(owner_id=owner_id, separation_status=Clip.Separation.PROCESSING).count()
