"""Clips: what a songwriter can do with their audio."""

from __future__ import annotations

import io
import logging
import math
import mimetypes
import os
import posixpath
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personastudio import quotas, uploads
from personastudio.accounts.services import provider_for
from personastudio.background import enqueue_on_commit
from personastudio.contract.errors import MusicApiError, NotFound
from personastudio.contract.provider import MusicProvider
from personastudio.contract.types import TrackFile
from personastudio.contract.types import TrackPart as ProviderTrackPart
from personastudio.media_files import local_copy
from personastudio.providers import registry as providers
from personastudio.text import one_line

from .models import Clip, TrackPart, clock_label, format_region

logger = logging.getLogger(__name__)

# The rate a clip is decoded at to check it, draw its waveform and find its voice.
CLIP_ANALYSIS_SR_HZ = 22050
MSG_TOO_BIG = _("This file is larger than {limit} MB. Trim it or export it as MP3, then upload again.")
# The engine's decoder says these in English for API clients; the studio says them in the user's language.
MSG_NOT_AUDIO = _("This file doesn't look like audio we can read. Please upload WAV, MP3, FLAC, OGG, WebM or M4A.")
MSG_NO_SOUND = _("This file holds no sound we can read: it may be empty or cut short.")
MSG_TOO_LONG = _("This audio is {length} long; clips can be at most {limit}. Trim it and upload again.")
MSG_TOO_MANY_CHANNELS = _(
    "This file has {channels} audio channels; clips can have at most {limit}. Mix it down to stereo and upload again."
)
MSG_SAMPLE_RATE_TOO_HIGH = _(
    "This file's sample rate is {rate} kHz; clips can be at most {limit} kHz. Export it at 48 kHz and upload again."
)
MSG_TOO_MUCH_AUDIO = _(
    "This file holds too much audio to read: {channels} channels at {rate} kHz for {length}. "
    "Export it as stereo at 48 kHz and upload again."
)
MSG_NEEDS_PUBLIC_URL = _(
    "A hosted music service fetches your clip from this app by URL, so the app needs a public "
    "address: set PUBLIC_BASE_URL (e.g. https://studio.example.com) and restart."
)
SHARED_URL_SALT = "clips.shared-audio"
SHARED_URL_MAX_AGE_S = 3600
MSG_SEPARATION_BUSY = _("The vocals of this clip are already being separated.")
MSG_SEPARATION_OF_STEM = _("This clip is already a stem; separate its parent clip instead.")
MSG_SEPARATION_FAILED = _("Separation failed: {reason}")
MSG_SEPARATION_FAILED_UNEXPECTEDLY = _("Separation failed unexpectedly. Please try again.")
MSG_SEPARATION_STOPPED = _("Separation stopped unexpectedly. Please try again.")

# A region of a clip (the waveform selection on the clip page), in seconds.
MSG_REGION_NOT_A_NUMBER = _("Type the region's start and end in seconds, e.g. 12.5.")
MSG_REGION_BEFORE_START = _("A region can't start before 0:00.")
MSG_REGION_START_PAST_END = _("This clip is {length} long: start the region before {length}.")
MSG_REGION_PAST_END = _("This clip is {length} long: end the region at {length} or earlier.")
MSG_REGION_BACKWARDS = _("The region must end after it starts: make the end later than {start}.")
MSG_SEPARATION_REGION_TOO_SHORT = _("Select at least 1 second to separate; this region is {seconds} seconds long.")
SEPARATION_MIN_S = 1.0  # the contract's stem endpoint refuses less
# Number inputs and drags round to a tenth: a hair past either end means that end.
REGION_SLACK_S = 0.05


class ClipRejected(Exception):
    """An upload we cannot keep; the message is for the songwriter."""


