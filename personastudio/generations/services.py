"""Generations: a song from lyrics or a description, made by the provider and kept by us."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personastudio import quotas
from personastudio.accounts.services import provider_for
from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip
from personastudio.contract.errors import (
    AuthError,
    MusicApiError,
    OutcomeUnknown,
    QuotaExceeded,
    RateLimited,
    Unavailable,
)
from personastudio.contract.types import GenerateRequest, ResultItem, TaskInfo
from personastudio.personas.models import Persona
from personastudio.providers import backoff
from personastudio.providers import registry as providers
from personastudio.submission import create_once

from .models import Generation

logger = logging.getLogger(__name__)

MSG_PERSONA_NOT_READY = _("This persona is not ready yet; wait until it has finished learning.")
MSG_SAVE_WILL_RETRY = _("The song is made; the music service is busy, so we will keep trying to copy it.")
MSG_NEVER_CONFIRMED = _(
    "The music service never confirmed that it started this song, and it is not in the "
    "service's task list. Nothing was made; try again."
)
MSG_NO_TRACKS = _("The music service finished but sent no tracks. Try again.")
MSG_NOT_MADE = _("The music service could not make this song.")
MSG_SAVE_LOST = _("Saving the tracks stopped unexpectedly. Please try again.")
MSG_SAVE_CRASHED = _("The song was made but saving it failed unexpectedly.")
MSG_EXTEND_AT = _("Choose a second between 1 and %(duration)s, the length of the track.")
MSG_EXTEND_NOT_YOURS = _("That track is not in your library.")
MSG_EXTEND_TOO_LONG = _("A song can grow to at most %(limit)s minutes, so extend it from second %(latest)s or earlier.")
# Room left for the new part of an extension (hosted services add up to about four minutes).
EXTENSION_ROOM_S = 5 * 60
MSG_EXTEND_SOURCE_DELETED = _("The track this song extends has been deleted.")
MSG_RETRY_SOURCE_DELETED = _(
    "The track this song extended has been deleted, so it can't be made again as an "
    "extension. Use “Edit and regenerate” to make it as a new song."
)
PROGRESS_EVERY_S = 0.9  # a render's progress is written at most this often (its reports come once a second)
MSG_RATE_LIMITED_GAVE_UP = _(
    "The music service kept asking us to wait, so after %(minutes)s minutes we stopped "
    "trying. Try again later; your lyrics and settings are kept."
)
MSG_PERSONA_INFLUENCE = _("Choose how much of the persona sings: a number from 0 to 100 %.")
LOOKUP_SKEW_S = 120  # clocks of two machines disagree; a task created this far before our call may still be ours


def generation_get_for_user(*, user: AbstractBaseUser, generation_id) -> Generation:
    return get_object_or_404(Generation, id=generation_id, owner=user)


def _in_every_language(message) -> list[str]:
    """A stored message as it reads in each UI language: it was saved in whichever was active then."""
    texts = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.add(str(message))
    return sorted(texts)


def _friendly(error: MusicApiError) -> str:
    if isinstance(error, AuthError):
        return gettext("The music service rejected the API key. Check the key in your settings.")
    if isinstance(error, QuotaExceeded):
        return gettext("The music service says the account is out of credits.")
    if isinstance(error, (RateLimited, Unavailable)):
        return gettext("The music service is busy or unreachable right now (%(reason)s). Try again in a minute.") % {
            "reason": error.message
        }
    return error.message


def persona_problem(persona: Persona, provider_name: str, base_url: str) -> str:
    """Why this persona cannot sing on this provider ("" when it can)."""
    if persona.status != Persona.Status.COMPLETE:
        return str(MSG_PERSONA_NOT_READY)
    if not providers.same_provider(persona, provider_name, base_url):
        return gettext(
            "%(name)s was learned on %(learned_on)s and cannot sing on %(provider)s. Pick another "
            "persona, or switch back in Settings."
        ) % {
            "name": persona.name,
            "learned_on": providers.provider_label(persona.provider, persona.provider_url),
            "provider": providers.provider_label(provider_name, base_url),
        }
    return ""


def extend_problem(*, clip: Clip | None, continue_at: int | None, owner: AbstractBaseUser) -> str:
    """Why this track cannot be extended from this second ("" when it can): 0 < at ≤ its length."""
    if clip is None or clip.owner_id != owner.pk:
        return str(MSG_EXTEND_NOT_YOURS)
    longest = int(clip.duration_s)  # whole seconds, as the contract's continue_at
    if continue_at is None or not 0 < continue_at <= max(1, longest):
        return str(MSG_EXTEND_AT) % {"duration": max(1, longest)}
    latest = settings.SONG_MAX_DURATION_S - EXTENSION_ROOM_S
    if continue_at > latest:
        return str(MSG_EXTEND_TOO_LONG) % {"latest": latest, "limit": settings.SONG_MAX_DURATION_S // 60}
    return ""


def extend_default_at(clip: Clip) -> int:
    """Without a chosen second, an extension starts at the end of the track."""
    return max(1, int(clip.duration_s))


def persona_influence_offered(provider_name: str) -> bool:
    """Does the song form ask how much of the persona sings? Only for a provider that takes it."""
    return providers.spec(provider_name).takes_persona_influence


def persona_influence_from_form(value, *, persona: Persona | None, provider_name: str) -> int:
    """The percent of the persona a song sings with, from the song form's field ("60", "60 %", 60).

    Empty means the whole persona (100). Without a persona, or on a provider that does not take it, the
    field is not shown and what it holds is not read: 100. Anything but a number from 0 to 100 raises
    ValueError with a sentence for the field; a fraction is rounded to a whole percent."""
    if persona is None or not persona_influence_offered(provider_name):
        return Generation.FULL_INFLUENCE
    text = str(value if value is not None else "").strip().removesuffix("%").strip()
    if not text:
        return Generation.FULL_INFLUENCE
    try:
        percent = float(text)
    except ValueError:
        raise ValueError(str(MSG_PERSONA_INFLUENCE)) from None
    if not 0 <= percent <= Generation.FULL_INFLUENCE:  # NaN and infinities too
        raise ValueError(str(MSG_PERSONA_INFLUENCE))
    return round(percent)


def _influence_for(generation: Generation, provider) -> float | None:
    """The request's persona_influence (0..1): only with a persona, and only to a provider that takes it."""
    if generation.persona is None or not persona_influence_offered(provider.name):
        return None
    return generation.persona_influence / Generation.FULL_INFLUENCE


