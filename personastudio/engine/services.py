"""What the built-in engine does. The /api/v1/ views and the local provider both call these.

Functions take and return engine records or contract types and raise the
contract's errors (contract.errors), so the HTTP layer only has to wrap them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import logging
import math
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext

from personastudio import uploads
from personastudio.background import enqueue_on_commit
from personastudio.contract.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    UnprocessableAudio,
    VoiceNotMatched,
)
from personastudio.contract.types import (
    PERSONA_INFLUENCE_DEFAULT,
    TASK_STATUS_CODES,
    GenerateRequest,
    PersonaResult,
    ResultItem,
    StemResult,
    TaskInfo,
    TaskPage,
    TrackFile,
    TrackPart,
    UploadResult,
)

from . import url_download
from .models import ApiKey, EngineClip, EnginePersona, EngineStem, EngineTask, EngineVoiceCheck, engine_clip_path
from .progress import RenderProgress, Throttled

# The DSP (numpy, scipy, pyworld, librosa, the voice models) is imported inside the functions that run it,
# so a web process that only answers the API's reads and queues work never loads it.
from .voice import consent_phrases, thresholds

if TYPE_CHECKING:
    import numpy as np

    from .dsp import audio_io, composer, extend

logger = logging.getLogger(__name__)

KEY_PREFIX = "sk-mm-"
VARIANTS_PER_GENERATION = 2
# The rate the engine decodes a clip at to learn a persona or check a voice.
ENGINE_ANALYSIS_SR_HZ = 22050

MSG_TOO_LITTLE_VOICE = (
    "This clip has only {voiced:.0f} seconds of singing or speech; a persona needs at least "
    "{minimum:.0f}. Separate the vocals first and use a clip with 30 seconds or more of clear singing."
)
MSG_NEEDS_VOICE_CHECK = (
    "This clip is an upload, so a persona of its voice needs that voice's consent: get a phrase from "
    "GET /api/v1/music/persona/phrase?lang=en (or zh), record the clip's singer singing it, upload the "
    "recording with music/upload and send its clipId as 'verification_clip_id'."
)
MSG_VOICE_NOT_MATCHED = (
    "The voice singing the phrase does not sound like the voice in the clip (similarity {similarity:.2f}, "
    "{threshold:.2f} needed), so no persona was made. The clip's own singer must sing the phrase."
)
MSG_VOICE_CHECKS_USED = (
    "This key has tried {limit} voice checks in the last hour; the next one can be tried in {minutes} minutes."
)
MSG_PERSONA_NOT_FOUND = "No persona with that id."
MSG_CLIP_NOT_FOUND = "No clip with that id."
MSG_TASK_NOT_FOUND = "No task with that id."
MAX_TASK_PAGE = 1_000_000
MAX_TASK_PAGE_SIZE = 100
PERSONA_NAME_MAX_CHARS = 100
MSG_CONTINUE_AT = "continue_at must be a whole number of seconds between 1 and the clip's length ({duration})."


# --- keys -------------------------------------------------------------------


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def key_create(*, user: AbstractBaseUser) -> str:
    """Make a new `sk-mm-` key for `user`; the raw key is returned once and never stored."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiKey.objects.create(user=user, key_hash=_hash_key(raw_key), prefix=raw_key[:10])
    return raw_key


def key_authenticate(raw_key: str) -> AbstractBaseUser | None:
    if not raw_key.startswith(KEY_PREFIX):
        return None
    key = ApiKey.objects.select_related("user").filter(key_hash=_hash_key(raw_key)).first()
    if key is None or not key.user.is_active:
        return None
    # Written at most once per API_KEY_LAST_USED_EVERY_S, so most calls are reads: skipped when the row as
    # read is recent, and conditional, so calls racing past that check write once.
    now = timezone.now()
    stale = now - timedelta(seconds=settings.API_KEY_LAST_USED_EVERY_S)
    if key.last_used_at is None or key.last_used_at <= stale:
        ApiKey.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=key.pk).update(
            last_used_at=now
        )
    return key.user


# --- audio URLs -------------------------------------------------------------


def _file_signature(clip_id: str, kind: str, expires_ms: int) -> str:
    return salted_hmac("engine.file", f"{clip_id}:{kind}:{expires_ms}", algorithm="sha256").hexdigest()[:32]


def clip_file_path(clip: EngineClip, *, kind: str = "audio") -> str:
    """A signed path (no host) that serves the clip's audio until it expires."""
    expires_ms = int(clip.expire_at.timestamp() * 1000)
    sig = _file_signature(clip.id, kind, expires_ms)
    return f"/api/v1/files/{clip.id}/{kind}.mp3?exp={expires_ms}&sig={sig}"


def clip_file_from_path(path_or_url: str) -> tuple[EngineClip, str]:
    """The clip and file kind a signed URL points at; NotFound when forged or expired."""
    parts = urlsplit(path_or_url)
    segments = PurePosixPath(parts.path).parts
    query = parse_qs(parts.query)
    try:
        clip_id, filename = segments[-2], segments[-1]
        kind = filename.removesuffix(".mp3")
        expires_ms = int(query["exp"][0])
        sig = query["sig"][0]
    except (IndexError, KeyError, ValueError):
        raise NotFound("No audio at that address.") from None
    if not constant_time_compare(sig, _file_signature(clip_id, kind, expires_ms)):
        raise NotFound("No audio at that address.")
    if expires_ms < time.time() * 1000:
        raise NotFound("That audio link has expired.")
    if kind not in ("audio", "vocals", "band"):
        raise NotFound("No audio at that address.")
    clip = EngineClip.objects.filter(pk=clip_id).first()
    if clip is None or not clip_file_field(clip, kind):  # a signed link to a stem the clip does not have
        raise NotFound("No audio at that address.")
    return clip, kind


def clip_file_field(clip: EngineClip, kind: str):
    return {"audio": clip.audio, "vocals": clip.vocal_stem, "band": clip.band_stem}[kind]