class RegionRejected(ClipRejected):
    """A region we will not use; `field` names the input the sentence belongs next to."""

    def __init__(self, message, *, field: str = "vocal_end_s"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Region:
    start_s: float
    end_s: float

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def label(self) -> str:
        return format_region(self.start_s, self.end_s)


def clip_get_for_user(*, user: AbstractBaseUser, clip_id) -> Clip:
    """Another user's clip is a 404, by construction."""
    return get_object_or_404(Clip, id=clip_id, owner=user)


def clip_create(
    *,
    owner: AbstractBaseUser,
    title: str,
    data: bytes,
    filename: str,
    kind: str = Clip.Kind.UPLOAD,
    measured: dict | None = None,
    **fields,
) -> Clip:
    """Keep audio as a clip: decode it once to check it and to measure it, store the original privately.

    `measured` (duration_s, sample_rate, channels, peaks, voiced_s): a generated track the built-in engine
    measured as it rendered it, kept as it is without decoding it again."""
    if measured is not None and kind == Clip.Kind.GENERATED:
        return _clip_store(
            owner=owner,
            title=title,
            data=data,
            filename=filename,
            kind=kind,
            **{name: measured[name] for name in MEASURES},
            **fields,
        )
    from personastudio.engine.dsp import audio_io, profile  # loaded where audio is decoded, not in every web process

    from_user = kind in (Clip.Kind.UPLOAD, Clip.Kind.RECORDING, Clip.Kind.VERIFICATION)
    limit_mb = settings.CLIP_MAX_UPLOAD_MB
    if from_user and len(data) > limit_mb * 1024 * 1024:
        raise ClipRejected(MSG_TOO_BIG.format(limit=limit_mb))
    # What the user brings is held to the upload limit; songs are bounded by SONG_MAX_DURATION_S, which
    # extensions respect up front (generations.services.extend_problem).
    max_duration_s = settings.CLIP_MAX_DURATION_S if from_user else settings.SONG_MAX_DURATION_S
    try:
        # Channels, sample rate and length are checked on the headers before decoding, and per frame after.
        samples, info = audio_io.decode(
            io.BytesIO(data), sr=CLIP_ANALYSIS_SR_HZ, limits=uploads.decode_limits(max_duration_s=max_duration_s)
        )
    except audio_io.AudioTooLongError as exc:
        raise ClipRejected(
            MSG_TOO_LONG.format(length=_spoken_duration(exc.duration_s), limit=_spoken_duration(max_duration_s))
        ) from exc
    except audio_io.TooManyChannelsError as exc:
        raise ClipRejected(MSG_TOO_MANY_CHANNELS.format(channels=exc.channels, limit=exc.max_channels)) from exc
    except audio_io.SampleRateTooHighError as exc:
        raise ClipRejected(
            MSG_SAMPLE_RATE_TOO_HIGH.format(rate=_khz(exc.sample_rate_hz), limit=_khz(exc.max_sample_rate_hz))
        ) from exc
    except audio_io.TooMuchAudioError as exc:
        raise ClipRejected(
            MSG_TOO_MUCH_AUDIO.format(
                channels=exc.channels, rate=_khz(exc.sample_rate_hz), length=_spoken_duration(exc.duration_s)
            )
        ) from exc
    except audio_io.NoSoundError as exc:
        raise ClipRejected(MSG_NO_SOUND) from exc
    except audio_io.AudioDecodeError as exc:
        raise ClipRejected(MSG_NOT_AUDIO) from exc
    return _clip_store(
        owner=owner,
        title=title,
        data=data,
        filename=filename,
        kind=kind,
        duration_s=info.duration_s,
        sample_rate=info.sample_rate,
        channels=info.channels,
        peaks=audio_io.waveform_peaks(samples),
        voiced_s=profile.voice_profile(samples, sr=CLIP_ANALYSIS_SR_HZ).voiced_s,
        **fields,
    )


MEASURES = ("duration_s", "sample_rate", "channels", "peaks", "voiced_s")


def _clip_store(*, owner: AbstractBaseUser, title: str, data: bytes, filename: str, kind: str, **fields) -> Clip:
    suffix = PurePath(filename).suffix.lower() or ".audio"
    clip = Clip(
        owner=owner,
        title=(one_line(title) or PurePath(filename).stem or gettext("Untitled"))[:200],
        kind=kind,
        content_type=mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream",
        **fields,
    )
    clip.audio.save(f"original{suffix}", ContentFile(data), save=False)
    clip.save()
    return clip


def _khz(rate_hz: int) -> str:
    """192000 -> '192', 44100 -> '44.1'."""
    return f"{rate_hz / 1000:g}"


def _spoken_duration(seconds: float) -> str:
    """8 -> '8 seconds', 600 -> '10 minutes', 150 -> '2.5 minutes'."""
    if seconds < 90:
        return gettext("{seconds} seconds").format(seconds=f"{seconds:.0f}")
    return gettext("{minutes} minutes").format(minutes=f"{seconds / 60:.3g}")


def clip_sings_engine_voice_only(clip: Clip) -> bool:
    """A track this app generated (or a stem of one) that continues no one's upload: the voice in it
    is the engine's, so a persona of it needs no consent. Anything else may be a person's voice."""
    seen = set()
    while clip is not None and clip.pk not in seen:
        seen.add(clip.pk)
        if clip.kind == Clip.Kind.GENERATED:
            song = clip.generation
            if song is None:
                return False
            if not song.is_extension:
                return True
            clip = song.continue_clip  # an extension sings on over what it continues
        elif clip.kind in (Clip.Kind.VOCALS, Clip.Kind.INSTRUMENTAL):
            clip = clip.parent
        else:
            return False
    return False


def clip_decode(*, clip: Clip, sr: int = CLIP_ANALYSIS_SR_HZ):
    from personastudio.engine.dsp import audio_io

    with clip.audio.open("rb") as audio_file:
        samples, _ = audio_io.decode(audio_file, sr=sr)
    return samples


def clip_remote_id(*, clip: Clip, provider: MusicProvider) -> str:
    """The clip's id at `provider`, handing the audio over the first time it is needed there.

    Our own copy is the source of truth, so a clip can move to any provider: one whose registry entry
    takes a "file" gets it handed over; one that takes a "url" fetches it from a short-lived signed URL.
    """
    if clip.remote_id and providers.same_provider(clip, provider.name, provider.base_url):
        return clip.remote_id
    capabilities = providers.spec(provider.name)
    if capabilities.needs_public_url and not settings.PUBLIC_BASE_URL:  # it could never reach us
        raise MusicApiError(MSG_NEEDS_PUBLIC_URL)
    if capabilities.clip_handover == "file":
        # The contract hands over a file: a temporary local copy, since the audio may live in a bucket.
        with local_copy(clip.audio.storage, clip.audio.name) as audio_path:
            result = provider.upload_file(audio_path, filename=PurePath(clip.audio.name).name)
    else:
        result = provider.upload_url(clip_public_url(clip=clip))
    Clip.objects.filter(pk=clip.pk).update(
        remote_id=result.clip_id, provider=provider.name, provider_url=provider.base_url
    )
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


def clip_region(*, clip: Clip, start_s: float | None, end_s: float | None) -> Region | None:
    """The part of `clip` between start_s and end_s, checked against the clip; None means the whole clip.

    A missing start is 0:00 and a missing end is the clip's end; a region that covers the
    whole clip is the whole clip (None), so "which part" is only ever said when it matters.
    """
    if start_s is None and end_s is None:
        return None
    duration = clip.duration_s
    start = 0.0 if start_s is None else float(start_s)
    end = duration if end_s is None else float(end_s)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RegionRejected(MSG_REGION_NOT_A_NUMBER)
    if start < -REGION_SLACK_S:
        raise RegionRejected(MSG_REGION_BEFORE_START, field="vocal_start_s")
    if start >= duration:
        raise RegionRejected(MSG_REGION_START_PAST_END.format(length=clock_label(duration)), field="vocal_start_s")
    if end > duration + REGION_SLACK_S:
        raise RegionRejected(MSG_REGION_PAST_END.format(length=clock_label(duration)))
    start, end = max(start, 0.0), min(end, duration)
    if end <= start:
        raise RegionRejected(MSG_REGION_BACKWARDS.format(start=clock_label(start)))
    if start <= REGION_SLACK_S and end >= duration - REGION_SLACK_S:
        return None
    return Region(round(start, 2), round(end, 2))


def clip_region_voiced_s(*, clip: Clip, region: Region | None, enough_s: float | None = None) -> float:
    """Seconds of singing or speech in a region of the clip (the whole clip when region is None).

    Measured on the decoded audio as the clip's own voiced_s is; with `enough_s` it stops
    counting once that much is found, so checking a long region stays quick.
    """
    if region is None:
        return clip.voiced_s
    from personastudio.engine.dsp import profile

    sr = profile.PROFILE_SR_HZ
    samples = clip_decode(clip=clip, sr=sr)[int(region.start_s * sr) : int(region.end_s * sr)]
    chunk = 30 * sr
    voiced_s = 0.0
    for start in range(0, len(samples), chunk):
        voiced_s += profile.voiced_seconds(samples[start : start + chunk], sr=sr)
        if enough_s is not None and voiced_s >= enough_s:
            break
    return round(voiced_s, 2)


def clip_request_separation(
    *, clip: Clip, vocal_start_s: float | None = None, vocal_end_s: float | None = None
) -> None:
    """Queue "Separate vocals" for the whole clip or a region of it; a second click while it runs does nothing.

    Past the account's separation quota: RegionRejected with the sentence saying when the next can start."""
    from .tasks import separate_clip

    if clip.kind in (Clip.Kind.VOCALS, Clip.Kind.INSTRUMENTAL):
        raise ClipRejected(MSG_SEPARATION_OF_STEM)
    region = clip_region(clip=clip, start_s=vocal_start_s, end_s=vocal_end_s)
    if region is not None and region.length_s < SEPARATION_MIN_S:
        raise RegionRejected(MSG_SEPARATION_REGION_TOO_SHORT.format(seconds=f"{region.length_s:.1f}"))
    wanted = (region.start_s, region.end_s) if region else (None, None)
    with transaction.atomic():
        if (clip.separation_start_s, clip.separation_end_s) != wanted:
            _set_leftover_stems_apart(clip)
        claimed = (
            Clip.objects.filter(pk=clip.pk)
            .exclude(separation_status__in=[Clip.Separation.PROCESSING, Clip.Separation.COMPLETE])
            .update(
                separation_status=Clip.Separation.PROCESSING,
                separation_error="",
                separation_start_s=region.start_s if region else None,
                separation_end_s=region.end_s if region else None,
            )
        )
        if not claimed:
            raise ClipRejected(MSG_SEPARATION_BUSY)
        try:
            quotas.studio_require(clip.owner, quotas.Kind.SEPARATIONS, besides=clip)
        except quotas.QuotaReached as exc:  # the claim rolls back: nothing is stored
            raise RegionRejected(str(exc), field=NON_FIELD_ERRORS) from exc
        enqueue_on_commit(separate_clip, str(clip.pk), owner_id=clip.owner_id)
    clip.refresh_from_db()


def _set_leftover_stems_apart(clip: Clip) -> None:
    """A failed separation may have kept one stem; a new one of another region must not pair with it.

    The leftover stays in the library as a clip of its own (its title names its region): a
    persona or a song may use it, and nothing the user has is deleted without asking."""
    if clip.separation_status in (Clip.Separation.PROCESSING, Clip.Separation.COMPLETE):
        return  # the claim below refuses anyway
    clip.stems.update(parent=None)


def clip_separate(*, clip_id: str) -> None:
    """The worker's part of "Separate vocals": ask the provider for stems (of the region) and keep both as clips."""
    clip = Clip.objects.filter(pk=clip_id, separation_status=Clip.Separation.PROCESSING).first()
    if clip is None:
        return
    try:
        provider = provider_for(clip.owner)
        stem = provider.stem(
            clip_id=clip_remote_id(clip=clip, provider=provider),
            vocal_start_s=clip.separation_start_s or 0.0,
            vocal_end_s=clip.separation_end_s,
        )
        parts = [(Clip.Kind.VOCALS, stem.vocal_audio_url, stem.vocal_clip_id)]
        if stem.instrumental_audio_url:
            parts.append((Clip.Kind.INSTRUMENTAL, stem.instrumental_audio_url, stem.instrumental_clip_id))
        for kind, url, remote_id in parts:
            if clip.stems.filter(kind=kind).exists():
                continue
            title = f"{clip.title} — {str(Clip.Kind(kind).label).lower()}"
            if clip.separation_region:
                title = f"{title} ({clip.separation_region_label})"
            try:
                clip_create(
                    owner=clip.owner,
                    title=title,
                    data=provider.fetch_audio(url),
                    filename=f"{kind}.mp3",
                    kind=kind,
                    parent=clip,
                    provider=provider.name,
                    provider_url=provider.base_url,
                    remote_id=remote_id,
                )
            except IntegrityError:
                pass  # a concurrent run kept it already
    except (MusicApiError, ClipRejected) as exc:
        message = getattr(exc, "message", str(exc))
        _separation_failed(clip, MSG_SEPARATION_FAILED.format(reason=message))
        return
    except Exception:
        logger.exception("Separating clip %s failed", clip.pk)
        _separation_failed(clip, str(MSG_SEPARATION_FAILED_UNEXPECTEDLY))
        return
    Clip.objects.filter(pk=clip.pk).update(separation_status=Clip.Separation.COMPLETE)


def _separation_failed(clip: Clip, message: str) -> None:
    Clip.objects.filter(pk=clip.pk).update(separation_status=Clip.Separation.FAILED, separation_error=message)


def clip_separation_lost(clip_id: str) -> None:
    Clip.objects.filter(pk=clip_id, separation_status=Clip.Separation.PROCESSING).update(
        separation_status=Clip.Separation.FAILED, separation_error=str(MSG_SEPARATION_STOPPED)
    )


# Downloads.

SHEET_FORMATS = ("midi", "musicxml")


def clip_sheet(*, clip: Clip, sheet_format: str) -> TrackFile | None:
    """A generated track's MIDI file or MusicXML lead sheet, from the provider that made it; None when
    there is no score (a track of a hosted service, an extension, or not a generated track at all)."""
    if sheet_format not in SHEET_FORMATS or clip.kind != Clip.Kind.GENERATED or not clip.remote_id:
        return None
    try:
        return provider_for(clip.owner, made_on=clip).sheet(clip_id=clip.remote_id, sheet_format=sheet_format)
    except NotFound:  # the engine keeps no score for this track (an extension)
        return None


def track_parts_save(*, clip: Clip, provider: MusicProvider, measured: dict | None = None) -> int:
    """Keep a generated track's per-instrument stems beside it, once; returns how many it has now.

    A provider without them (a hosted service) keeps none; the page says so. `measured` ({name: {"duration_s",
    "peaks"}}): what the built-in engine measured of each stem as it rendered it, so that one is not decoded.
    """
    from personastudio.engine.dsp import audio_io

    if clip.kind != Clip.Kind.GENERATED or not clip.remote_id or clip.parts.exists():
        return clip.parts.count()
    try:
        found: list[ProviderTrackPart] = provider.parts(clip_id=clip.remote_id) or []
    except NotFound:
        found = []
    for position, part in enumerate(found):
        known = (measured or {}).get(part.name)
        if known is None:
            samples, info = audio_io.decode(io.BytesIO(part.audio.data), sr=CLIP_ANALYSIS_SR_HZ)
            known = {"duration_s": info.duration_s, "peaks": audio_io.waveform_peaks(samples)}
        kept = TrackPart(
            track=clip, name=part.name[:32], position=position, duration_s=known["duration_s"], peaks=known["peaks"]
        )
        kept.audio.save(f"{slugify(part.name) or 'part'}.flac", ContentFile(part.audio.data), save=False)
        try:
            with transaction.atomic():
                kept.save()
        except IntegrityError:  # a concurrent run kept it
            kept.audio.storage.delete(kept.audio.name)
    return clip.parts.count()


def track_part_get(*, clip: Clip, part_id) -> TrackPart:
    return get_object_or_404(TrackPart, track=clip, pk=part_id)


def track_part_download_name(*, part: TrackPart, extension: str) -> str:
    """`Title - part.wav`, as a session musician expects stems to be named."""
    return f"{part.track.title} - {part.name}.{extension}"


def track_part_wav_file(*, part: TrackPart):
    return _wav_file(part.audio)


def track_parts_zip(*, clip: Clip):
    """Every stem of the track as WAV (`Title - part.wav`) in one zip, in a temporary file the caller closes."""
    out = tempfile.TemporaryFile(suffix=".zip")
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for part in clip.parts.all():
                with track_part_wav_file(part=part) as wav:
                    with archive.open(
                        track_part_download_name(part=part, extension="wav"), "w", force_zip64=True
                    ) as entry:
                        shutil.copyfileobj(wav, entry)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def clip_download_name(*, clip: Clip, extension: str | None = None) -> str:
    """The file name a download is saved as: the clip's title and the format's extension."""
    return f"{clip.title}.{extension or clip.extension}"


def clip_wav_file(*, clip: Clip):
    """The clip transcoded to 16-bit PCM WAV at its own sample rate and channels, in a temporary file.

    Made on request rather than stored: a WAV is ten times the MP3 and is rarely asked for.
    The caller streams the file and closes it (which deletes it).
    """
    return _wav_file(clip.audio)


def _wav_file(audio):
    """The stored audio file `audio` as 16-bit PCM WAV at its own rate and channels, in a temporary file."""
    import av

    out = tempfile.TemporaryFile(suffix=".wav")
    try:
        with audio.open("rb") as source, av.open(source, mode="r") as container:
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or 44100)
            layout = "stereo" if (stream.codec_context.channels or 1) >= 2 else "mono"
            resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
            with av.open(out, mode="w", format="wav") as wav:
                wav_stream = wav.add_stream("pcm_s16le", rate=rate, layout=layout)
                for frame in container.decode(stream):
                    for resampled in resampler.resample(frame):
                        wav.mux(wav_stream.encode(resampled))
                for resampled in resampler.resample(None):
                    wav.mux(wav_stream.encode(resampled))
                wav.mux(wav_stream.encode(None))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


