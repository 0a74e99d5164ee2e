"""Per-account quotas: how many songs, personas and separations one account may start in an hour, and
how many may be unfinished at once (settings `<KIND>_PER_HOUR` and `<KIND>_IN_FLIGHT`; 0 turns one off).

Everything is counted from the rows the work leaves, so nothing else needs to remember a charge:

- the studio counts its own records: songs (Generation), personas (Persona, and a VoiceCheck still
  being checked, which becomes one), separations (a clip's kept vocal stem, and a clip being separated);
- the API (/api/v1/) counts the engine's records that the studio did not make through the built-in
  provider: a studio song is charged once, to the studio, though the engine renders it too.

A verdict is "allowed" or "wait until <moment>". A studio check runs in the transaction that saves the
new row (`besides` is that row, left out of the count), so a refusal rolls it back and stores nothing,
and the same form sent twice (a double click) gets its first row back instead of a refusal.

`backlog` (the account's work waiting for or on the worker) is what fair queueing orders by
(personastudio.background.enqueue_on_commit).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from personastudio.clips.models import Clip
from personastudio.contract.errors import RateLimited
from personastudio.engine.models import EnginePersona, EngineStem, EngineTask
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona, VoiceCheck

WINDOW = timedelta(hours=1)
#: What the API's Retry-After says while too much is unfinished: when that ends is not known ahead.
IN_FLIGHT_RETRY_AFTER_S = 30


class Kind(enum.StrEnum):
    SONGS = "SONGS"
    PERSONAS = "PERSONAS"
    SEPARATIONS = "SEPARATIONS"


class Reason(enum.StrEnum):
    RATE = "rate"  # the hour's starts are used up
    IN_FLIGHT = "in_flight"  # too much is unfinished


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    allowed: bool
    reason: Reason | None = None
    limit: int = 0
    wait_until: datetime | None = None

    @property
    def retry_after_s(self) -> int:
        if self.allowed or self.wait_until is None:
            return 0
        return max(1, math.ceil((self.wait_until - timezone.now()).total_seconds()))


class QuotaReached(Exception):
    """The studio refuses to start more now; the message says in a sentence when the next can start."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(studio_message(verdict))


def limits(kind: Kind) -> tuple[int, int]:
    """(per hour, at once) from settings; 0 means no limit."""
    return getattr(settings, f"{kind}_PER_HOUR"), getattr(settings, f"{kind}_IN_FLIGHT")


def _verdict(kind: Kind, *, starts: list[datetime], unfinished: int, now: datetime) -> Verdict:
    per_hour, at_once = limits(kind)
    if per_hour and len(starts) >= per_hour:
        # Once the oldest starts leave the hour, one fewer than the limit is left in it.
        oldest_that_must_go = sorted(starts)[len(starts) - per_hour]
        return Verdict(
            kind, False, Reason.RATE, per_hour, max(oldest_that_must_go + WINDOW, now + timedelta(seconds=1))
        )
    if at_once and unfinished >= at_once:
        return Verdict(kind, False, Reason.IN_FLIGHT, at_once, now + timedelta(seconds=IN_FLIGHT_RETRY_AFTER_S))
    return Verdict(kind, True)


def _times(queryset: models.QuerySet) -> list[datetime]:
    return list(queryset.values_list("created_at", flat=True))


def _without(queryset: models.QuerySet, row: models.Model | None) -> models.QuerySet:
    return queryset.exclude(pk=row.pk) if row is not None and isinstance(row, queryset.model) else queryset


# --- the studio ---------------------------------------------------------------