def _cover_signature(clip_id: str, expires_ms: int) -> str:
    return salted_hmac("engine.cover", f"{clip_id}:{expires_ms}", algorithm="sha256").hexdigest()[:32]


def cover_path(clip: EngineClip) -> str:
    """A signed path (no host) to the clip's cover until the clip expires: the title on it is the owner's."""
    expires_ms = int(clip.expire_at.timestamp() * 1000)
    return f"/api/v1/covers/{clip.id}.svg?exp={expires_ms}&sig={_cover_signature(clip.id, expires_ms)}"


def cover_from_path(path_or_url: str) -> EngineClip:
    """The generated clip a signed cover URL points at; NotFound when unsigned, forged or expired."""
    parts = urlsplit(path_or_url)
    query = parse_qs(parts.query)
    try:
        clip_id = PurePosixPath(parts.path).name.removesuffix(".svg")
        expires_ms = int(query["exp"][0])
        sig = query["sig"][0]
    except (KeyError, ValueError):
        raise NotFound("No cover at that address.") from None
    if not constant_time_compare(sig, _cover_signature(clip_id, expires_ms)) or expires_ms < time.time() * 1000:
        raise NotFound("No cover at that address.")
    clip = EngineClip.objects.filter(pk=clip_id, source=EngineClip.Source.GENERATED).first()
    if clip is None:
        raise NotFound("No cover at that address.")
    return clip


def _delete_clip_files(clip: EngineClip) -> None:
    """Remove the files a clip wrote (missing ones are fine)."""
    names = [field.name for field in (clip.audio, clip.vocal_stem, clip.band_stem) if field and field.name]
    names += [part["file"] for part in clip.parts]
    for name in names:
        try:
            clip.audio.storage.delete(name)
        except OSError:
            logger.warning("Could not remove %s", name, exc_info=True)


def _as_file(data, filename: str):
    """A file to store: ``data`` is the encoded bytes, or an open binary file holding them (a long song's)."""
    return ContentFile(data) if isinstance(data, bytes | bytearray) else File(data, name=filename)


def _store_clip(
    clip: EngineClip, files: list[tuple[str, str, bytes]], parts: Iterable[tuple[str, bytes]] = ()
) -> EngineClip:
    """Write a clip's files and its per-instrument stems (`parts`: name, FLAC), then its row; when anything
    fails the files written are removed again. Each file is bytes or an open binary file; `parts` may be a
    generator that encodes each stem as it is asked for, so only one is held at a time."""
    try:
        for field_name, filename, data in files:
            getattr(clip, field_name).save(filename, _as_file(data, filename), save=False)
        for name, data in parts:
            filename = f"part-{slugify(name)}.flac"
            stored = clip.audio.storage.save(engine_clip_path(clip, filename), _as_file(data, filename))
            clip.parts.append({"name": name, "file": stored})
        clip.save()
    except BaseException:
        _delete_clip_files(clip)
        raise
    return clip


def _delete_clips(clips) -> None:
    """Delete clip rows and their files (a failed or re-run render's half-written variants)."""
    for clip in list(clips):
        _delete_clip_files(clip)
        clip.delete()


# --- clips ------------------------------------------------------------------


def _expiry(retention_days: int = 30):
    return timezone.now() + timedelta(days=retention_days)


def clip_import_bytes(
    *,
    owner: AbstractBaseUser,
    data: bytes,
    filename: str = "upload",
    title: str = "",
    max_duration_s: int | None = None,
) -> EngineClip:
    """Keep an uploaded file as an engine clip (stored as MP3, the contract's format).

    API uploads are held to the upload limit; the studio hands over its own songs (which extensions
    grow past it) with `max_duration_s=SONG_MAX_DURATION_S`."""
    from .dsp import audio_io, profile

    if len(data) > settings.ENGINE_UPLOAD_MAX_MB * 1024 * 1024:
        raise PayloadTooLarge(f"The file is larger than {settings.ENGINE_UPLOAD_MAX_MB} MB.")
    try:
        # Refused from the headers before decoding, and decoding stops at the first frame past a limit.
        limits = uploads.decode_limits(max_duration_s=max_duration_s or settings.CLIP_MAX_DURATION_S)
        samples, info = audio_io.decode(io.BytesIO(data), sr=ENGINE_ANALYSIS_SR_HZ, limits=limits)
    except audio_io.AudioDecodeError as exc:
        raise UnprocessableAudio(str(exc)) from exc
    voice = profile.voice_profile(samples, sr=ENGINE_ANALYSIS_SR_HZ)
    clip = EngineClip(
        owner=owner,
        source=EngineClip.Source.UPLOAD,
        title=title or filename[:200],
        duration_s=info.duration_s,
        voiced_s=voice.voiced_s,
        expire_at=_expiry(),
    )
    return _store_clip(clip, [("audio", "audio.mp3", _as_mp3(data, info))])


def _as_mp3(data: bytes, info: audio_io.AudioInfo) -> bytes:
    from .dsp import audio_io

    if info.codec == "mp3":
        return data
    # Re-encode at full quality: the contract promises MP3 at every audio_url.
    full, _ = audio_io.decode(io.BytesIO(data), sr=44100)
    return audio_io.encode_mp3(full, sr=44100)


def clip_import_url(*, owner: AbstractBaseUser, audio_url: str) -> EngineClip:
    """`music/upload`: fetch a public URL (size and time limited, no private addresses; see url_download)."""
    data, filename = url_download.fetch(
        audio_url,
        max_bytes=settings.ENGINE_UPLOAD_MAX_MB * 1024 * 1024,
        timeout_s=settings.ENGINE_UPLOAD_TIMEOUT_S,
        allow_private=settings.ENGINE_UPLOAD_ALLOW_PRIVATE,
    )
    return clip_import_bytes(owner=owner, data=data, filename=filename)


def upload_result(clip: EngineClip) -> UploadResult:
    return UploadResult(clip_id=clip.id, audio_url=clip_file_path(clip), duration_s=round(clip.duration_s), status=1)


