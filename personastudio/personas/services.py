"""Personas: a reusable singer learned from one of the user's clips."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from personastudio import quotas
from personastudio.accounts.services import provider_for
from personastudio.background import enqueue_on_commit
from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip
from personastudio.contract.errors import MusicApiError, RateLimited
from personastudio.contract.provider import MusicProvider
from personastudio.engine.voice import consent_phrases, thresholds
from personastudio.providers import backoff
from personastudio.submission import create_once

from .models import Persona, VoiceCheck

if TYPE_CHECKING:  # the DSP is imported where it runs (the worker), not in every web process
    import numpy as np

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
MSG_RATE_LIMITED_GAVE_UP = _(
    "The music service kept asking us to wait, so after %(minutes)s minutes we stopped "
    "learning this voice. Try again later."
)
MSG_PROVIDER_REFUSED = _("The music service could not learn this voice.")
MSG_PHRASE_NEEDED = _(
    "A persona of a real voice needs that voice's consent: record the singer of this clip singing the phrase "
    "above, or upload a recording of it."
)
MSG_PHRASE_EXPIRED = _(
    "The phrase on this page was for another day. Sing the new phrase shown above and record it again."
)
MSG_VOICE_CHECKS_USED = _(
    "You have tried the voice check {limit} times in the last hour, the most allowed. You can try again at {time}."
)
MSG_VOICE_NOT_MATCHED = _(
    "The voice singing the phrase does not sound like the voice in “{clip}”, so no persona was made. "
    "A persona of a real voice can only be made with that person's consent: the singer of the clip must sing "
    "the phrase. If that was you, try again in a quiet room, close to the microphone, in your normal singing voice."
)
MSG_CHECK_FAILED = _("The voice check could not be done: {reason}")
MSG_CHECK_FAILED_UNEXPECTEDLY = _("The voice check stopped unexpectedly. Please try again.")
MSG_RECORDING_DELETED = _("The recording of the phrase has been deleted.")
# The signed phrase on the persona form is good for the day it was shown (and a little after midnight).
PHRASE_TOKEN_MAX_AGE_S = 26 * 3600
PHRASE_TOKEN_SALT = "personas.consent-phrase"
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


def persona_check_clip(
    *, clip: Clip, vocal_start_s: float | None = None, vocal_end_s: float | None = None
) -> clip_services.Region | None:
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
        raise PersonaRejected(
            MSG_REGION_TOO_SHORT.format(minimum=minimum, ideal=PERSONA_REGION_IDEAL_MAX_S, seconds=region.length_s),
            field="vocal_end_s",
        )
    voiced = clip_services.clip_region_voiced_s(clip=clip, region=region, enough_s=minimum)
    if voiced < minimum:
        raise PersonaRejected(MSG_REGION_TOO_LITTLE_VOICE.format(voiced=voiced, minimum=minimum), field="vocal_end_s")
    return region


def persona_needs_voice_check(clip: Clip) -> bool:
    """Only a clip with the engine's own voice in it (a generated track, or its stem) may skip consent."""
    return not clip_services.clip_sings_engine_voice_only(clip)


def consent_phrase_for_page(*, token: str = "") -> dict:
    """The phrase for the persona form, with today's date, and a signed token that carries it back.

    The phrase of `token` (the form sent again) stays while it is valid: the songwriter may be reading it."""
    try:
        phrase, language = _phrase_from_token(token)
    except PersonaRejected:
        language = consent_phrases.language_of(get_language())
        phrase = consent_phrases.consent_phrase(language, today=timezone.localdate())
    return {
        "phrase": phrase,
        "language": language,
        "protocol": thresholds.VOICE_CHECK_PROTOCOL,
        "token": signing.dumps({"phrase": phrase, "language": language}, salt=PHRASE_TOKEN_SALT),
    }


def _phrase_from_token(token: str) -> tuple[str, str]:
    try:
        data = signing.loads(token or "", salt=PHRASE_TOKEN_SALT, max_age=PHRASE_TOKEN_MAX_AGE_S)
        return str(data["phrase"]), str(data["language"])
    except (signing.BadSignature, KeyError, TypeError):
        raise PersonaRejected(MSG_PHRASE_EXPIRED, field="phrase_audio") from None


def voice_checks_allowed(owner: AbstractBaseUser) -> None:
    """PersonaRejected, saying when to come back, once the hour's VOICE_CHECKS_PER_HOUR are used."""
    window = datetime.timedelta(hours=1)
    recent = VoiceCheck.objects.filter(owner=owner, created_at__gt=timezone.now() - window)
    limit = settings.VOICE_CHECKS_PER_HOUR
    if recent.count() >= limit:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True)[0]
        again = timezone.localtime(oldest + window + datetime.timedelta(minutes=1))
        raise PersonaRejected(
            MSG_VOICE_CHECKS_USED.format(limit=limit, time=date_format(again, "TIME_FORMAT")), field="phrase_audio"
        )