def _request_for(generation: Generation, provider) -> GenerateRequest:
    persona_id = ""
    if generation.persona is not None:
        problem = persona_problem(generation.persona, provider.name, provider.base_url)
        if problem:
            raise MusicApiError(problem)
        persona_id = generation.persona.remote_id
    influence = _influence_for(generation, provider)
    if generation.is_extension:
        if generation.continue_clip is None:
            raise MusicApiError(str(MSG_EXTEND_SOURCE_DELETED))
        # The provider knows the clip by its own id; our copy is handed over the first time it is needed.
        return GenerateRequest(
            prompt=generation.prompt,
            title=generation.title,
            tags=generation.tags,
            make_instrumental=generation.make_instrumental,
            persona_id=persona_id,
            persona_influence=influence,
            continue_clip_id=clip_services.clip_remote_id(clip=generation.continue_clip, provider=provider),
            continue_at=generation.continue_at,
        )
    if generation.mode == Generation.Mode.INSPIRATION:
        return GenerateRequest(
            gpt_description_prompt=generation.gpt_description_prompt,
            make_instrumental=generation.make_instrumental,
            persona_id=persona_id,
            persona_influence=influence,
        )
    return GenerateRequest(
        prompt=generation.prompt,
        title=generation.title,
        tags=generation.tags,
        make_instrumental=generation.make_instrumental,
        persona_id=persona_id,
        persona_influence=influence,
    )


