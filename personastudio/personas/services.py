"""Personas: a reusable singer learned from one of the user's clips."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.shortcuts import get_object_or_404

from personastudio.background import enqueue_on_commit
from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip
from personastudio.engine.dsp import profile
from personastudio.musicapi.errors import MusicApiError
from personastudio.musicapi.providers import provider_for

from .models import Persona

logger = logging.getLogger(__name__)

MSG_TOO_LITTLE_VOICE = (
    "This clip has only {voiced:.0f} seconds of singing or speech; a persona needs at least {minimum:.0f}. "
    "Use “Separate vocals” on the clip to isolate the voice, and pick a clip with 30 seconds or more of clear singing."
)


class PersonaRejected(Exception):
    """A persona we will not try to learn; the message is for the songwriter."""


def persona_get_for_user(*, user: AbstractBaseUser, persona_id) -> Persona:
    return get_object_or_404(Persona, id=persona_id, owner=user)


def persona_check_clip(*, clip: Clip) -> None:
    minimum = settings.ENGINE_MIN_VOICED_S
    if clip.voiced_s < minimum:
        raise PersonaRejected(MSG_TOO_LITTLE_VOICE.format(voiced=clip.voiced_s, minimum=minimum))


def persona_create(*, owner: AbstractBaseUser, name: str, clip: Clip) -> Persona:
    """Save the persona first, then learn it on the worker."""
    from .tasks import learn_persona

    persona_check_clip(clip=clip)
    with transaction.atomic():
        persona = Persona.objects.create(owner=owner, name=name.strip(), source_clip=clip)
        enqueue_on_commit(learn_persona, str(persona.pk))
    return persona


def persona_learn(*, persona_id: str) -> None:
    """The worker's part: the provider learns the voice; we measure its range ourselves for the page."""
    persona = Persona.objects.select_related("source_clip").filter(pk=persona_id, status=Persona.Status.PENDING).first()
    if persona is None:
        return
    clip = persona.source_clip
    try:
        if clip is None:
            raise PersonaRejected("The clip this persona was to learn from has been deleted.")
        provider = provider_for(persona.owner)
        result = provider.create_persona(name=persona.name,
                                         clip_id=clip_services.clip_remote_id(clip=clip, provider=provider))
        voice = profile.voice_profile(clip_services.clip_decode(clip=clip), sr=clip_services.ANALYSIS_SR)
    except (MusicApiError, PersonaRejected) as exc:
        _persona_failed(persona, getattr(exc, "message", str(exc)))
        return
    except Exception:
        logger.exception("Learning persona %s failed", persona_id)
        _persona_failed(persona, "Learning this persona failed unexpectedly. Please try again.")
        return
    status = Persona.Status.COMPLETE if result.status == "complete" else Persona.Status.FAILED
    Persona.objects.filter(pk=persona.pk).update(
        status=status, remote_id=result.persona_id, provider=provider.name, provider_url=provider.base_url,
        profile=voice.to_dict(),
        error="" if status == Persona.Status.COMPLETE else (result.error or "The music service could not learn this voice."),
    )


def _persona_failed(persona: Persona, message: str) -> None:
    Persona.objects.filter(pk=persona.pk).update(status=Persona.Status.FAILED, error=message)


def persona_lost(persona_id: str) -> None:
    Persona.objects.filter(pk=persona_id, status=Persona.Status.PENDING).update(
        status=Persona.Status.FAILED, error="Learning stopped unexpectedly. Please try again.")


def persona_update(*, persona: Persona, name: str, description: str) -> Persona:
    """Rename a persona or change its notes; what it learned stays as it is."""
    persona.name = name.strip()
    persona.description = description.strip()
    persona.save(update_fields=["name", "description"])
    return persona


def persona_dependents(*, persona: Persona) -> dict:
    """What deleting this persona touches: the songs that used it (they stay, without it)."""
    songs = persona.generations.all()
    return {"songs": songs, "song_count": songs.count()}


def persona_delete(*, persona: Persona) -> int:
    """Delete a persona; the songs it sang keep their tracks (Generation.persona is SET_NULL). Returns their count."""
    with transaction.atomic():
        count = persona.generations.count()
        persona.delete()
    return count