def _clip_for(owner: AbstractBaseUser, clip_id: str) -> EngineClip:
    clip = EngineClip.objects.filter(pk=clip_id, owner=owner).first()
    if clip is None:
        raise NotFound(MSG_CLIP_NOT_FOUND)
    return clip


# --- a track's score as MIDI and a lead sheet -----------------------------------

SHEET_FORMATS = {  # format -> (content type, file extension)
    "midi": ("audio/midi", "mid"),
    "musicxml": ("application/vnd.recordare.musicxml+xml", "musicxml"),
}
MSG_SHEET_FORMAT = "Ask for format 'midi' or 'musicxml'."
MSG_NO_SCORE = (
    "This clip has no score: MIDI and lead sheets exist for songs made by this engine, not for "
    "uploads, stems or extensions."
)


def clip_sheet(*, owner: AbstractBaseUser, clip_id: str, sheet_format: str) -> TrackFile:
    """A generated track's MIDI file or MusicXML lead sheet, written from the score it was rendered from."""
    from .sheet import leadsheet, midi, score_json

    if sheet_format not in SHEET_FORMATS:
        raise BadRequest(MSG_SHEET_FORMAT)
    clip = _clip_for(owner, clip_id)
    if not clip.score:
        raise NotFound(MSG_NO_SCORE)
    score = score_json.score_from_json(clip.score)
    title = clip.title or "Untitled"
    writer = midi.score_to_midi if sheet_format == "midi" else leadsheet.score_to_musicxml
    content_type, extension = SHEET_FORMATS[sheet_format]
    return TrackFile(data=writer(score, title=title), content_type=content_type, filename=f"{title}.{extension}")


def clip_part_names(*, owner: AbstractBaseUser, clip_id: str) -> list[str]:
    """The names of a generated track's per-instrument stems, in mix order (no file is read)."""
    return [part["name"] for part in _clip_for(owner, clip_id).parts]


def clip_parts(*, owner: AbstractBaseUser, clip_id: str, name: str | None = None) -> list[TrackPart]:
    """A generated track's exact per-instrument stems (only `name` when given), in mix order; [] when it has
    none (an upload, an extension of one)."""
    clip = _clip_for(owner, clip_id)
    title = clip.title or "Untitled"
    found = []
    for part in clip.parts:
        if name is not None and part["name"] != name:
            continue
        try:
            with clip.audio.storage.open(part["file"], "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            logger.warning("Stem %s of clip %s is gone", part["file"], clip.id)
            continue
        found.append(
            TrackPart(
                name=part["name"],
                audio=TrackFile(data=data, content_type="audio/flac", filename=f"{title} - {part['name']}.flac"),
            )
        )
    return found


# --- personas ---------------------------------------------------------------


def persona_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    clip_id: str,
    verification_clip_id: str = "",
    on_progress: Callable[[float], None] | None = None,
) -> EnginePersona:
    """Learn a persona from a clip: its range, vibrato and breath, and a singing voice fitted to it.

    A clip with a real person's voice in it (anything but this engine's own songs and their stems)
    needs `verification_clip_id`: that person reading a consent phrase (`persona_phrase`), compared
    with the clip's voice before anything is learned.

    Runs for a minute or two (the fit sings and compares about a hundred probes); the studio calls
    it on its worker with `on_progress`, the HTTP API in the request, as the contract's reply is final.
    """
    from .dsp import profile
    from .voice import fit as voice_fit

    name = name.strip()
    if not name or len(name) > PERSONA_NAME_MAX_CHARS:
        raise BadRequest(f"A persona needs a name of at most {PERSONA_NAME_MAX_CHARS} characters.")
    clip = _clip_for(owner, clip_id)
    if clip.voiced_s < settings.ENGINE_MIN_VOICED_S:
        raise UnprocessableAudio(
            MSG_TOO_LITTLE_VOICE.format(voiced=clip.voiced_s, minimum=settings.ENGINE_MIN_VOICED_S)
        )
    if not clip.engine_voice and not verification_clip_id:
        raise BadRequest(MSG_NEEDS_VOICE_CHECK)
    phrase_clip = _clip_for(owner, verification_clip_id) if verification_clip_id and not clip.engine_voice else None
    if phrase_clip:
        voice_checks_allowed(owner)  # before the work, so a refused try costs nothing
    renditions = persona_voice_renditions(clip, sr=ENGINE_ANALYSIS_SR_HZ)
    samples = renditions[0]
    check = (
        voice_check_create(owner=owner, clip=clip, voice_renditions=renditions, phrase_clip=phrase_clip)
        if phrase_clip
        else None
    )
    voice = profile.voice_profile(samples, sr=ENGINE_ANALYSIS_SR_HZ)
    learned = voice.to_dict()
    fitted = (
        voice_fit.fit_persona_voice(
            samples,
            sr=ENGINE_ANALYSIS_SR_HZ,
            median_hz=voice.median_hz,
            register=voice.register,
            vibrato_rate_hz=voice.vibrato_rate_hz,
            vibrato_depth_cents=voice.vibrato_depth_cents,
            evaluations=settings.ENGINE_PERSONA_FIT_EVALUATIONS,
            on_progress=on_progress,
        )
        if settings.ENGINE_PERSONA_FIT_EVALUATIONS > 0
        else None  # no fit: the persona keeps its measured voice and sings with the stock one
    )
    if fitted is not None:
        learned.update(fitted.to_profile())
    return EnginePersona.objects.create(
        owner=owner,
        name=name,
        clip=clip,
        batch_id=f"batch-{secrets.token_hex(6)}",
        status=EnginePersona.Status.COMPLETE,
        profile=learned,
        voice_check=check,
    )


def persona_phrase(*, language: str) -> dict:
    """`GET music/persona/phrase` (ours): a consent phrase, with today's date, for the clip's singer to read."""
    if language not in consent_phrases.LANGUAGES:
        raise BadRequest("Send lang=en or lang=zh.")
    today = timezone.localdate()
    return {
        "phrase": consent_phrases.consent_phrase(language, today=today),
        "lang": language,
        "date": today.isoformat(),
        "protocol": thresholds.VOICE_CHECK_PROTOCOL,
    }


