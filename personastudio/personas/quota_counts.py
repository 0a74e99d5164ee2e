"""The persona quota's counts (personastudio.quotas): personas, and voice checks that become them."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from personastudio import quotas

from .models import Persona, VoiceCheck


@quotas.counts_studio(quotas.Kind.PERSONAS)
def studio_personas(
    owner: AbstractBaseUser, since: datetime, besides: models.Model | None, now: datetime
) -> quotas.Ledger:
    personas = quotas.without(Persona.objects.filter(owner=owner), besides)
    # A check still being compared becomes a persona when it passes: it is one already.
    checking = quotas.without(VoiceCheck.objects.filter(owner=owner, status=VoiceCheck.Status.PENDING), besides)
    return quotas.Ledger(
        starts=quotas.start_times(personas.filter(created_at__gt=since))
        + quotas.start_times(checking.filter(created_at__gt=since)),
        unfinished=personas.filter(status=Persona.Status.PENDING).count() + checking.count(),
    )


@quotas.names_studio_engine_ids(quotas.Kind.PERSONAS)
def studio_persona_engine_ids(owner: AbstractBaseUser) -> models.QuerySet:
    return Persona.objects.filter(owner=owner).exclude(remote_id="").values("remote_id")


@quotas.counts_backlog
def personas_being_learned(owner_id: int) -> int:
    return (
        Persona.objects.filter(owner_id=owner_id, status=Persona.Status.PENDING).count()
        + VoiceCheck.objects.filter(owner_id=owner_id, status=VoiceCheck.Status.PENDING).count()
    )