def generation_start(
    *,
    owner: AbstractBaseUser,
    mode: str,
    title: str = "",
    prompt: str = "",
    tags: str = "",
    gpt_description_prompt: str = "",
    make_instrumental: bool = False,
    persona: Persona | None = None,
    persona_influence: int = Generation.FULL_INFLUENCE,
    continue_clip: Clip | None = None,
    continue_at: int | None = None,
    submission: uuid.UUID | None = None,
) -> Generation:
    """Save first (so the lyrics are never lost), then ask the provider to start.

    With `continue_clip` the song extends that track from `continue_at` seconds (custom mode only:
    the new part sings the lyrics given here). `persona_influence` is how much of the persona sings, in percent
    (kept only with a persona). The same form submission twice (a double click) makes and
    pays for one song: the second gets the first. Past the account's song quota: quotas.QuotaReached, and
    nothing is stored."""
    if continue_clip is not None:
        problem = extend_problem(clip=continue_clip, continue_at=continue_at, owner=owner)
        if problem:
            raise ValueError(problem)
        mode, gpt_description_prompt = Generation.Mode.CUSTOM, ""
    else:
        continue_at = None
    if persona is None:
        persona_influence = Generation.FULL_INFLUENCE
    elif not 0 <= persona_influence <= Generation.FULL_INFLUENCE:
        raise ValueError(str(MSG_PERSONA_INFLUENCE))
    with transaction.atomic():  # a song past the quota (QuotaReached) rolls back: nothing is stored
        generation, created = create_once(
            Generation,
            owner=owner,
            submission=submission,
            mode=mode,
            title=title,
            prompt=prompt,
            tags=tags,
            gpt_description_prompt=gpt_description_prompt,
            make_instrumental=make_instrumental,
            persona=persona,
            persona_influence=persona_influence,
            continue_clip=continue_clip,
            continue_at=continue_at,
            language=translation.get_language() or "",
        )
        if created:
            quotas.studio_require(owner, quotas.Kind.SONGS, besides=generation)
    if not created:
        return generation
    return _submit(generation)


def _submit(generation: Generation) -> Generation:
    """Ask the provider to start the song: at creation, and again once a "slow down" (429) wait is over."""
    try:
        provider = provider_for(generation.owner)
        request = _request_for(generation, provider)
        if providers.spec(provider.name).takes_webhooks and settings.PUBLIC_BASE_URL:
            request = dataclasses.replace(request, callback_url=settings.PUBLIC_BASE_URL + reverse("music_webhook"))
        Generation.objects.filter(pk=generation.pk).update(
            submitted_at=timezone.now(), provider=provider.name, provider_url=provider.base_url
        )
        task = provider.generate(request)
    except OutcomeUnknown:
        # The service may have started it: find it in its task list (generation_refresh), never submit twice.
        logger.warning("Generate for %s got no answer; will look the task up", generation.pk)
    except RateLimited as exc:
        # Nothing was made: wait as asked (no worker sleeps; a poll or the sweep submits it again).
        _wait_to_resubmit(generation, exc)
    except MusicApiError as exc:
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error=_friendly(exc), finished_at=timezone.now()
        )
    else:
        Generation.objects.filter(pk=generation.pk).update(
            task_id=task.task_id,
            provider=provider.name,
            status=task.status if task.status in ("queuing", "processing") else Generation.Status.QUEUING,
        )
    generation.refresh_from_db()
    return generation