def voice_check_create(
    *, owner: AbstractBaseUser, clip: EngineClip, voice_renditions: list[np.ndarray], phrase_clip: EngineClip
) -> EngineVoiceCheck:
    """Compare the phrase recording's voice with the clip's (the audio the persona learns from).

    Raises UnprocessableAudio for a phrase with too little voice and VoiceNotMatched (422, with the
    similarity) when the voices differ; every comparison made is recorded, passed or not, for
    `voice_checks_allowed`."""
    from .voice import verification

    phrase = _decode_field(phrase_clip.audio, sr=ENGINE_ANALYSIS_SR_HZ)
    try:
        result = verification.voice_check(
            voice_renditions, voice_sr=ENGINE_ANALYSIS_SR_HZ, phrase_samples=phrase, phrase_sr=ENGINE_ANALYSIS_SR_HZ
        )
    except verification.PhraseTooShort as exc:
        raise UnprocessableAudio(str(exc)) from None
    check = EngineVoiceCheck.objects.create(
        owner=owner, clip=clip, verification_clip=phrase_clip, similarity=result.similarity, passed=result.passed
    )
    if not result.passed:
        raise VoiceNotMatched(
            MSG_VOICE_NOT_MATCHED.format(similarity=result.similarity, threshold=verification.VOICE_CHECK_THRESHOLD),
            similarity=result.similarity,
        )
    return check


def voice_checks_allowed(owner: AbstractBaseUser) -> None:
    """RateLimited (with when to come back) once the hour's voice checks are used up."""
    window = timedelta(hours=1)
    recent = EngineVoiceCheck.objects.filter(owner=owner, created_at__gt=timezone.now() - window)
    limit = settings.VOICE_CHECKS_PER_HOUR
    if recent.count() >= limit:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True)[0]
        wait_s = max((oldest + window - timezone.now()).total_seconds(), 1.0)
        raise RateLimited(
            MSG_VOICE_CHECKS_USED.format(limit=limit, minutes=math.ceil(wait_s / 60)), retry_after_s=wait_s
        )


def persona_voice_samples(clip: EngineClip, *, sr: int) -> np.ndarray:
    """The voice a persona learns from, the same audio the studio's persona page measures:
    a song made here has its exact vocal stem, a vocal stem is itself, anything else is split."""
    return persona_voice_renditions(clip, sr=sr)[0]


def persona_voice_renditions(clip: EngineClip, *, sr: int) -> list[np.ndarray]:
    """The voice a persona learns from, then (for a clip that was split) the clip as heard, which the
    voice check also compares: splitting a clip that is voice alone damages the voice."""
    from .dsp import separate

    if clip.vocal_stem:
        return [_decode_field(clip.vocal_stem, sr=sr)]
    samples = _decode_field(clip.audio, sr=sr)
    if clip.source == EngineClip.Source.VOCALS:
        stem = EngineStem.objects.filter(vocal_clip=clip).select_related("source_clip").first()
        if stem is None or stem.source_clip.vocal_stem:
            return [samples]
        # A split made here: what it was split from, as heard (the studio sends a region this way).
        heard = _decode_field(stem.source_clip.audio, sr=sr)[int(stem.vocal_start_s * sr) : int(stem.vocal_end_s * sr)]
        return [samples, heard]
    vocals, _band = separate.separate_vocals(samples, sr=sr)
    return [vocals, samples]


def persona_result(persona: EnginePersona) -> PersonaResult:
    return PersonaResult(
        persona_id=persona.id,
        status=persona.status,
        batch_id=persona.batch_id,
        likeness=(persona.profile or {}).get("likeness"),
        voice_similarity=persona.voice_check.similarity if persona.voice_check else None,
    )


# --- stems ------------------------------------------------------------------


def stem_create(
    *, owner: AbstractBaseUser, clip_id: str, vocal_start_s: float = 0.0, vocal_end_s: float | None = None
) -> EngineStem:
    """`music/stem`: vocals and instrumental of a clip (or of a region of it).

    A generated clip returns its exact stems; any other clip goes through REPET-SIM,
    a DSP method whose results are rough on real songs.
    """
    from .dsp import separate

    if not all(math.isfinite(v) for v in (vocal_start_s, vocal_end_s or 0.0)):
        raise BadRequest("vocal_start_s and vocal_end_s must be finite numbers of seconds.")
    clip = _clip_for(owner, clip_id)
    end_s = clip.duration_s if vocal_end_s is None else min(vocal_end_s, clip.duration_s)
    if vocal_start_s < 0 or end_s - vocal_start_s < 1.0:
        raise BadRequest("The region to separate must be at least one second long.")
    sr = settings.ENGINE_STEM_SR_HZ
    if clip.vocal_stem and clip.band_stem:
        vocals = _decode_field(clip.vocal_stem, sr=sr)
        band = _decode_field(clip.band_stem, sr=sr)
    else:
        mix = _decode_field(clip.audio, sr=sr)
        vocals, band = separate.separate_vocals(mix, sr=sr)
    start, end = int(vocal_start_s * sr), int(end_s * sr)
    vocals, band = vocals[start:end], band[start:end]
    made: list[EngineClip] = []
    try:
        with transaction.atomic():
            made.append(
                _clip_from_samples(
                    owner,
                    vocals,
                    sr=sr,
                    source=EngineClip.Source.VOCALS,
                    title=f"{clip.title} (vocals)",
                    engine_voice=clip.engine_voice,
                )
            )
            made.append(
                _clip_from_samples(
                    owner,
                    band,
                    sr=sr,
                    source=EngineClip.Source.INSTRUMENTAL,
                    title=f"{clip.title} (instrumental)",
                    engine_voice=clip.engine_voice,
                )
            )
            return EngineStem.objects.create(
                owner=owner,
                source_clip=clip,
                vocal_start_s=vocal_start_s,
                vocal_end_s=end_s,
                vocal_clip=made[0],
                instrumental_clip=made[1],
            )
    except BaseException:
        for written in made:  # the rows rolled back; their files go too
            _delete_clip_files(written)
        raise


