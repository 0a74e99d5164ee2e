"""Generations: a song from lyrics or a description, made by the provider and kept by us."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from personastudio.background import enqueue_on_commit
from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip
from personastudio.musicapi.errors import AuthError, MusicApiError, QuotaExceeded, RateLimited, Unavailable
from personastudio.musicapi.providers import provider_for
from personastudio.musicapi.types import GenerateRequest, ResultItem
from personastudio.personas.models import Persona

from .models import Generation

logger = logging.getLogger(__name__)

MSG_PERSONA_NOT_READY = "This persona is not ready yet; wait until it has finished learning."


def generation_get_for_user(*, user: AbstractBaseUser, generation_id) -> Generation:
    return get_object_or_404(Generation, id=generation_id, owner=user)


def _friendly(error: MusicApiError) -> str:
    if isinstance(error, AuthError):
        return "The music service rejected the API key. Check the key in your settings."
    if isinstance(error, QuotaExceeded):
        return "The music service says the account is out of credits."
    if isinstance(error, (RateLimited, Unavailable)):
        return f"The music service is busy or unreachable right now ({error.message}). Try again in a minute."
    return error.message


def _request_for(generation: Generation) -> GenerateRequest:
    persona_id = ""
    if generation.persona is not None:
        if generation.persona.status != Persona.Status.COMPLETE:
            raise MusicApiError(MSG_PERSONA_NOT_READY)
        persona_id = generation.persona.remote_id
    if generation.mode == Generation.Mode.INSPIRATION:
        return GenerateRequest(gpt_description_prompt=generation.gpt_description_prompt,
                               make_instrumental=generation.make_instrumental, persona_id=persona_id)
    return GenerateRequest(prompt=generation.prompt, title=generation.title, tags=generation.tags,
                           make_instrumental=generation.make_instrumental, persona_id=persona_id)


def generation_start(*, owner: AbstractBaseUser, mode: str, title: str = "", prompt: str = "", tags: str = "",
                     gpt_description_prompt: str = "", make_instrumental: bool = False,
                     persona: Persona | None = None) -> Generation:
    """Save first (so the lyrics are never lost), then ask the provider to start."""
    generation = Generation.objects.create(
        owner=owner, mode=mode, title=title, prompt=prompt, tags=tags,
        gpt_description_prompt=gpt_description_prompt, make_instrumental=make_instrumental, persona=persona,
    )
    try:
        provider = provider_for(owner)
        task = provider.generate(_request_for(generation))
    except MusicApiError as exc:
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error=_friendly(exc), finished_at=timezone.now())
    else:
        Generation.objects.filter(pk=generation.pk).update(
            task_id=task.task_id, provider=provider.name,
            status=task.status if task.status in ("queuing", "processing") else Generation.Status.QUEUING)
    generation.refresh_from_db()
    return generation


def generation_retry(*, generation: Generation) -> Generation:
    """"Try again": the same inputs, as a new generation (the failed one stays in the history)."""
    return generation_start(
        owner=generation.owner, mode=generation.mode, title=generation.title, prompt=generation.prompt,
        tags=generation.tags, gpt_description_prompt=generation.gpt_description_prompt,
        make_instrumental=generation.make_instrumental, persona=generation.persona,
    )


def generation_refresh(*, generation: Generation) -> Generation:
    """Ask the provider how the task is going — at most once per interval, however many tabs poll."""
    from .tasks import save_tracks

    if generation.is_final or not generation.task_id or generation.provider_results:
        return generation
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.GENERATION_POLL_INTERVAL_S)
    claimed = Generation.objects.filter(pk=generation.pk).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=cutoff)).update(last_checked_at=now)
    if not claimed:
        return generation
    try:
        info = provider_for(generation.owner).get_task(generation.task_id)
    except MusicApiError as exc:
        logger.warning("Could not refresh generation %s: %s", generation.pk, exc.message)
        return generation
    if info.status == "completed":
        with transaction.atomic():
            Generation.objects.filter(pk=generation.pk, provider_results=[]).update(
                status=Generation.Status.PROCESSING, provider_results=[item.to_json() for item in info.results])
            enqueue_on_commit(save_tracks, str(generation.pk))
    elif info.status == "failed":
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error=info.error or "The music service could not make this song.",
            finished_at=now)
    else:
        Generation.objects.filter(pk=generation.pk).update(status=info.status)
    generation.refresh_from_db()
    return generation


def generation_save_tracks(*, generation_id: str) -> None:
    """Copy every result's audio into our storage as a Clip; only then is the song "completed"."""
    generation = Generation.objects.filter(pk=generation_id).exclude(status__in=Generation.FINAL).first()
    if generation is None or not generation.provider_results:
        return
    provider = provider_for(generation.owner)
    try:
        for raw in generation.provider_results:
            item = ResultItem.from_json(raw)
            if Clip.objects.filter(generation=generation, remote_id=item.id).exists():
                continue  # kept by an earlier run
            try:
                clip_services.clip_create(
                    owner=generation.owner, title=item.title or str(generation), data=provider.fetch_result_audio(item),
                    filename=f"{item.id}.mp3", kind=Clip.Kind.GENERATED, generation=generation,
                    provider=provider.name, remote_id=item.id)
            except IntegrityError:
                pass  # a concurrent run kept it
    except (MusicApiError, clip_services.ClipRejected) as exc:
        message = getattr(exc, "message", str(exc))
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error=f"The song was made but could not be saved: {message}",
            finished_at=timezone.now())
        return
    except Exception:
        logger.exception("Saving the tracks of generation %s failed", generation.pk)
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error="The song was made but saving it failed unexpectedly.",
            finished_at=timezone.now())
        return
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.COMPLETED, finished_at=timezone.now())


def generation_save_lost(generation_id: str) -> None:
    Generation.objects.filter(pk=generation_id).exclude(status__in=Generation.FINAL).update(
        status=Generation.Status.FAILED, error="Saving the tracks stopped unexpectedly. Please try again.",
        finished_at=timezone.now())


def generation_refresh_unfinished() -> int:
    """The sweep's part: move unfinished generations on even when no browser is polling."""
    count = 0
    for generation in Generation.objects.exclude(status__in=Generation.FINAL).exclude(task_id=""):
        generation_refresh(generation=generation)
        count += 1
    return count