def studio_verdict(
    owner: AbstractBaseUser, kind: Kind, *, besides: models.Model | None = None, now: datetime | None = None
) -> Verdict:
    """May this account start one more `kind` in the studio now? `besides`: the row this request just saved."""
    now = now or timezone.now()
    since = now - WINDOW
    if kind == Kind.SONGS:
        songs = _without(Generation.objects.filter(owner=owner), besides)
        return _verdict(
            kind,
            starts=_times(songs.filter(created_at__gt=since)),
            now=now,
            unfinished=songs.exclude(status__in=Generation.FINAL).count(),
        )
    if kind == Kind.PERSONAS:
        personas = _without(Persona.objects.filter(owner=owner), besides)
        # A check still being compared becomes a persona when it passes: it is one already.
        checking = _without(VoiceCheck.objects.filter(owner=owner, status=VoiceCheck.Status.PENDING), besides)
        starts = _times(personas.filter(created_at__gt=since)) + _times(checking.filter(created_at__gt=since))
        return _verdict(
            kind,
            starts=starts,
            now=now,
            unfinished=personas.filter(status=Persona.Status.PENDING).count() + checking.count(),
        )
    # A separation leaves its vocal stem, stamped when it was kept; one still running counts as starting now.
    stems = Clip.objects.filter(owner=owner, kind=Clip.Kind.VOCALS, parent__isnull=False, created_at__gt=since)
    running = _without(Clip.objects.filter(owner=owner, separation_status=Clip.Separation.PROCESSING), besides).count()
    return _verdict(kind, starts=_times(stems) + [now] * running, unfinished=running, now=now)


def studio_require(owner: AbstractBaseUser, kind: Kind, *, besides: models.Model | None = None) -> None:
    """QuotaReached (with the sentence for the form) unless one more `kind` may start now."""
    verdict = studio_verdict(owner, kind, besides=besides)
    if not verdict.allowed:
        raise QuotaReached(verdict)


def _clock(moment: datetime) -> str:
    """The moment in the user's time zone, rounded up to the minute, as the locale writes a time."""
    rounded = moment.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if moment.second or moment.microsecond else timedelta()
    )
    return date_format(timezone.localtime(rounded), "TIME_FORMAT")


def studio_message(verdict: Verdict) -> str:
    count = verdict.limit
    if verdict.reason == Reason.RATE:
        values = {"count": count, "time": _clock(verdict.wait_until)}
        if verdict.kind == Kind.SONGS:
            return (
                ngettext(
                    "You have made %(count)d song in the last hour, the most allowed; the next one can "
                    "start at %(time)s.",
                    "You have made %(count)d songs in the last hour, the most allowed; the next one can "
                    "start at %(time)s.",
                    count,
                )
                % values
            )
        if verdict.kind == Kind.PERSONAS:
            return (
                ngettext(
                    "You have started %(count)d persona in the last hour, the most allowed; the next one "
                    "can start at %(time)s.",
                    "You have started %(count)d personas in the last hour, the most allowed; the next one "
                    "can start at %(time)s.",
                    count,
                )
                % values
            )
        return (
            ngettext(
                "You have separated vocals %(count)d time in the last hour, the most allowed; the next "
                "separation can start at %(time)s.",
                "You have separated vocals %(count)d times in the last hour, the most allowed; the next "
                "separation can start at %(time)s.",
                count,
            )
            % values
        )
    values = {"count": count}
    if verdict.kind == Kind.SONGS:
        return (
            ngettext(
                "You have %(count)d song being made, the most at once; the next one can start as soon as it is done.",
                "You have %(count)d songs being made, the most at once; the next one can start as soon "
                "as one of them is done.",
                count,
            )
            % values
        )
    if verdict.kind == Kind.PERSONAS:
        return (
            ngettext(
                "You have %(count)d persona being checked or learned, the most at once; the next one "
                "can start as soon as it is done.",
                "You have %(count)d personas being checked or learned, the most at once; the next one "
                "can start as soon as one of them is done.",
                count,
            )
            % values
        )
    return (
        ngettext(
            "You have %(count)d separation running, the most at once; the next one can start as soon as it is done.",
            "You have %(count)d separations running, the most at once; the next one can start as soon "
            "as one of them is done.",
            count,
        )
        % values
    )


# --- the API --------------------------------------------------------------------


def _api_songs(owner: AbstractBaseUser) -> models.QuerySet:
    studio = Generation.objects.filter(owner=owner).exclude(task_id="").values("task_id")
    return EngineTask.objects.filter(owner=owner).exclude(pk__in=studio)


def _api_personas(owner: AbstractBaseUser) -> models.QuerySet:
    studio = Persona.objects.filter(owner=owner).exclude(remote_id="").values("remote_id")
    return EnginePersona.objects.filter(owner=owner).exclude(pk__in=studio)