def _decode_field(field, *, sr: int, channels: int = 1):
    return _decode_stored(field.storage, field.name, sr=sr, channels=channels)


def _decode_stored(storage, name: str, *, sr: int, channels: int = 1):
    from .dsp import audio_io

    with storage.open(name, "rb") as audio_file:
        samples, _ = audio_io.decode(audio_file, sr=sr, channels=channels)
    return samples


def _clip_from_samples(owner, samples, *, sr: int, source: str, title: str, **fields) -> EngineClip:
    from .dsp import audio_io, profile

    clip = EngineClip(
        owner=owner,
        source=source,
        title=title[:200],
        duration_s=len(samples) / sr,
        voiced_s=profile.voice_profile(samples, sr=sr).voiced_s,
        expire_at=_expiry(),
        **fields,
    )
    return _store_clip(clip, [("audio", "audio.mp3", audio_io.encode_mp3(samples, sr=sr))])


def stem_result(stem: EngineStem) -> StemResult:
    return StemResult(
        id=stem.id,
        source_clip_id=stem.source_clip_id,
        status="complete",
        vocal_audio_url=clip_file_path(stem.vocal_clip),
        vocal_start_s=stem.vocal_start_s,
        vocal_end_s=stem.vocal_end_s,
        instrumental_audio_url=clip_file_path(stem.instrumental_clip),
        vocal_clip_id=stem.vocal_clip_id,
        instrumental_clip_id=stem.instrumental_clip_id,
    )


# --- generation tasks -------------------------------------------------------


def task_create(*, owner: AbstractBaseUser, request: GenerateRequest) -> EngineTask:
    """`music/generate`: check the request, record the task, hand it to the worker."""
    from .jobs import render_generation

    request.validate()
    if (
        request.persona_id
        and not EnginePersona.objects.filter(
            pk=request.persona_id, owner=owner, status=EnginePersona.Status.COMPLETE
        ).exists()
    ):
        raise NotFound(MSG_PERSONA_NOT_FOUND)
    if request.continue_clip_id:
        source = _clip_for(owner, request.continue_clip_id)
        # MP3 framing makes a clip a fraction of a second longer or shorter here than its copy: round up.
        if request.continue_at is not None and not 0 < request.continue_at <= math.ceil(source.duration_s):
            raise BadRequest(MSG_CONTINUE_AT.format(duration=math.ceil(source.duration_s)))
    task = EngineTask.objects.create(
        owner=owner,
        request=request.to_json(),
        callback_url=request.callback_url,
        retention_days=request.retention_days or 7,
    )

    def remember_job(job_id: str) -> None:
        EngineTask.objects.filter(pk=task.pk).update(job_id=job_id)

    enqueue_on_commit(render_generation, task.id, on_enqueued=remember_job, owner_id=owner.pk)
    return task


def _task_for(owner: AbstractBaseUser, task_id: str) -> EngineTask:
    task = EngineTask.objects.filter(pk=task_id, owner=owner).first()
    if task is None:
        raise NotFound(MSG_TASK_NOT_FOUND)
    return task


def _ms(moment) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def task_info(task: EngineTask) -> TaskInfo:
    results = []
    if task.status == EngineTask.Status.COMPLETED:
        for clip in task.clips.filter(source=EngineClip.Source.GENERATED):
            results.append(
                ResultItem(
                    id=clip.id,
                    audio_url=clip_file_path(clip),
                    image_url=cover_path(clip),
                    title=clip.title,
                    duration=round(clip.duration_s, 2),
                    tags=clip.tags,
                    prompt=clip.prompt,
                    expire_at=_ms(clip.expire_at),
                )
            )
    return TaskInfo(id=task.id, status=task.status, created_at=_ms(task.created_at), results=results, error=task.error)


def task_get(*, owner: AbstractBaseUser, task_id: str) -> TaskInfo:
    return task_info(_task_for(owner, task_id))


def task_list(*, owner: AbstractBaseUser, page: int = 1, page_size: int = 20, status: int = -1) -> TaskPage:
    if not 1 <= page_size <= MAX_TASK_PAGE_SIZE or not 1 <= page <= MAX_TASK_PAGE:
        raise BadRequest(
            f"page must be a whole number from 1 to {MAX_TASK_PAGE} and page_size from 1 to {MAX_TASK_PAGE_SIZE}."
        )
    tasks = EngineTask.objects.filter(owner=owner)
    if status != -1:
        names = {code: name for name, code in TASK_STATUS_CODES.items()}
        if status not in names:
            raise BadRequest("status must be -1, 0, 1, 2 or 3.")
        tasks = tasks.filter(status=names[status])
    total = tasks.count()
    window = tasks[(page - 1) * page_size : page * page_size]
    # Summaries only, as the contract says: no results.
    items = [TaskInfo(id=t.id, status=t.status, created_at=_ms(t.created_at), error=t.error) for t in window]
    return TaskPage(items=items, total=total, page=page)


# Who in this process hears how a task goes (the studio, through its local provider): progress while it
# renders, and its end right after (in the same worker task). API clients poll or get their callback_url.
_progress_listeners: list[Callable[[EngineTask, RenderProgress], None]] = []
_end_listeners: list[Callable[[EngineTask, dict], None]] = []


def task_listen(
    *, on_progress: Callable[[EngineTask, RenderProgress], None], on_end: Callable[[EngineTask, dict], None]
) -> None:
    """Hear every task's progress (at most once a second) and its end (completed or failed).

    on_end also gets what the render measured of each track it kept, by clip id: {"duration_s",
    "sample_rate", "channels", "voiced_s", "peaks", "parts": {name: {"duration_s", "peaks"}}} ({} when
    the task did not just render here)."""
    _progress_listeners.append(on_progress)
    _end_listeners.append(on_end)


def _tell(listeners, *args) -> None:
    # A listener's failure is its own: the song is rendered, and the studio's poll and sweep still see it.
    for listener in listeners:
        try:
            listener(*args)
        except Exception:
            logger.exception("A task listener failed")


