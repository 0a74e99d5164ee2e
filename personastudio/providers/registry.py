"""The providers the studio can make music with, and what the rest of the studio needs to know about each.

This is the one place that knows provider names. Everything else asks `spec(name)` for a capability.
To add a provider: write its adapter in this package (a MusicProvider with a `connect(*, owner, base_url,
api_key)` classmethod) and add one Provider line to PROVIDERS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from personastudio.contract.errors import AuthError
from personastudio.contract.http import service_root
from personastudio.contract.provider import MusicProvider

LOCAL = "local"
REMOTE = "remote"


@dataclass(frozen=True)
class Provider:
    name: str  # stored on every Clip, Persona and Generation made through it
    label: Promise  # the choice in Settings
    described_as: str  # inside a sentence, when it has no address of its own to show
    adapter: str  # dotted path, imported on first use (the built-in engine is heavy to import)
    hosted: bool  # lives at an address of its own, reached with an API key saved in Settings
    needs_public_url: bool  # fetches our clips from PUBLIC_BASE_URL
    takes_webhooks: bool  # can call us back when a song is done, instead of being polled
    clip_handover: Literal["file", "url"]  # how a clip of ours reaches it
    # Renders in our own worker and says there how far a song is and when it ends (its adapter's
    # `listen`), so the song finishes in the task that renders it instead of when a poll notices.
    reports_in_process: bool = False
    # Takes our `persona_influence` on music/generate (how much of the persona sings, 0..1). A hosted
    # service does not know the field: it is never sent one.
    takes_persona_influence: bool = False


@dataclass(frozen=True)
class ProviderChoice:
    """What connect() needs: the provider's name, and for a hosted one its root and key."""

    name: str
    base_url: str = ""
    api_key: str = field(default="", repr=False)  # never in a traceback or a debug page


PROVIDERS = (
    Provider(
        name=LOCAL,
        label=_("Built-in engine (offline, on this computer)"),
        described_as="the built-in engine",
        adapter="personastudio.providers.local.LocalProvider",
        hosted=False,
        needs_public_url=False,
        takes_webhooks=False,
        clip_handover="file",
        reports_in_process=True,
        takes_persona_influence=True,
    ),
    Provider(
        name=REMOTE,
        label=_("A hosted MusicMint-compatible service"),
        described_as="a hosted service",
        adapter="personastudio.providers.remote.RemoteProvider",
        hosted=True,
        needs_public_url=True,
        takes_webhooks=True,
        clip_handover="url",
        takes_persona_influence=False,
    ),
)
DEFAULT = LOCAL  # with nothing set, the studio runs on its own
NAMES = tuple(provider.name for provider in PROVIDERS)
CHOICES = [(provider.name, provider.label) for provider in PROVIDERS]

_BY_NAME = {provider.name: provider for provider in PROVIDERS}


def spec(name: str) -> Provider:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LookupError(f"No music provider is called {name!r}; the registry has {', '.join(NAMES)}.") from None


def hosted(name: str) -> Provider:
    """The hosted provider `name` names, else the first hosted one (the address in Settings is for it)."""
    chosen = _BY_NAME.get(name)
    return chosen if chosen is not None and chosen.hosted else next(p for p in PROVIDERS if p.hosted)


def webhook_names() -> list[str]:
    return [provider.name for provider in PROVIDERS if provider.takes_webhooks]


def listen(*, on_progress: Callable[..., None], on_end: Callable[..., None]) -> None:
    """Hear the songs of every provider that reports in process (see `Provider.reports_in_process`).

    on_progress(provider=, task_id=, fraction=, stage=, done=, total=, variant=, variants=): how far a render
    is, at most once a second: `fraction` of the whole (0..1); `stage` "band", "singing" (`done` of `total`
    lines), "mixing" or "saving"; `variant` (0-based) of `variants`. on_end(provider=, task_id=, info=,
    measures=): the task ended (a contract TaskInfo, completed or failed), called in the worker task that
    rendered it; `measures` says, by result id, what it measured of each track (duration_s, sample_rate,
    channels, voiced_s, peaks, and parts: {name: {duration_s, peaks}}), so the copy decodes nothing again.
    """
    for provider in PROVIDERS:
        if provider.reports_in_process:
            import_string(provider.adapter).listen(on_progress=on_progress, on_end=on_end)


def connect(choice: ProviderChoice, *, owner: object) -> MusicProvider:
    """The adapter the choice names, ready to call; `owner` is the account a built-in provider keeps records for."""
    provider = spec(choice.name)
    if provider.hosted and not choice.base_url:
        raise AuthError("No hosted music service is set up. Add its address and key in Settings.")
    return import_string(provider.adapter).connect(owner=owner, base_url=choice.base_url, api_key=choice.api_key)


def same_provider(record: object, name: str, base_url: str) -> bool:
    """Does a Clip, Persona or Generation live on this provider? (A built-in one has no address: "" == "".)"""
    return record.provider == name and service_root(record.provider_url) == service_root(base_url)


def provider_label(name: str, base_url: str) -> str:
    """How a sentence names a provider: a hosted service by its address."""
    return base_url or spec(name).described_as