def personas_allowed(owner: AbstractBaseUser, *, besides: Persona | None = None) -> None:
    """PersonaRejected (above the form), saying when the next can start, past the account's persona quota."""
    try:
        quotas.studio_require(owner, quotas.Kind.PERSONAS, besides=besides)
    except quotas.QuotaReached as exc:
        raise PersonaRejected(str(exc), field=NON_FIELD_ERRORS) from exc


def persona_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    clip: Clip,
    vocal_start_s: float | None = None,
    vocal_end_s: float | None = None,
    submission: uuid.UUID | None = None,
    phrase_token: str = "",
    phrase_audio: UploadedFile | None = None,
) -> Persona | VoiceCheck:
    """Save what was asked for first, then do the work on the worker. Returns where the page goes next.

    A clip with the engine's own voice makes its persona at once (learned on the worker). Any other
    clip may be a person's voice: its singer's recording of the consent phrase is kept with a
    VoiceCheck, and the persona is made only when the worker finds the two voices the same.
    The same form submission twice (a double click) makes one of either.
    """
    from .tasks import check_voice, learn_persona

    region = persona_check_clip(clip=clip, vocal_start_s=vocal_start_s, vocal_end_s=vocal_end_s)
    fields = {
        "name": name.strip(),
        "source_clip": clip,
        "region_start_s": region.start_s if region else None,
        "region_end_s": region.end_s if region else None,
    }
    if not persona_needs_voice_check(clip):
        with transaction.atomic():
            persona, created = create_once(
                Persona, owner=owner, submission=submission, consent=Persona.Consent.GENERATED, **fields
            )
            if created:
                personas_allowed(owner, besides=persona)  # refused: the row rolls back
                enqueue_on_commit(learn_persona, str(persona.pk), owner_id=owner.pk)
        return persona
    earlier = (
        VoiceCheck.objects.filter(owner=owner, submission=submission)
        .exclude(status__in=[VoiceCheck.Status.REFUSED, VoiceCheck.Status.FAILED])
        .first()
        if submission
        else None
    )
    if earlier is not None:
        return earlier  # a double click: the first one is being checked
    phrase, language = _phrase_from_token(phrase_token)
    if phrase_audio is None:
        raise PersonaRejected(MSG_PHRASE_NEEDED, field="phrase_audio")
    personas_allowed(owner)  # before the recording is kept, so a refusal stores nothing
    voice_checks_allowed(owner)
    try:
        recording = clip_services.clip_create(
            owner=owner,
            title=_("Voice check: {name}").format(name=fields["name"]),
            data=phrase_audio.read(),
            filename=phrase_audio.name or "phrase.webm",
            kind=Clip.Kind.VERIFICATION,
        )
    except clip_services.ClipRejected as exc:
        raise PersonaRejected(str(exc), field="phrase_audio") from exc
    with transaction.atomic():
        check, created = create_once(
            VoiceCheck,
            owner=owner,
            submission=submission,
            phrase=phrase,
            language=language,
            recording=recording,
            **fields,
        )
        if created:
            enqueue_on_commit(check_voice, str(check.pk), owner_id=owner.pk)
    if not created:
        clip_services.clip_delete(clip=recording)  # the twin request's recording is the one checked
    return check


def voice_check_get_for_user(*, user: AbstractBaseUser, check_id) -> VoiceCheck:
    return get_object_or_404(VoiceCheck, id=check_id, owner=user)


def voice_check_for_retry(*, user: AbstractBaseUser, check_id: str | None) -> VoiceCheck | None:
    """The user's own refused or failed check whose inputs the form fills in again (None otherwise)."""
    try:
        check_uuid = uuid.UUID(str(check_id))
    except ValueError:
        return None
    return VoiceCheck.objects.filter(owner=user, pk=check_uuid).exclude(status=VoiceCheck.Status.PASSED).first()


def voice_check_outcome(*, check: VoiceCheck) -> dict:
    """What the check page shows: the persona it made (once passed), or how to try again."""
    persona = Persona.objects.filter(voice_check=check).first()
    return {"persona": persona, "needed": thresholds.VOICE_CHECK_THRESHOLD}


def persona_voice_samples(*, clip: Clip, region: tuple[float, float] | None, sr: int) -> np.ndarray:
    """The voice a persona learns from, which its page measures: the clip (or its region), with the
    band taken out unless it is a vocal stem already."""
    return persona_voice_renditions(clip=clip, region=region, sr=sr)[0]