def _task_ended(task_id: str, measured: dict | None = None) -> None:
    task = EngineTask.objects.filter(pk=task_id).first()
    if task is not None:
        _tell(_end_listeners, task, measured or {})


def task_render(*, task_id: str) -> None:
    """The worker's part: compose, render and keep the variants of one task.

    Safe to run again after a lost worker: it claims queuing or processing tasks
    and replaces any half-written clips.
    """
    from . import song
    from .dsp import inspiration
    from .sheet import score_json

    claimed = EngineTask.objects.filter(
        pk=task_id, status__in=[EngineTask.Status.QUEUING, EngineTask.Status.PROCESSING]
    ).update(status=EngineTask.Status.PROCESSING, started_at=timezone.now())
    if not claimed:
        return
    task = EngineTask.objects.get(pk=task_id)
    request = GenerateRequest.from_json(task.request)
    try:
        title, tags, lyrics = request.title, request.tags, request.prompt
        if request.gpt_description_prompt:
            written = inspiration.write_song(request.gpt_description_prompt, seed=_seed(task.id, 0))
            title, tags, lyrics = written.title, written.tags, written.lyrics
        voice_profile = _persona_profile(task.owner, request.persona_id)
        source = _continuation_source(task.owner, request) if request.continue_clip_id else None
        if source is not None and not title:
            title = source.title
        _delete_clips(task.clips.all())
        report = Throttled(lambda progress: _tell(_progress_listeners, task, progress))
        measured = {}  # what the render knows of each kept track, handed on so nobody decodes it again
        for variant in range(VARIANTS_PER_GENERATION):
            seed = _seed(task.id, variant + 1)
            style = source.style_for(tags, seed) if source is not None else None
            rendered = song.render_song(
                lyrics=lyrics,
                tags=tags,
                seed=seed,
                voice_profile=voice_profile,
                make_instrumental=request.make_instrumental,
                style=style,
                sr=settings.ENGINE_RENDER_SR_HZ,
                singer_name=settings.ENGINE_SINGER,
                influence=_persona_influence(request),
                on_progress=lambda stage, done, total, variant=variant: report(
                    RenderProgress(variant, VARIANTS_PER_GENERATION, stage, done, total)
                ),
            )
            report(RenderProgress(variant, VARIANTS_PER_GENERATION, "saving"))
            score = score_json.score_to_json(rendered.score)
            joined = None
            if source is not None:  # the joined song's tracks are made as they are encoded (see _keep_streamed)
                joined = source.join(rendered)
                rendered, score = joined, source.joined_score(rendered, joined)
            try:
                kept = _keep_variant(
                    task, rendered, variant=variant, title=title or "Untitled", tags=tags, lyrics=lyrics, score=score
                )
            finally:
                if joined is not None:
                    joined.close()
            measured[kept.pop("id")] = kept
            rendered = joined = None  # this variant's audio is let go before the next one renders
    except Exception:
        logger.exception("Engine task %s failed", task_id)
        try:  # a failed render keeps none of what it wrote
            _delete_clips(EngineClip.objects.filter(task_id=task_id))
        except Exception:
            logger.exception("Could not remove the clips of failed task %s", task_id)
        EngineTask.objects.filter(pk=task_id).update(
            status=EngineTask.Status.FAILED,
            finished_at=timezone.now(),
            error=gettext("The built-in engine could not make this song. Please try again."),
        )
        _task_ended(task_id)
        return
    EngineTask.objects.filter(pk=task_id).update(
        status=EngineTask.Status.COMPLETED,
        finished_at=timezone.now(),
        sung_title=title,
        sung_tags=tags,
        sung_prompt=lyrics,
    )
    _task_ended(task_id, measured)  # the studio keeps the tracks now, in this worker task


def task_lost(task_id: str) -> None:
    """The worker died on this task more often than we retry: say so instead of 'processing' forever,
    and remove the variants it had half written."""
    failed = (
        EngineTask.objects.filter(pk=task_id)
        .exclude(status=EngineTask.Status.COMPLETED)
        .update(
            status=EngineTask.Status.FAILED,
            finished_at=timezone.now(),
            error=gettext("The engine stopped while making this song. Please try again."),
        )
    )
    if failed:
        _delete_clips(EngineClip.objects.filter(task_id=task_id))
        _task_ended(task_id)


def _seed(task_id: str, variant: int) -> int:
    return int(hashlib.sha256(f"{task_id}:{variant}".encode()).hexdigest()[:8], 16)


def _persona_profile(owner, persona_id: str) -> dict | None:
    """The persona's learned voice (range, formants, breath, vibrato), as the singer takes it."""
    if not persona_id:
        return None
    return EnginePersona.objects.get(pk=persona_id, owner=owner).profile


def _persona_influence(request: GenerateRequest) -> float:
    """How much of the persona sings (the request's `persona_influence`, ours): all of it unless asked."""
    if request.persona_influence is None:
        return PERSONA_INFLUENCE_DEFAULT
    return request.persona_influence