def _api_stems(owner: AbstractBaseUser) -> models.QuerySet:
    # The studio's separations keep the engine's vocal clip id; a persona learned from a region was
    # split first, and its engine persona learned from that split's vocals.
    studio_stems = Clip.objects.filter(owner=owner).exclude(remote_id="").values("remote_id")
    studio_personas = Persona.objects.filter(owner=owner).exclude(remote_id="").values("remote_id")
    studio_voices = EnginePersona.objects.filter(owner=owner, pk__in=studio_personas).values("clip_id")
    return (
        EngineStem.objects.filter(owner=owner)
        .exclude(vocal_clip_id__in=studio_stems)
        .exclude(vocal_clip_id__in=studio_voices)
    )


def api_verdict(owner: AbstractBaseUser, kind: Kind, *, now: datetime | None = None) -> Verdict:
    """May this account start one more `kind` through /api/v1/ now?

    Personas and stems are made within the request (the contract's answer is final), so only songs,
    which queue, have work in flight to count."""
    now = now or timezone.now()
    since = now - WINDOW
    if kind == Kind.SONGS:
        songs = _api_songs(owner)
        return _verdict(
            kind,
            starts=_times(songs.filter(created_at__gt=since)),
            now=now,
            unfinished=songs.filter(status__in=[EngineTask.Status.QUEUING, EngineTask.Status.PROCESSING]).count(),
        )
    made = _api_personas(owner) if kind == Kind.PERSONAS else _api_stems(owner)
    return _verdict(kind, starts=_times(made.filter(created_at__gt=since)), unfinished=0, now=now)


API_MESSAGES = {
    (Kind.SONGS, Reason.RATE): "This account has started {things} in the last hour, the most allowed "
    "(SONGS_PER_HOUR); the next one can start in {wait}.",
    (Kind.PERSONAS, Reason.RATE): "This account has made {things} in the last hour, the most allowed "
    "(PERSONAS_PER_HOUR); the next one can start in {wait}.",
    (Kind.SEPARATIONS, Reason.RATE): "This account has made {things} in the last hour, the most allowed "
    "(SEPARATIONS_PER_HOUR); the next one can start in {wait}.",
    (Kind.SONGS, Reason.IN_FLIGHT): "This account has {things} queued or rendering, the most at once "
    "(SONGS_IN_FLIGHT); send the next one when one of them has finished.",
}
API_NOUNS = {
    Kind.SONGS: ("song", "songs"),
    Kind.PERSONAS: ("persona", "personas"),
    Kind.SEPARATIONS: ("stem split", "stem splits"),
}


def _count_of(count: int, nouns: tuple[str, str]) -> str:
    return f"{count} {nouns[0] if count == 1 else nouns[1]}"


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return _count_of(seconds, ("second", "seconds"))
    return _count_of(math.ceil(seconds / 60), ("minute", "minutes"))


def api_require(owner: AbstractBaseUser, kind: Kind) -> None:
    """RateLimited (a 429 with Retry-After in seconds) unless one more `kind` may start now. Nothing is stored."""
    verdict = api_verdict(owner, kind)
    if verdict.allowed:
        return
    wait_s = verdict.retry_after_s
    message = API_MESSAGES[(kind, verdict.reason)].format(
        things=_count_of(verdict.limit, API_NOUNS[kind]), wait=_wait_words(wait_s)
    )
    raise RateLimited(message, retry_after_s=wait_s)


# --- fair queueing --------------------------------------------------------------


def backlog(owner_id: int) -> int:
    """How much of this account's work waits for the worker or runs on it: engine renders (songs from the
    studio's built-in provider and the API), personas being checked or learned, clips being separated."""
    return (
        EngineTask.objects.filter(
            owner_id=owner_id, status__in=[EngineTask.Status.QUEUING, EngineTask.Status.PROCESSING]
        ).count()
        + Persona.objects.filter(owner_id=owner_id, status=Persona.Status.PENDING).count()
        + VoiceCheck.objects.filter(owner_id=owner_id, status=VoiceCheck.Status.PENDING).count()
        + Clip.objects.filter(owner_id=owner_id, separation_status=Clip.Separation.PROCESSING).count()
    )
