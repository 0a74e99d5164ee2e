"""Clips: what a songwriter can do with their audio."""

from __future__ import annotations

import io
import logging
import mimetypes
import os
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from personastudio.background import enqueue_on_commit
from personastudio.engine.dsp import audio_io, profile
from personastudio.musicapi.errors import MusicApiError
from personastudio.musicapi.base import MusicProvider
from personastudio.musicapi.providers import provider_for, same_provider

from .models import Clip

logger = logging.getLogger(__name__)

ANALYSIS_SR = 22050
MSG_TOO_BIG = "This file is larger than {limit} MB. Trim it or export it as MP3, then upload again."
MSG_TOO_LONG = "This audio is {length} long; clips can be at most {limit}. Trim it and upload again."
MSG_NEEDS_PUBLIC_URL = ("A hosted music service fetches your clip from this app by URL, so the app needs a public "
                        "address: set PUBLIC_BASE_URL (e.g. https://studio.example.com) and restart.")
SHARED_URL_SALT = "clips.shared-audio"
SHARED_URL_MAX_AGE_S = 3600
MSG_SEPARATION_BUSY = "The vocals of this clip are already being separated."
MSG_SEPARATION_OF_STEM = "This clip is already a stem; separate its parent clip instead."


class ClipRejected(Exception):
    """An upload we cannot keep; the message is for the songwriter."""


def clip_get_for_user(*, user: AbstractBaseUser, clip_id) -> Clip:
    """Another user's clip is a 404, by construction."""
    return get_object_or_404(Clip, id=clip_id, owner=user)


def clip_create(*, owner: AbstractBaseUser, title: str, data: bytes, filename: str,
                kind: str = Clip.Kind.UPLOAD, **fields) -> Clip:
    """Keep audio as a clip: decode it once to check it and to measure it, store the original privately."""
    limit_mb = settings.CLIP_MAX_UPLOAD_MB
    if len(data) > limit_mb * 1024 * 1024:
        raise ClipRejected(MSG_TOO_BIG.format(limit=limit_mb))
    try:
        samples, info = audio_io.decode(io.BytesIO(data), sr=ANALYSIS_SR, max_duration_s=settings.CLIP_MAX_DURATION_S)
    except audio_io.AudioTooLongError as exc:
        raise ClipRejected(MSG_TOO_LONG.format(length=_spoken_duration(exc.duration_s),
                                               limit=_spoken_duration(settings.CLIP_MAX_DURATION_S))) from exc
    except audio_io.AudioDecodeError as exc:
        raise ClipRejected(str(exc)) from exc
    suffix = PurePath(filename).suffix.lower() or ".audio"
    clip = Clip(
        owner=owner, title=(title.strip() or PurePath(filename).stem or "Untitled")[:200], kind=kind,
        content_type=mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream",
        duration_s=info.duration_s, sample_rate=info.sample_rate, channels=info.channels,
        peaks=audio_io.waveform_peaks(samples), voiced_s=profile.voice_profile(samples, sr=ANALYSIS_SR).voiced_s,
        **fields,
    )
    clip.audio.save(f"original{suffix}", ContentFile(data), save=False)
    clip.save()
    return clip


def _spoken_duration(seconds: float) -> str:
    """8 -> '8 seconds', 600 -> '10 minutes', 150 -> '2.5 minutes'."""
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.3g} minutes"


def clip_decode(*, clip: Clip, sr: int = ANALYSIS_SR):
    with clip.audio.open("rb") as audio_file:
        samples, _ = audio_io.decode(audio_file, sr=sr)
    return samples


def clip_remote_id(*, clip: Clip, provider: MusicProvider) -> str:
    """The clip's id at `provider`, handing the audio over the first time it is needed there.

    Our own copy is the source of truth, so a clip can move to any provider: the built-in
    engine takes the file; a hosted service fetches it from a short-lived signed URL.
    """
    if clip.remote_id and same_provider(clip, provider.name, provider.base_url):
        return clip.remote_id
    if provider.name == "local":
        result = provider.upload_file(PurePath(clip.audio.path), filename=PurePath(clip.audio.name).name)
    else:
        result = provider.upload_url(clip_public_url(clip=clip))
    Clip.objects.filter(pk=clip.pk).update(remote_id=result.clip_id, provider=provider.name,
                                           provider_url=provider.base_url)
    clip.remote_id, clip.provider, clip.provider_url = result.clip_id, provider.name, provider.base_url
    return clip.remote_id


def clip_public_url(*, clip: Clip) -> str:
    """A URL a hosted service can fetch the clip from, valid for SHARED_URL_MAX_AGE_S."""
    if not settings.PUBLIC_BASE_URL:
        raise MusicApiError(MSG_NEEDS_PUBLIC_URL)
    token = signing.dumps(str(clip.pk), salt=SHARED_URL_SALT)
    return settings.PUBLIC_BASE_URL + reverse("clips:shared", args=[token])


def clip_from_shared_token(token: str) -> Clip:
    """The clip a signed URL names; Http404 when the token is forged or expired."""
    try:
        clip_id = signing.loads(token, salt=SHARED_URL_SALT, max_age=SHARED_URL_MAX_AGE_S)
    except signing.BadSignature as exc:
        raise Http404("This link has expired or is not valid.") from exc
    return get_object_or_404(Clip, pk=clip_id)