def _keep_variant(task: EngineTask, rendered, *, variant: int, title: str, tags: str, lyrics: str, score: dict) -> dict:
    """Store one rendered variant; returns its id and what is known of it (see `task_listen`).

    A rendered song's tracks are arrays; an extension's (an ``extend.StreamedJoin``) are made a block at a
    time and encoded as they come (``_keep_streamed``), so a long song is never whole in memory.
    """
    from .dsp import audio_io, extend

    sr = rendered.sr
    if isinstance(rendered, extend.StreamedJoin):
        return _keep_streamed(task, rendered, variant=variant, title=title, tags=tags, lyrics=lyrics, score=score)
    # An extension of an upload has no known stems: it keeps none, and separating it falls back to REPET-SIM.
    voiced_from = rendered.vocal if rendered.vocal is not None else rendered.mix.mean(axis=1)
    voiced = _VoicedSeconds(sr=sr)  # a minute at a time, as an extension's: a whole song's pitch tracking is the peak
    voiced.add(voiced_from)
    clip = _generated_clip(
        task,
        variant=variant,
        title=title,
        tags=tags,
        lyrics=lyrics,
        score=score,
        duration_s=rendered.duration_s,
        voiced_s=voiced.seconds(),
    )
    files = [("audio", "audio.mp3", audio_io.encode_mp3(rendered.mix, sr=sr))]
    if rendered.vocal is not None and rendered.band is not None:
        files += [
            ("vocal_stem", "vocals.mp3", audio_io.encode_mp3(rendered.vocal, sr=sr)),
            ("band_stem", "band.mp3", audio_io.encode_mp3(rendered.band, sr=sr)),
        ]
    # A track with a score keeps its stems; an extension of an upload has neither.
    parts = [(name, audio_io.encode_flac(stem, sr=sr)) for name, stem in rendered.stems.items()] if score else []
    _store_clip(clip, files, parts)
    parts_measured = {
        name: {"duration_s": len(stem) / sr, "peaks": audio_io.waveform_peaks(stem)}
        for name, stem in (rendered.stems.items() if parts else ())
    }
    return _kept(clip, sr=sr, peaks=audio_io.waveform_peaks(rendered.mix), parts=parts_measured)


def _generated_clip(
    task: EngineTask,
    *,
    variant: int,
    title: str,
    tags: str,
    lyrics: str,
    score: dict,
    duration_s: float,
    voiced_s: float,
) -> EngineClip:
    """The (unsaved) clip of one kept variant of a task's song: a rendered song or an extension."""
    return EngineClip(
        owner=task.owner,
        source=EngineClip.Source.GENERATED,
        title=f"{title} ({'AB'[variant]})"[:200],
        tags=tags,
        prompt=lyrics,
        duration_s=duration_s,
        task=task,
        variant=variant,
        engine_voice=_continues_engine_voice_only(task),
        score=score,
        voiced_s=voiced_s,
        expire_at=_expiry(task.retention_days),
    )


def _kept(clip: EngineClip, *, sr: int, peaks: list, parts: dict) -> dict:
    """What the render knows of a kept track, handed on so nobody decodes it again."""
    return {
        "id": clip.id,
        "duration_s": clip.duration_s,
        "sample_rate": sr,
        "channels": 2,
        "voiced_s": clip.voiced_s,
        "peaks": peaks,
        "parts": parts,
    }


# A song's voiced seconds are measured a minute at a time: the voice profile of a whole
# twenty-minute vocal would need gigabytes (its pitch tracking works on the whole signal at once),
# and of a fresh 180 s song it was the render's peak.
VOICED_CHUNK_S = 60


