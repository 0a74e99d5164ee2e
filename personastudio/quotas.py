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

This module imports no app: each app counts its own rows and registers its counters when Django starts
(its `quota_counts` module, imported by its AppConfig.ready), so the apps can use the quotas without an
import cycle. The engine's API counters leave out the studio's records through `studio_engine_ids`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from personastudio.contract.errors import RateLimited

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


# --- the studio ---------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """What one kind's rows say: when each start in the hour was, and how many are unfinished."""

    starts: list[datetime]
    unfinished: int


#: kind -> (owner, since, besides, now) -> Ledger, one per kind, registered by the app that keeps the rows.
StudioCounter = Callable[[AbstractBaseUser, datetime, "models.Model | None", datetime], Ledger]
#: kind -> (owner, since) -> Ledger of what the API started (the studio's own records left out).
ApiCounter = Callable[[AbstractBaseUser, datetime], Ledger]
_studio_counters: dict[Kind, StudioCounter] = {}
_api_counters: dict[Kind, ApiCounter] = {}
_studio_engine_ids: dict[Kind, Callable[[AbstractBaseUser], models.QuerySet]] = {}
_backlog_counters: list[Callable[[int], int]] = []


def _register(table: dict, kind: Kind, counter: Callable) -> Callable:
    if table.setdefault(kind, counter) is not counter:
        raise ValueError(f"{kind} is counted twice: {table[kind].__module__} and {counter.__module__}")
    return counter


def counts_studio(kind: Kind) -> Callable[[StudioCounter], StudioCounter]:
    """Decorator: this function counts the studio's `kind` (the app that keeps those rows registers it)."""
    return lambda counter: _register(_studio_counters, kind, counter)


def counts_api(kind: Kind) -> Callable[[ApiCounter], ApiCounter]:
    """Decorator: this function counts what /api/v1/ started of `kind`."""
    return lambda counter: _register(_api_counters, kind, counter)


def names_studio_engine_ids(kind: Kind) -> Callable:
    """Decorator: this function gives (as a one-column queryset) the engine ids the studio's `kind` records
    keep, so the API's counts leave out what the studio made through the built-in provider."""
    return lambda names: _register(_studio_engine_ids, kind, names)


def counts_backlog(counter: Callable[[int], int]) -> Callable[[int], int]:
    """Decorator: this function counts an account's work waiting for or on the worker (`backlog`)."""
    if counter not in _backlog_counters:
        _backlog_counters.append(counter)
    return counter


def studio_engine_ids(owner: AbstractBaseUser, kind: Kind) -> models.QuerySet:
    """The engine ids of the studio's `kind` records of this account (a one-column queryset, for `__in`)."""
    return _studio_engine_ids[kind](owner)


def without(queryset: models.QuerySet, row: models.Model | None) -> models.QuerySet:
    """The queryset less `row` when it is one of its model's: the row the current request just saved."""
    return queryset.exclude(pk=row.pk) if row is not None and isinstance(row, queryset.model) else queryset


def start_times(queryset: models.QuerySet) -> list[datetime]:
    return list(queryset.values_list("created_at", flat=True))


def studio_verdict(
    owner: AbstractBaseUser, kind: Kind, *, besides: models.Model | None = None, now: datetime | None = None
) -> Verdict:
    """May this account start one more `kind` in the studio now? `besides`: the row this request just saved."""
    now = now or timezone.now()
    ledger = _studio_counters[kind](owner, now - WINDOW, besides, now)
    return _verdict(kind, starts=ledger.starts, unfinished=ledger.unfinished, now=now)


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


def api_verdict(owner: AbstractBaseUser, kind: Kind, *, now: datetime | None = None) -> Verdict:
    """May this account start one more `kind` through /api/v1/ now?

    Personas and stems are made within the request (the contract's answer is final), so only songs,
    which queue, have work in flight to count."""
    now = now or timezone.now()
    ledger = _api_counters[kind](owner, now - WINDOW)
    return _verdict(kind, starts=ledger.starts, unfinished=ledger.unfinished, now=now)


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
    return sum(counter(owner_id) for counter in _backlog_counters)
