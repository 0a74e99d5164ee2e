"""Personas: a reusable singer learned from one of the user's clips."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from personastudio.background import enqueue_on_commit
from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip
from personastudio.engine.dsp import profile, separate
from personastudio.musicapi.base import MusicProvider
from personastudio.musicapi.errors import MusicApiError
from personastudio.musicapi.providers import provider_for
from personastudio.submission import create_once

from .models import Persona

logger = logging.getLogger(__name__)

MSG_TOO_LITTLE_VOICE = _(
    "This clip has only {voiced:.0f} seconds of singing or speech; a persona needs at least {minimum:.0f}. "
    "Use “Separate vocals” on the clip to isolate the voice, and pick a clip with 30 seconds or more of clear singing."
)
MSG_REGION_TOO_SHORT = _(
    "A persona needs {minimum:.0f}–{ideal:.0f} seconds of clear voice; this region is only {seconds:.1f} seconds "
    "long. Make it at least {minimum:.0f} seconds."
)
MSG_REGION_TOO_LITTLE_VOICE = _(
    "This region has only {voiced:.0f} seconds of singing or speech; a persona needs at least {minimum:.0f}. "
    "Widen it to take in more of the singing, or choose a part with clear singing and little silence."
)
MSG_CLIP_DELETED = _("The clip this persona was to learn from has been deleted.")
MSG_LEARNING_FAILED = _("Learning this persona failed unexpectedly. Please try again.")
MSG_LEARNING_STOPPED = _("Learning stopped unexpectedly. Please try again.")
MSG_PROVIDER_REFUSED = _("The music service could not learn this voice.")
# 10–30 s of clean voice is what a persona needs; a longer region is allowed (more voice does no harm).
PERSONA_REGION_IDEAL_MAX_S = 30.0


class PersonaRejected(Exception):
    """A persona we will not try to learn; the message is for the songwriter, next to `field`."""

    def __init__(self, message, *, field: str = "clip"):
        super().__init__(message)
        self.field = field


def persona_get_for_user(*, user: AbstractBaseUser, persona_id) -> Persona:
    return get_object_or_404(Persona, id=persona_id, owner=user)


def persona_region_limits() -> dict:
    """What the clip page tells the songwriter (and region.js checks) before a persona is made from a region."""
    return {"min_s": settings.ENGINE_MIN_VOICED_S, "ideal_max_s": PERSONA_REGION_IDEAL_MAX_S}


def persona_check_clip(*, clip: Clip, vocal_start_s: float | None = None,
                       vocal_end_s: float | None = None) -> clip_services.Region | None:
    """Will this clip (or this region of it) do for a persona? Returns the region, None for the whole clip."""
    minimum = settings.ENGINE_MIN_VOICED_S
    try:
        region = clip_services.clip_region(clip=clip, start_s=vocal_start_s, end_s=vocal_end_s)
    except clip_services.RegionRejected as exc:
        raise PersonaRejected(str(exc), field=exc.field) from exc
    if region is None:
        if clip.voiced_s < minimum:
            raise PersonaRejected(MSG_TOO_LITTLE_VOICE.format(voiced=clip.voiced_s, minimum=minimum))
        return None
    if region.length_s < minimum:
        raise PersonaRejected(MSG_REGION_TOO_SHORT.format(minimum=minimum, ideal=PERSONA_REGION_IDEAL_MAX_S,
                                                          seconds=region.length_s), field="vocal_end_s")
    voiced = clip_services.clip_region_voiced_s(clip=clip, region=region, enough_s=minimum)
    if voiced < minimum:
        raise PersonaRejected(MSG_REGION_TOO_LITTLE_VOICE.format(voiced=voiced, minimum=minimum), field="vocal_end_s")
    return region


def persona_create(*, owner: AbstractBaseUser, name: str, clip: Clip, vocal_start_s: float | None = None,
                   vocal_end_s: float | None = None, submission: uuid.UUID | None = None) -> Persona:
    """Save the persona first (with the region it learns from, if any), then learn it on the worker.

    The same form submission twice (a double click) learns one persona."""
    from .tasks import learn_persona

    region = persona_check_clip(clip=clip, vocal_start_s=vocal_start_s, vocal_end_s=vocal_end_s)
    with transaction.atomic():
        persona, created = create_once(Persona, owner=owner, submission=submission, name=name.strip(),
                                       source_clip=clip, region_start_s=region.start_s if region else None,
                                       region_end_s=region.end_s if region else None)
        if created:
            enqueue_on_commit(learn_persona, str(persona.pk))
    return persona


def _region_clip_id(*, provider: MusicProvider, clip: Clip, start_s: float, end_s: float) -> str:
    """A provider clip id holding just the region's voice.

    The contract's persona endpoint takes a whole clip, so the region goes through `stem` first
    (which also isolates the vocals, as the contract recommends). The public service returns only
    a URL for the vocal stem: upload it to get a clip id.
    """
    stem = provider.stem(clip_id=clip_services.clip_remote_id(clip=clip, provider=provider),
                         vocal_start_s=start_s, vocal_end_s=end_s)
    if stem.vocal_clip_id:
        return stem.vocal_clip_id
    return provider.upload_url(stem.vocal_audio_url).clip_id


def persona_learn(*, persona_id: str) -> None:
    """The worker's part: the provider learns the voice; we measure its range ourselves for the page."""
    persona = Persona.objects.select_related("source_clip").filter(pk=persona_id, status=Persona.Status.PENDING).first()
    if persona is None:
        return
    clip = persona.source_clip
    try:
        if clip is None:
            raise PersonaRejected(MSG_CLIP_DELETED)
        provider = provider_for(persona.owner)
        if persona.region:
            start_s, end_s = persona.region
            clip_id = _region_clip_id(provider=provider, clip=clip, start_s=start_s, end_s=end_s)
        else:
            clip_id = clip_services.clip_remote_id(clip=clip, provider=provider)
        result = provider.create_persona(name=persona.name, clip_id=clip_id,
                                         on_progress=_progress_saver(persona.pk))
        sr = clip_services.ANALYSIS_SR
        samples = clip_services.clip_decode(clip=clip, sr=sr)
        if persona.region:
            samples = samples[int(start_s * sr):int(end_s * sr)]
        if clip.kind != Clip.Kind.VOCALS:
            # Measure the voice, not the band: the same split the provider learns from.
            samples, _band = separate.separate_vocals(samples, sr=sr)
        voice = profile.voice_profile(samples, sr=sr)
    except (MusicApiError, PersonaRejected) as exc:
        _persona_failed(persona, str(getattr(exc, "message", None) or exc))
        return
    except Exception:
        logger.exception("Learning persona %s failed", persona_id)
        _persona_failed(persona, str(MSG_LEARNING_FAILED))
        return
    status = Persona.Status.COMPLETE if result.status == "complete" else Persona.Status.FAILED
    Persona.objects.filter(pk=persona.pk).update(
        status=status, remote_id=result.persona_id, provider=provider.name, provider_url=provider.base_url,
        profile=voice.to_dict(), likeness=result.likeness, progress=100,
        error="" if status == Persona.Status.COMPLETE else (result.error or str(MSG_PROVIDER_REFUSED)),
    )


def _progress_saver(persona_pk) -> Callable[[float], None]:
    """Store the learning progress for the page's poll, at most once per whole percent."""
    last = [-1]

    def save(fraction: float) -> None:
        percent = int(min(max(fraction, 0.0), 0.99) * 100)
        if percent > last[0]:
            last[0] = percent
            Persona.objects.filter(pk=persona_pk, status=Persona.Status.PENDING).update(progress=percent)

    return save


def _persona_failed(persona: Persona, message: str) -> None:
    Persona.objects.filter(pk=persona.pk).update(status=Persona.Status.FAILED, error=message)


def persona_lost(persona_id: str) -> None:
    Persona.objects.filter(pk=persona_id, status=Persona.Status.PENDING).update(
        status=Persona.Status.FAILED, error=str(MSG_LEARNING_STOPPED))


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