def clip_request_separation(*, clip: Clip) -> None:
    """Queue "Separate vocals"; a second click while it runs does nothing."""
    from .tasks import separate_clip

    if clip.kind in (Clip.Kind.VOCALS, Clip.Kind.INSTRUMENTAL):
        raise ClipRejected(MSG_SEPARATION_OF_STEM)
    with transaction.atomic():
        claimed = Clip.objects.filter(pk=clip.pk).exclude(
            separation_status__in=[Clip.Separation.PROCESSING, Clip.Separation.COMPLETE]
        ).update(separation_status=Clip.Separation.PROCESSING, separation_error="")
        if not claimed:
            raise ClipRejected(MSG_SEPARATION_BUSY)
        enqueue_on_commit(separate_clip, str(clip.pk))
    clip.refresh_from_db()


def clip_separate(*, clip_id: str) -> None:
    """The worker's part of "Separate vocals": ask the provider for stems and keep both as clips."""
    clip = Clip.objects.filter(pk=clip_id, separation_status=Clip.Separation.PROCESSING).first()
    if clip is None:
        return
    try:
        provider = provider_for(clip.owner)
        stem = provider.stem(clip_id=clip_remote_id(clip=clip, provider=provider))
        parts = [(Clip.Kind.VOCALS, stem.vocal_audio_url, stem.vocal_clip_id)]
        if stem.instrumental_audio_url:
            parts.append((Clip.Kind.INSTRUMENTAL, stem.instrumental_audio_url, stem.instrumental_clip_id))
        for kind, url, remote_id in parts:
            if clip.stems.filter(kind=kind).exists():
                continue
            try:
                clip_create(owner=clip.owner, title=f"{clip.title} — {Clip.Kind(kind).label.lower()}",
                            data=provider.fetch_audio(url), filename=f"{kind}.mp3", kind=kind, parent=clip,
                            provider=provider.name, provider_url=provider.base_url, remote_id=remote_id)
            except IntegrityError:
                pass  # a concurrent run kept it already
    except (MusicApiError, ClipRejected) as exc:
        message = getattr(exc, "message", str(exc))
        _separation_failed(clip, f"Separation failed: {message}")
        return
    except Exception:
        logger.exception("Separating clip %s failed", clip.pk)
        _separation_failed(clip, "Separation failed unexpectedly. Please try again.")
        return
    Clip.objects.filter(pk=clip.pk).update(separation_status=Clip.Separation.COMPLETE)


def _separation_failed(clip: Clip, message: str) -> None:
    Clip.objects.filter(pk=clip.pk).update(separation_status=Clip.Separation.FAILED, separation_error=message)


def clip_separation_lost(clip_id: str) -> None:
    Clip.objects.filter(pk=clip_id, separation_status=Clip.Separation.PROCESSING).update(
        separation_status=Clip.Separation.FAILED,
        separation_error="Separation stopped unexpectedly. Please try again.")


# Rename and delete (the library pages).

MSG_TITLE_EMPTY = "Give the clip a title."
MSG_TITLE_TOO_LONG = "A clip's title can be at most 200 characters; this one has {length}."
MSG_DELETE_WHILE_SEPARATING = ("The vocals of this clip are being separated right now; "
                               "delete it once that has finished.")


def clip_rename(*, clip: Clip, title: str) -> Clip:
    """A new title, 1 to 200 characters after trimming; ClipRejected says what is wrong."""
    title = (title or "").strip()
    if not title:
        raise ClipRejected(MSG_TITLE_EMPTY)
    if len(title) > 200:
        raise ClipRejected(MSG_TITLE_TOO_LONG.format(length=len(title)))
    Clip.objects.filter(pk=clip.pk).update(title=title)
    clip.title = title
    return clip


def clip_dependents(*, clip: Clip) -> dict:
    """What deleting this clip touches.

    stems: deleted with it. personas: learned from it or from its stems; they stay, their source
    shown as deleted (Persona.source_clip is SET_NULL). song: the song this clip is a track of; it
    stays, with its other tracks (Clip.generation is SET_NULL).
    """
    from personastudio.personas.models import Persona

    stems = list(clip.stems.all())
    personas = list(Persona.objects.filter(source_clip__in=[clip, *stems]).select_related("source_clip"))
    return {"stems": stems, "personas": personas, "song": clip.generation}


def clip_delete(*, clip: Clip) -> dict:
    """Delete a clip and its stems, and their audio files once the deletion is committed.

    Clip.parent is SET_NULL, so the stems are deleted here explicitly. Personas and songs stay.
    Returns what it touched (see clip_dependents).
    """
    if clip.separation_status == Clip.Separation.PROCESSING:
        raise ClipRejected(MSG_DELETE_WHILE_SEPARATING)
    with transaction.atomic():
        dependents = clip_dependents(clip=clip)
        doomed = [*dependents["stems"], clip]
        files = [(c.audio.storage, c.audio.name) for c in doomed if c.audio.name]
        Clip.objects.filter(pk__in=[c.pk for c in doomed]).delete()
        transaction.on_commit(lambda: _delete_files(files))
    return dependents


def _delete_files(files) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
            directory = os.path.dirname(storage.path(name))
            if os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)
        except NotImplementedError:
            pass  # a storage without local paths: the file is gone, the folder is not ours to tidy
        except OSError:
            logger.warning("Could not remove the audio file %s of a deleted clip", name, exc_info=True)


def clip_search(*, owner: AbstractBaseUser, q: str = "", kind: str = ""):
    """The clips list: the owner's clips, optionally of one kind and with the words of `q` in the title."""
    clips = Clip.objects.filter(owner=owner).select_related("parent", "generation")
    if kind in Clip.Kind.values:
        clips = clips.filter(kind=kind)
    for word in (q or "").split():
        clips = clips.filter(title__icontains=word)
    return clips