def _wait_to_resubmit(generation: Generation, error: RateLimited) -> None:
    now = timezone.now()
    wait_s = backoff.rate_limit_wait_s(
        retry_after_s=error.retry_after_s, waited_s=(now - generation.created_at).total_seconds()
    )
    retry_at = now + timedelta(seconds=wait_s)
    unfinished = Generation.objects.filter(pk=generation.pk, task_id="").exclude(status__in=Generation.FINAL)
    if retry_at > generation.created_at + timedelta(seconds=settings.GENERATION_GIVE_UP_AFTER_S):
        unfinished.update(
            status=Generation.Status.FAILED,
            finished_at=now,
            retry_at=None,
            submitted_at=None,
            error=str(MSG_RATE_LIMITED_GAVE_UP) % {"minutes": settings.GENERATION_GIVE_UP_AFTER_S // 60},
        )
        return
    logger.info("Generate for %s was rate limited; submitting again in %.0fs", generation.pk, wait_s)
    # submitted_at is cleared: no task was made, so there is nothing to look up in the service's task list.
    unfinished.update(status=Generation.Status.QUEUING, retry_at=retry_at, submitted_at=None, error="")


def _resubmit_when_due(generation: Generation) -> Generation:
    """A song the service turned away with a 429: submit it again once its time has come, exactly once."""
    now = timezone.now()
    if now < generation.retry_at:
        return generation
    if _waited_too_long(generation):
        Generation.objects.filter(pk=generation.pk, retry_at=generation.retry_at).exclude(
            status__in=Generation.FINAL
        ).update(
            status=Generation.Status.FAILED,
            finished_at=now,
            retry_at=None,
            error=str(MSG_RATE_LIMITED_GAVE_UP) % {"minutes": settings.GENERATION_GIVE_UP_AFTER_S // 60},
        )
        generation.refresh_from_db()
        return generation
    # The claim: of two polls or sweeps, only the one whose update matched the wait it read submits.
    claimed = (
        Generation.objects.filter(pk=generation.pk, task_id="", retry_at=generation.retry_at)
        .exclude(status__in=Generation.FINAL)
        .update(retry_at=None, submitted_at=now)
    )
    if not claimed:
        generation.refresh_from_db()
        return generation
    generation.refresh_from_db()
    with translation.override(generation.language or translation.get_language() or settings.LANGUAGE_CODE):
        return _submit(generation)


def generation_retry(*, generation: Generation, submission: uuid.UUID | None = None) -> Generation:
    """ "Try again": the same inputs, as a new generation (the failed one stays in the history).

    An extension whose track was deleted cannot be made again: ValueError with the sentence."""
    if not generation.can_retry:
        raise ValueError(str(MSG_RETRY_SOURCE_DELETED))
    return generation_start(
        owner=generation.owner,
        mode=generation.mode,
        title=generation.title,
        prompt=generation.prompt,
        tags=generation.tags,
        gpt_description_prompt=generation.gpt_description_prompt,
        make_instrumental=generation.make_instrumental,
        persona=generation.persona,
        persona_influence=generation.persona_influence,
        continue_clip=generation.continue_clip if generation.is_extension else None,
        continue_at=generation.continue_at,
        submission=submission,
    )


def generation_refresh(*, generation: Generation) -> Generation:
    """Ask the provider how the task is going — at most once per interval, however many tabs poll."""
    if generation.is_final or generation.provider_results:
        return generation
    if not generation.task_id and generation.retry_at is not None:
        return _resubmit_when_due(generation)
    if not generation.task_id and not generation.submitted_at:
        return generation
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.GENERATION_POLL_INTERVAL_S)
    if generation.last_checked_at is not None and generation.last_checked_at > cutoff:
        return generation  # asked within the interval (as read with the row): this poll is a read, no write
    claimed = (
        Generation.objects.filter(pk=generation.pk)
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=cutoff))
        .update(last_checked_at=now)
    )
    if not claimed:
        return generation
    try:
        if not generation.task_id:
            return _find_submitted_task(generation)
        info = provider_for(generation.owner, made_on=generation).get_task(generation.task_id)
    except MusicApiError as exc:
        # The song may still be fine upstream: say what is wrong, keep checking, lose nothing.
        logger.warning("Could not refresh generation %s: %s", generation.pk, exc.message)
        Generation.objects.filter(pk=generation.pk).exclude(status__in=Generation.FINAL).update(
            error=_checking_notice(exc)
        )
        generation.refresh_from_db()
        return generation
    if not info.is_final and timezone.now() - generation.created_at > timedelta(
        seconds=settings.GENERATION_GIVE_UP_AFTER_S
    ):
        return _give_up(generation)
    return apply_task_info(generation=generation, info=info)