def persona_voice_renditions(*, clip: Clip, region: tuple[float, float] | None, sr: int) -> list[np.ndarray]:
    """That voice, then (for a clip that was split) the clip as heard: the voice check compares both,
    as splitting a clip that is voice alone damages the voice (engine.voice.verification)."""
    from personastudio.engine.dsp import separate

    samples = clip_services.clip_decode(clip=clip, sr=sr)
    if region:
        samples = samples[int(region[0] * sr) : int(region[1] * sr)]
    if clip.kind == Clip.Kind.VOCALS:
        return [samples]
    vocals, _band = separate.separate_vocals(samples, sr=sr)
    return [vocals, samples]


def voice_check_run(*, check_id: str) -> None:
    """The worker's part of the consent check: compare the phrase's voice with the clip's.

    Same voice: the check is passed and its persona is made and learned. Not: no persona, and the
    recording (perhaps of someone who never agreed) is deleted; the check keeps the similarity."""
    from personastudio.engine.voice import verification

    from .tasks import learn_persona

    check = (
        VoiceCheck.objects.select_related("source_clip", "recording")
        .filter(pk=check_id, status=VoiceCheck.Status.PENDING)
        .first()
    )
    if check is None:
        return
    try:
        if check.source_clip is None:
            raise PersonaRejected(MSG_CLIP_DELETED)
        if check.recording is None:
            raise PersonaRejected(MSG_RECORDING_DELETED)
        sr = clip_services.CLIP_ANALYSIS_SR_HZ
        voice = persona_voice_renditions(clip=check.source_clip, region=check.region, sr=sr)
        phrase = clip_services.clip_decode(clip=check.recording, sr=sr)
        result = verification.voice_check(voice, voice_sr=sr, phrase_samples=phrase, phrase_sr=sr)
    except (PersonaRejected, verification.PhraseTooShort) as exc:
        _check_finished(check, VoiceCheck.Status.FAILED, error=str(MSG_CHECK_FAILED).format(reason=exc))
        return
    except Exception:
        logger.exception("Voice check %s failed", check_id)
        _check_finished(check, VoiceCheck.Status.FAILED, error=str(MSG_CHECK_FAILED_UNEXPECTEDLY))
        return
    if not result.passed:
        _check_finished(
            check,
            VoiceCheck.Status.REFUSED,
            similarity=result.similarity,
            error=str(MSG_VOICE_NOT_MATCHED).format(clip=check.source_clip.title),
        )
        return
    with transaction.atomic():
        claimed = VoiceCheck.objects.filter(pk=check.pk, status=VoiceCheck.Status.PENDING).update(
            status=VoiceCheck.Status.PASSED, similarity=result.similarity, checked_at=timezone.now()
        )
        if not claimed:
            return  # a re-run after a lost worker: the first run made the persona
        persona = Persona.objects.create(
            owner=check.owner,
            name=check.name,
            source_clip=check.source_clip,
            region_start_s=check.region_start_s,
            region_end_s=check.region_end_s,
            consent=Persona.Consent.CHECKED,
            voice_check=check,
        )
        # No quota check here: the persona was counted when its check was asked for.
        enqueue_on_commit(learn_persona, str(persona.pk), owner_id=check.owner_id)


def _check_finished(check: VoiceCheck, status: str, *, error: str, similarity: float | None = None) -> None:
    with transaction.atomic():
        updated = VoiceCheck.objects.filter(pk=check.pk, status=VoiceCheck.Status.PENDING).update(
            status=status, error=error, similarity=similarity, checked_at=timezone.now(), recording=None
        )
        recording = check.recording
        if updated and recording is not None and not _recording_used_elsewhere(recording, check=check):
            clip_services.clip_delete(clip=recording)


def _recording_used_elsewhere(recording: Clip, *, check: VoiceCheck) -> bool:
    return (
        Persona.objects.filter(source_clip=recording).exists()
        or VoiceCheck.objects.filter(recording=recording).exclude(pk=check.pk).exists()
    )


def voice_check_lost(check_id: str) -> None:
    VoiceCheck.objects.filter(pk=check_id, status=VoiceCheck.Status.PENDING).update(
        status=VoiceCheck.Status.FAILED, error=str(MSG_CHECK_FAILED_UNEXPECTEDLY)
    )


def _region_clip_id(*, provider: MusicProvider, clip: Clip, start_s: float, end_s: float) -> str:
    """A provider clip id holding just the region's voice.

    The contract's persona endpoint takes a whole clip, so the region goes through `stem` first
    (which also isolates the vocals, as the contract recommends). The public service returns only
    a URL for the vocal stem: upload it to get a clip id.
    """
    stem = provider.stem(
        clip_id=clip_services.clip_remote_id(clip=clip, provider=provider), vocal_start_s=start_s, vocal_end_s=end_s
    )
    if stem.vocal_clip_id:
        return stem.vocal_clip_id
    return provider.upload_url(stem.vocal_audio_url).clip_id