# Rename and delete (the library pages).

MSG_TITLE_EMPTY = _("Give the clip a title.")
MSG_TITLE_TOO_LONG = _("A clip's title can be at most 200 characters; this one has {length}.")
MSG_DELETE_WHILE_SEPARATING = _(
    "The vocals of this clip are being separated right now; delete it once that has finished."
)


def clip_rename(*, clip: Clip, title: str) -> Clip:
    """A new title, 1 to 200 characters after trimming; ClipRejected says what is wrong."""
    title = one_line(title)
    if not title:
        raise ClipRejected(MSG_TITLE_EMPTY)
    if len(title) > 200:
        raise ClipRejected(MSG_TITLE_TOO_LONG.format(length=len(title)))
    Clip.objects.filter(pk=clip.pk).update(title=title)
    clip.title = title
    return clip


def clip_toggle_favourite(*, clip: Clip) -> Clip:
    Clip.objects.filter(pk=clip.pk).update(favourite=not clip.favourite)
    clip.refresh_from_db(fields=["favourite"])
    return clip


def clip_dependents(*, clip: Clip) -> dict:
    """What deleting this clip touches.

    stems: deleted with it. personas: learned from it or from its stems; they stay, their source
    shown as deleted (Persona.source_clip is SET_NULL). song: the song this clip is a track of; it
    stays, with its other tracks (Clip.generation is SET_NULL).
    """
    persona = Clip._meta.get_field("personas").related_model  # Persona.source_clip's model, not imported here
    stems = list(clip.stems.all())
    personas = list(persona.objects.filter(source_clip__in=[clip, *stems]).select_related("source_clip"))
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
        # A track's per-instrument stems first, then the clips' own audio.
        files = [(p.audio.storage, p.audio.name) for p in TrackPart.objects.filter(track__in=doomed) if p.audio.name]
        files += [(c.audio.storage, c.audio.name) for c in doomed if c.audio.name]
        Clip.objects.filter(pk__in=[c.pk for c in doomed]).delete()
        transaction.on_commit(lambda: _delete_files(files))
    return dependents


def _delete_files(files) -> None:
    """Delete through the storage API (local disk or bucket), then tidy a local folder left empty."""
    for storage, name in files:
        try:
            storage.delete(name)
            _remove_empty_local_folder(storage, posixpath.dirname(name))
        except Exception:  # OSError on disk, botocore's errors for a bucket: the rows are gone either way
            logger.warning("Could not remove the audio file %s of a deleted clip", name, exc_info=True)


def _remove_empty_local_folder(storage, folder: str) -> None:
    """Only the local disk has folders to tidy (a bucket's "folders" go with their last object); whether the
    folder is empty is asked through the storage API."""
    if (
        isinstance(storage, FileSystemStorage)
        and folder
        and storage.exists(folder)
        and storage.listdir(folder) == ([], [])
    ):
        os.rmdir(storage.path(folder))