def _checking_notice(error: MusicApiError) -> str:
    if isinstance(error, AuthError):
        return gettext(
            "The music service rejected your API key — check it in Settings. We will keep checking this song."
        )
    if isinstance(error, QuotaExceeded):
        return gettext("The music service says the account is out of credits. We will keep checking this song.")
    return gettext("The music service is busy or unreachable right now — we will keep checking.")


def _give_up(generation: Generation) -> Generation:
    minutes = settings.GENERATION_GIVE_UP_AFTER_S // 60
    Generation.objects.filter(pk=generation.pk).exclude(status__in=Generation.FINAL).update(
        status=Generation.Status.FAILED,
        finished_at=timezone.now(),
        error=gettext(
            "The music service has not finished this song after %(minutes)s minutes, so we stopped "
            "waiting. Try again; your lyrics and settings are kept."
        )
        % {"minutes": minutes},
    )
    generation.refresh_from_db()
    return generation


def _find_submitted_task(generation: Generation) -> Generation:
    """A generate call lost its answer: adopt the task it created, found in the service's recent tasks."""
    provider = provider_for(generation.owner, made_on=generation)
    submitted_ms = int(generation.submitted_at.timestamp() * 1000)
    window_ms = (settings.GENERATION_LOOKUP_WINDOW_S + LOOKUP_SKEW_S) * 1000
    same_service = Generation.objects.filter(provider=provider.name, provider_url=provider.base_url)
    claimed = set(same_service.exclude(task_id="").values_list("task_id", flat=True))
    # Another lost answer on the same account makes a match ambiguous: guessing could hand
    # one user another's song, so then we wait and, at the end of the window, say so instead.
    others_waiting = (
        same_service.filter(task_id="", submitted_at__isnull=False)
        .exclude(status__in=Generation.FINAL)
        .exclude(pk=generation.pk)
        .exists()
    )
    page = provider.list_tasks(page=1, page_size=50)
    candidates = [
        item
        for item in page.items
        if item.id not in claimed
        and item.created_at is not None
        and submitted_ms - LOOKUP_SKEW_S * 1000 <= item.created_at <= submitted_ms + window_ms
    ]
    if len(candidates) == 1 and not others_waiting:
        Generation.objects.filter(pk=generation.pk, task_id="").update(task_id=candidates[0].id)
        logger.info("Generation %s adopted task %s after a lost answer", generation.pk, candidates[0].id)
    elif timezone.now() - generation.submitted_at > timedelta(seconds=settings.GENERATION_LOOKUP_WINDOW_S):
        Generation.objects.filter(pk=generation.pk, task_id="").exclude(status__in=Generation.FINAL).update(
            status=Generation.Status.FAILED, error=str(MSG_NEVER_CONFIRMED), finished_at=timezone.now()
        )
    generation.refresh_from_db()
    return generation