def persona_learn(*, persona_id: str) -> None:
    """The worker's part: the provider learns the voice; we measure its range ourselves for the page."""
    from personastudio.engine.dsp import profile

    persona = (
        Persona.objects.select_related("source_clip", "voice_check__recording")
        .filter(pk=persona_id, status=Persona.Status.PENDING)
        .first()
    )
    if persona is None:
        return
    # Waiting after a 429: only the run the wait queued goes on, once it is due (the update is the claim).
    if persona.retry_at is not None and (
        timezone.now() < persona.retry_at
        or not Persona.objects.filter(pk=persona.pk, status=Persona.Status.PENDING, retry_at=persona.retry_at).update(
            retry_at=None
        )
    ):
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
        result = provider.create_persona(
            name=persona.name,
            clip_id=clip_id,
            verification_clip_id=_verification_clip_id(persona, provider),
            on_progress=_progress_saver(persona.pk),
        )
        sr = clip_services.CLIP_ANALYSIS_SR_HZ
        # Measure the voice, not the band: the same split the provider learns from.
        voice = profile.voice_profile(persona_voice_samples(clip=clip, region=persona.region, sr=sr), sr=sr)
    except RateLimited as exc:  # nothing was made (persona, upload or stem): learn again later, no worker sleeps
        _persona_wait(persona, exc)
        return
    except (MusicApiError, PersonaRejected) as exc:
        _persona_failed(persona, str(getattr(exc, "message", None) or exc))
        return
    except Exception:
        logger.exception("Learning persona %s failed", persona_id)
        _persona_failed(persona, str(MSG_LEARNING_FAILED))
        return
    status = Persona.Status.COMPLETE if result.status == "complete" else Persona.Status.FAILED
    Persona.objects.filter(pk=persona.pk).update(
        status=status,
        remote_id=result.persona_id,
        provider=provider.name,
        provider_url=provider.base_url,
        profile=voice.to_dict(),
        likeness=result.likeness,
        progress=100,
        error="" if status == Persona.Status.COMPLETE else (result.error or str(MSG_PROVIDER_REFUSED)),
    )


def _verification_clip_id(persona: Persona, provider: MusicProvider) -> str:
    """The consent recording, handed to the provider too: the built-in engine checks it again, and a
    hosted service that knows the field can; the studio has checked it itself either way."""
    recording = persona.voice_check.recording if persona.voice_check_id else None
    return clip_services.clip_remote_id(clip=recording, provider=provider) if recording else ""


def _progress_saver(persona_pk) -> Callable[[float], None]:
    """Store the learning progress for the page's poll, at most once per whole percent."""
    last = [-1]

    def save(fraction: float) -> None:
        percent = int(min(max(fraction, 0.0), 0.99) * 100)
        if percent > last[0]:
            last[0] = percent
            Persona.objects.filter(pk=persona_pk, status=Persona.Status.PENDING).update(progress=percent)

    return save


def _persona_wait(persona: Persona, error: RateLimited) -> None:
    """Learn again after the service's Retry-After (or a backoff), up to GENERATION_GIVE_UP_AFTER_S."""
    from .tasks import learn_persona

    now = timezone.now()
    wait_s = backoff.rate_limit_wait_s(
        retry_after_s=error.retry_after_s, waited_s=(now - persona.created_at).total_seconds()
    )
    retry_at = now + datetime.timedelta(seconds=wait_s)
    if retry_at > persona.created_at + datetime.timedelta(seconds=settings.GENERATION_GIVE_UP_AFTER_S):
        _persona_failed(persona, str(MSG_RATE_LIMITED_GAVE_UP) % {"minutes": settings.GENERATION_GIVE_UP_AFTER_S // 60})
        return
    logger.info("Learning persona %s was rate limited; trying again in %.0fs", persona.pk, wait_s)
    language = get_language()
    with transaction.atomic():
        if Persona.objects.filter(pk=persona.pk, status=Persona.Status.PENDING).update(retry_at=retry_at):
            transaction.on_commit(
                lambda: learn_persona.using(run_after=retry_at).enqueue(str(persona.pk), language=language)
            )


def _persona_failed(persona: Persona, message: str) -> None:
    Persona.objects.filter(pk=persona.pk).update(status=Persona.Status.FAILED, error=message)


def persona_lost(persona_id: str) -> None:
    Persona.objects.filter(pk=persona_id, status=Persona.Status.PENDING).update(
        status=Persona.Status.FAILED, error=str(MSG_LEARNING_STOPPED)
    )


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
        check = persona.voice_check
        persona.delete()
        # The consent recording goes with its persona, unless it is in use elsewhere; the check's
        # record (phrase, similarity, time) stays.
        if (
            check is not None
            and check.recording is not None
            and not _recording_used_elsewhere(check.recording, check=check)
        ):
            clip_services.clip_delete(clip=check.recording)
    return count
