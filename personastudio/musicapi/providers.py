"""Which provider serves a user. One place decides, so views and services never do."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from .base import MusicProvider


def provider_for(user: AbstractBaseUser, *, made_on: object | None = None) -> MusicProvider:
    """The user's choice in Settings (else the server's MUSIC_PROVIDER).

    With `made_on` (a Clip, Persona or Generation), the provider that object lives on,
    so a song started on a hosted service is finished there even after the user switched.
    """
    from personastudio.accounts.services import ProviderChoice, provider_choice_for, saved_remote

    from .errors import AuthError

    choice = provider_choice_for(user)
    if made_on is not None and not same_provider(made_on, choice.name, choice.base_url):
        saved = saved_remote(user)  # kept in Settings even after switching to the built-in engine
        if made_on.provider == "local":
            choice = ProviderChoice("local")
        elif saved and saved.api_key and service_root(saved.base_url) == service_root(made_on.provider_url):
            choice = saved
        elif (settings.MUSIC_API_KEY
              and service_root(settings.MUSIC_API_BASE_URL) == service_root(made_on.provider_url)):
            choice = ProviderChoice("remote", settings.MUSIC_API_BASE_URL, settings.MUSIC_API_KEY)
        else:
            raise AuthError(f"This was made on {made_on.provider_url or 'another service'}, which is no longer "
                            "set up in Settings. Switch back to it to finish or use it.")
    if choice.name == "remote":
        from .remote import RemoteProvider

        if not choice.base_url:
            raise AuthError("No hosted music service is set up. Add its address and key in Settings.")
        operators_service = service_root(choice.base_url) == service_root(settings.MUSIC_API_BASE_URL)
        return RemoteProvider(
            base_url=choice.base_url, api_key=choice.api_key,
            timeout_s=settings.MUSIC_API_TIMEOUT_S, stem_timeout_s=settings.MUSIC_API_STEM_TIMEOUT_S,
            # A user's own service must not make us fetch internal addresses.
            check_url=None if operators_service or settings.MUSIC_API_ALLOW_PRIVATE else _require_public,
        )
    from .local import LocalProvider

    return LocalProvider(owner=user)


def same_provider(obj: object, name: str, base_url: str) -> bool:
    """Does a Clip, Persona or Generation live on this provider?"""
    if obj.provider != name:
        return False
    return name == "local" or service_root(obj.provider_url) == service_root(base_url)


def service_root(url: str) -> str:
    return url.strip().rstrip("/").removesuffix("/api/v1")


def provider_label(name: str, base_url: str) -> str:
    return "the built-in engine" if name == "local" else (base_url or "a hosted service")


def _require_public(url: str) -> None:
    from personastudio.netguard import PrivateAddressError, require_public_http_url

    from .errors import ProtocolError

    try:
        require_public_http_url(url)
    except PrivateAddressError as exc:
        raise ProtocolError(f"The music service sent an audio link we will not fetch: {exc}") from None