def apply_task_info(
    *, generation: Generation, info: TaskInfo, save_now: bool = False, measures: dict | None = None
) -> Generation:
    """Record what the provider says of the task (from polling or a webhook); safe to apply twice.

    A completed task's tracks are copied by a save task queued ahead of every render, or with `save_now`
    (a worker that has just rendered the song) right here, with what the render measured (`measures`)."""
    from .tasks import save_tracks_soon

    now = timezone.now()
    won = 0
    if generation.is_final or generation.provider_results:
        return generation
    unfinished = Generation.objects.filter(pk=generation.pk, provider_results=[]).exclude(status__in=Generation.FINAL)
    if info.status == "completed" and not info.results:
        unfinished.update(status=Generation.Status.FAILED, finished_at=now, error=str(MSG_NO_TRACKS))
    elif info.status == "completed":
        with transaction.atomic():
            won = unfinished.update(
                status=Generation.Status.PROCESSING,
                error="",
                progress={},
                provider_results=[item.to_json() for item in info.results],
            )
            if won and not save_now:  # a second poll or a duplicate webhook must not copy the tracks again
                save_tracks_soon(generation_id=str(generation.pk), language=generation.language)
        if won and save_now:
            generation_save_tracks(generation_id=str(generation.pk), measures=measures)
    elif info.status == "failed":
        unfinished.update(status=Generation.Status.FAILED, error=info.error or str(MSG_NOT_MADE), finished_at=now)
    else:
        unfinished.update(status=info.status, error="")
    generation.refresh_from_db()
    return generation


def generation_progress(
    *, provider: str, task_id: str, fraction: float, stage: str, done: int, total: int, variant: int, variants: int
) -> None:
    """A provider that renders in our worker says how far a song is (providers.registry.listen).

    One conditional update, at most once per PROGRESS_EVERY_S per song, and only while nothing final or
    saved has been recorded: a late report never moves a finished song back."""
    now = timezone.now()
    Generation.objects.filter(provider=provider, task_id=task_id, provider_results=[]).filter(
        status__in=[Generation.Status.QUEUING, Generation.Status.PROCESSING]
    ).filter(Q(progress_at__isnull=True) | Q(progress_at__lte=now - timedelta(seconds=PROGRESS_EVERY_S))).update(
        status=Generation.Status.PROCESSING,
        progress_at=now,
        progress={
            "fraction": round(min(max(float(fraction), 0.0), 1.0), 3),
            "stage": stage,
            "done": int(done),
            "total": int(total),
            "variant": int(variant),
            "variants": int(variants),
        },
    )


def generation_task_ended(*, provider: str, task_id: str, info: TaskInfo, measures: dict | None = None) -> None:
    """A provider that renders in our worker says a task ended: the song is finished here, in the task that
    rendered it (its tracks kept, then "completed"), not when a poll notices. A task no song of ours
    started (an API client's) changes nothing."""
    generation = Generation.objects.filter(provider=provider, task_id=task_id).first()
    if generation is None:
        return
    with translation.override(generation.language or settings.LANGUAGE_CODE):
        apply_task_info(generation=generation, info=info, save_now=True, measures=measures)