class _VoicedSeconds:
    """The voiced seconds of a mono track handed over in blocks: ``profile.voiced_seconds`` of each
    VOICED_CHUNK_S chunk, summed (one chunk, so the same figure, for a track no longer than that)."""

    def __init__(self, *, sr: int) -> None:
        self.sr, self.chunk = sr, VOICED_CHUNK_S * sr
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.total = 0.0

    def add(self, mono: np.ndarray) -> None:
        import numpy as np

        self.pending.append(np.asarray(mono, dtype=np.float32))
        self.n_pending += len(mono)
        if self.n_pending >= self.chunk:
            whole = np.concatenate(self.pending)
            for start in range(0, len(whole) - self.chunk + 1, self.chunk):
                self._measure(whole[start : start + self.chunk])
            rest = whole[len(whole) // self.chunk * self.chunk :]
            self.pending, self.n_pending = ([rest.copy()] if len(rest) else []), len(rest)

    def _measure(self, chunk: np.ndarray) -> None:
        from .dsp import profile

        self.total += profile.voiced_seconds(chunk, sr=self.sr)

    def seconds(self) -> float:
        import numpy as np

        if self.pending:
            self._measure(np.concatenate(self.pending))
            self.pending, self.n_pending = [], 0
        return round(self.total, 2)


def _tapped(blocks: Iterator[np.ndarray], *taps: Callable[[np.ndarray], None]) -> Iterator[np.ndarray]:
    for block in blocks:
        for tap in taps:
            tap(block)
        yield block


def _keep_streamed(
    task: EngineTask, joined: extend.StreamedJoin, *, variant: int, title: str, tags: str, lyrics: str, score: dict
) -> dict:
    """``_keep_variant`` of an extension: every track is joined, encoded into a temporary file and measured
    (waveform peaks, voiced seconds) in one pass of blocks, then stored from the file."""
    from .dsp import audio_io

    sr, n = joined.sr, joined.n
    voiced = _VoicedSeconds(sr=sr)
    mix_peaks = audio_io.PeakMeter(n, channels=2)
    parts_measured = {}
    with contextlib.ExitStack() as stack:

        def encoded(blocks: Iterator[np.ndarray], encoding: str, channels: int):
            file = stack.enter_context(tempfile.TemporaryFile())
            audio_io.encode_blocks(blocks, file, sr=sr, encoding=encoding, channels=channels)
            return file

        # An extension of an upload has no known stems: its voice is measured on the mix (as a rendered song's).
        mix_taps = [mix_peaks.add] if joined.has_tracks else [mix_peaks.add, lambda b: voiced.add(b.mean(axis=1))]
        files = [("audio", "audio.mp3", encoded(_tapped(joined.mix_blocks(), *mix_taps), "mp3", 2))]
        if joined.has_tracks:
            files += [
                ("vocal_stem", "vocals.mp3", encoded(_tapped(joined.vocal_blocks(), voiced.add), "mp3", 1)),
                ("band_stem", "band.mp3", encoded(joined.band_blocks(), "mp3", 2)),
            ]

        def parts():
            for name in joined.stem_names:
                meter = audio_io.PeakMeter(n, channels=2)
                with tempfile.TemporaryFile() as file:
                    rows = audio_io.encode_blocks(
                        _tapped(joined.stem_blocks(name), meter.add), file, sr=sr, encoding="flac", channels=2
                    )
                    yield name, file
                parts_measured[name] = {"duration_s": rows / sr, "peaks": meter.peaks()}

        clip = _generated_clip(
            task,
            variant=variant,
            title=title,
            tags=tags,
            lyrics=lyrics,
            score=score,
            duration_s=joined.duration_s,
            voiced_s=voiced.seconds(),
        )
        _store_clip(clip, files, parts() if score else [])
    return _kept(clip, sr=sr, peaks=mix_peaks.peaks(), parts=parts_measured if score else {})


# --- extending a clip -------------------------------------------------------

MAX_EXTENSION_DEPTH = 8


def _continues_engine_voice_only(task: EngineTask) -> bool:
    """A new song sings only with the engine's voice; an extension keeps the voice of what it continues."""
    parent_id = (task.request if isinstance(task.request, dict) else {}).get("continue_clip_id")
    if not parent_id:
        return True
    parent = EngineClip.objects.filter(pk=parent_id).first()
    return bool(parent and parent.engine_voice)


def _engine_style(clip: EngineClip | None, depth: int = 0) -> composer.Style | None:
    """The exact style a clip made by this engine was composed in (following extensions back to the
    first song), or None when it was not made here."""
    from .dsp import composer

    if clip is None or clip.task_id is None or clip.source != EngineClip.Source.GENERATED:
        return None
    if depth > MAX_EXTENSION_DEPTH:
        return None
    request = clip.task.request if isinstance(clip.task.request, dict) else {}
    parent_id = request.get("continue_clip_id")
    if parent_id:
        return _engine_style(EngineClip.objects.filter(pk=parent_id).first(), depth + 1)
    return composer.style_from_tags(clip.tags, _seed(clip.task_id, clip.variant + 1))


def _stored_blocks(storage, name: str, *, sr: int, channels: int = 1) -> Iterator[np.ndarray]:
    """A stored file of ours decoded a chunk at a time (the file is open while iterating)."""
    from .dsp import audio_io

    with storage.open(name, "rb") as audio_file:
        yield from audio_io.decode_blocks(audio_file, sr=sr, channels=channels)


class _ContinuationSource:
    """The clip being extended, with what we know of its music. Its tracks stay in their files: each join
    decodes what it needs of them a block at a time (a long song's tracks would not fit in memory)."""

    def __init__(self, clip: EngineClip, at_s: float, sr: int = 44100) -> None:
        from .dsp import extend
        from .sheet import score_json

        self.title, self.sr = clip.title.removesuffix(" (A)").removesuffix(" (B)"), sr
        storage = clip.audio.storage
        self.mix = functools.partial(_stored_blocks, storage, clip.audio.name, sr=sr, channels=2)
        self.known_style = _engine_style(clip)
        self.phase_s = 0.0  # our songs start on a downbeat
        self.tempo_bpm, self.key = 0.0, None
        if self.known_style is None:  # the tempo and key of a song we did not make are measured on all of it
            mix = _decode_field(clip.audio, sr=sr, channels=2)
            self.n_src = len(mix)
            self.tempo_bpm, self.phase_s = extend.estimate_tempo(mix, sr=sr)
            self.key = extend.estimate_key(mix, sr=sr)
            del mix
        else:
            self.n_src = sum(len(chunk) for chunk in self.mix())
        self.at_s = min(float(at_s), self.n_src / sr)
        self.tracks = (
            {
                "vocal": functools.partial(_stored_blocks, storage, clip.vocal_stem.name, sr=sr),
                "band": functools.partial(_stored_blocks, storage, clip.band_stem.name, sr=sr, channels=2),
            }
            if clip.vocal_stem and clip.band_stem
            else {}
        )
        # What this engine knows of its own songs (and of extensions of them): the score and the exact
        # per-instrument stems, so an extension's MIDI, lead sheet and stems cover the whole track.
        self.score = score_json.score_from_json(clip.score) if clip.score else None
        self.stems = (
            {
                part["name"]: functools.partial(_stored_blocks, storage, part["file"], sr=sr, channels=2)
                for part in clip.parts
            }
            if self.score is not None
            else {}
        )

    def style_for(self, tags: str, seed: int) -> composer.Style:
        from .dsp import composer

        if self.known_style is not None:
            return self.known_style
        # Not ours: the new tags choose the genre, the measured tempo and key keep it in time and in tune.
        style = composer.style_from_tags(tags, seed)
        changes = {}
        if self.tempo_bpm:
            changes["tempo_bpm"] = self.tempo_bpm
        if self.key is not None:
            changes["key_root_midi"] = 55 + (self.key[0] - 55) % 12
            changes["mode"] = self.key[1]
        return dataclasses.replace(style, **changes)

    def join(self, rendered) -> extend.StreamedJoin:
        # Known style: align whole bars; measured: align beats from the first tracked beat.
        from .dsp import extend

        period = rendered.style.bar_s if self.known_style is not None else rendered.style.beat_s
        return extend.join_song_blocks(
            n_src=self.n_src,
            continuation_mix=rendered.mix,
            sr=self.sr,
            at_s=self.at_s,
            source_mix=self.mix,
            source_vocal=self.tracks.get("vocal"),
            source_band=self.tracks.get("band"),
            continuation_vocal=rendered.vocal,
            continuation_band=rendered.band,
            source_stems=self.stems,
            continuation_stems=rendered.stems,
            skip_s=extend.grid_offset_s(self.at_s, period, self.phase_s),
        )

    def joined_score(self, rendered, joined: extend.StreamedJoin) -> dict:
        """The whole extended track's score as stored (score_json), or {} when the source has none (an upload)."""
        from .dsp import extend
        from .sheet import score_json

        if self.score is None:
            return {}
        return score_json.score_to_json(
            extend.join_scores(self.score, rendered.score, at_s=joined.at_s, skip_s=joined.skip_s)
        )


def _continuation_source(owner: AbstractBaseUser, request: GenerateRequest) -> _ContinuationSource:
    clip = _clip_for(owner, request.continue_clip_id)
    at_s = request.continue_at if request.continue_at is not None else clip.duration_s
    return _ContinuationSource(clip, at_s, sr=settings.ENGINE_RENDER_SR_HZ)