def generation_save_tracks(*, generation_id: str, measures: dict | None = None) -> None:
    """Copy every result's audio into our storage as a Clip; only then is the song "completed".

    `measures` (by result id): what a provider rendering in our worker measured of each track, kept
    instead of decoding the copy again."""
    measures = measures or {}
    generation = Generation.objects.filter(pk=generation_id).exclude(status__in=Generation.FINAL).first()
    if generation is None or not generation.provider_results:
        return
    try:
        provider = provider_for(generation.owner, made_on=generation)
        for raw in generation.provider_results:
            item = ResultItem.from_json(raw)
            clip = Clip.objects.filter(generation=generation, remote_id=item.id).first()  # kept by an earlier run
            if clip is None:
                try:
                    clip = clip_services.clip_create(
                        owner=generation.owner,
                        title=item.title or str(generation),
                        data=provider.fetch_result_audio(item),
                        filename=f"{item.id}.mp3",
                        kind=Clip.Kind.GENERATED,
                        generation=generation,
                        provider=provider.name,
                        provider_url=provider.base_url,
                        remote_id=item.id,
                        measured=measures.get(item.id),
                    )
                except IntegrityError:
                    clip = Clip.objects.get(generation=generation, remote_id=item.id)  # a concurrent run kept it
            clip_services.track_parts_save(
                clip=clip, provider=provider, measured=(measures.get(item.id) or {}).get("parts")
            )
    except (Unavailable, RateLimited, AuthError) as exc:
        if _results_expired(generation) or _waited_too_long(generation):
            _save_failed(
                generation,
                gettext(
                    "The song was made, but its audio expired at the music service "
                    "before the service let us copy it (%(reason)s)."
                )
                % {"reason": exc.message},
            )
        else:  # a busy service is not a lost song: the sweep tries again while the links are valid
            Generation.objects.filter(pk=generation.pk).update(error=str(MSG_SAVE_WILL_RETRY))
            logger.warning("Saving generation %s deferred: %s", generation.pk, exc.message)
        return
    except (MusicApiError, clip_services.ClipRejected) as exc:
        message = getattr(exc, "message", str(exc))
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED,
            error=gettext("The song was made but could not be saved: %(reason)s") % {"reason": message},
            finished_at=timezone.now(),
        )
        return
    except Exception:
        logger.exception("Saving the tracks of generation %s failed", generation.pk)
        Generation.objects.filter(pk=generation.pk).update(
            status=Generation.Status.FAILED, error=str(MSG_SAVE_CRASHED), finished_at=timezone.now()
        )
        return
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.COMPLETED, finished_at=timezone.now())


def _waited_too_long(generation: Generation) -> bool:
    return timezone.now() - generation.created_at > timedelta(seconds=settings.GENERATION_GIVE_UP_AFTER_S)


def _results_expired(generation: Generation) -> bool:
    now_ms = timezone.now().timestamp() * 1000
    expiries = [raw.get("expire_at") for raw in generation.provider_results if isinstance(raw, dict)]
    return bool(expiries) and all(isinstance(e, (int, float)) and e < now_ms for e in expiries)


def _save_failed(generation: Generation, message: str) -> None:
    Generation.objects.filter(pk=generation.pk).update(
        status=Generation.Status.FAILED, error=message, finished_at=timezone.now()
    )


def generation_save_lost(generation_id: str) -> None:
    Generation.objects.filter(pk=generation_id).exclude(status__in=Generation.FINAL).update(
        status=Generation.Status.FAILED, error=str(MSG_SAVE_LOST), finished_at=timezone.now()
    )


def generation_refresh_unfinished() -> int:
    """The sweep's part: move unfinished generations on even when no browser is polling."""
    count = 0
    from .tasks import save_tracks_soon

    unfinished = Generation.objects.exclude(status__in=Generation.FINAL)
    for generation in unfinished.exclude(task_id="", submitted_at__isnull=True, retry_at__isnull=True):
        if generation.provider_results:
            # An earlier copy met a busy service: re-queue it once (the update is the lock).
            if Generation.objects.filter(pk=generation.pk, error__in=_in_every_language(MSG_SAVE_WILL_RETRY)).update(
                error=""
            ):
                save_tracks_soon(generation_id=str(generation.pk), language=generation.language)
        else:
            generation_refresh(generation=generation)
        count += 1
    return count


def webhook_signature_valid(*, body: bytes, signature: str) -> bool:
    """X-Signature: hex HMAC-SHA256 of the raw body, optionally prefixed "sha256="; constant-time compare."""
    secret = settings.MUSIC_WEBHOOK_SECRET
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = signature.strip().lower().removeprefix("sha256=")
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "ignore"))


def generation_webhook(*, payload: dict) -> Generation | None:
    """A provider's callback: the same as a poll that saw the task end. Duplicates change nothing."""
    info = TaskInfo.from_json({**payload, "id": payload.get("task_id")})
    if not info.id:
        return None
    generation = Generation.objects.filter(provider__in=providers.webhook_names(), task_id=info.id).first()
    if generation is None or not info.is_final:
        return generation
    return apply_task_info(generation=generation, info=info)
