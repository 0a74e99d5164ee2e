"""Accounts: where each user's music goes, and their hosted-service key kept encrypted."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personastudio.contract.errors import AuthError, MusicApiError
from personastudio.contract.http import service_root
from personastudio.contract.provider import MusicProvider
from personastudio.netguard import PrivateAddressError, require_public_http_url
from personastudio.providers import registry as providers
from personastudio.providers.records import ProviderRecord
from personastudio.providers.registry import ProviderChoice

from . import selectors
from .models import ProviderSettings

MSG_KEY_UNREADABLE = _(
    "Your saved API key can no longer be read (the server's encryption keys changed). Enter it again in Settings."
)


def _fernet() -> MultiFernet:
    # The key derived from SECRET_KEY always decrypts too, so setting SECRET_ENCRYPTION_KEYS
    # later loses nothing; `rotate_secrets` then moves every stored key to the new first key.
    derived = base64.urlsafe_b64encode(
        hashlib.sha256(f"persona-studio-secrets:{settings.SECRET_KEY}".encode()).digest()
    )
    return MultiFernet([Fernet(key) for key in [*settings.SECRET_ENCRYPTION_KEYS, derived]])


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate_secrets() -> int:
    """Re-encrypt every stored key with the first of SECRET_ENCRYPTION_KEYS."""
    fernet, count = _fernet(), 0
    for row in ProviderSettings.objects.exclude(api_key_encrypted=""):
        row.api_key_encrypted = fernet.rotate(row.api_key_encrypted.encode()).decode()
        row.save(update_fields=["api_key_encrypted"])
        count += 1
    return count


def saved_hosted(user: AbstractBaseUser) -> ProviderChoice | None:
    """The hosted service this user saved in Settings (whatever they use now), with its key."""
    row = selectors.saved_provider_settings(user)
    if row is None or not row.base_url:
        return None
    try:
        key = decrypt_secret(row.api_key_encrypted) if row.api_key_encrypted else ""
    except InvalidToken:
        key = ""
    return ProviderChoice(providers.hosted(row.provider).name, row.base_url, key)


def provider_choice_for(user: AbstractBaseUser) -> ProviderChoice:
    row = selectors.saved_provider_settings(user)
    if row is None:
        if providers.spec(settings.MUSIC_PROVIDER).hosted:
            return ProviderChoice(settings.MUSIC_PROVIDER, settings.MUSIC_API_BASE_URL, settings.MUSIC_API_KEY)
        return ProviderChoice(settings.MUSIC_PROVIDER)
    if providers.spec(row.provider).hosted:
        return saved_hosted(user) or ProviderChoice(row.provider)
    return ProviderChoice(row.provider)


def provider_for(user: AbstractBaseUser, *, made_on: ProviderRecord | None = None) -> MusicProvider:
    """The user's choice in Settings (else the server's MUSIC_PROVIDER).

    With `made_on` (a Clip, Persona or Generation), the provider that object lives on,
    so a song started on a hosted service is finished there even after the user switched.
    """
    choice = provider_choice_for(user)
    if made_on is not None and not providers.same_provider(made_on, choice.name, choice.base_url):
        choice = _choice_where_made(user, made_on)
    return providers.connect(choice, owner=user)


def _choice_where_made(user: AbstractBaseUser, record: ProviderRecord) -> ProviderChoice:
    if not providers.spec(record.provider).hosted:
        return ProviderChoice(record.provider)
    root = service_root(record.provider_url)
    saved = saved_hosted(user)  # kept in Settings even after switching to a built-in provider
    if saved and saved.api_key and saved.name == record.provider and service_root(saved.base_url) == root:
        return saved
    if settings.MUSIC_API_KEY and service_root(settings.MUSIC_API_BASE_URL) == root:
        return ProviderChoice(record.provider, settings.MUSIC_API_BASE_URL, settings.MUSIC_API_KEY)
    raise AuthError(
        f"This was made on {record.provider_url or 'another service'}, which is no longer "
        "set up in Settings. Switch back to it to finish or use it."
    )


def provider_settings_save(
    *, user: AbstractBaseUser, provider: str, base_url: str = "", api_key: str = ""
) -> ProviderSettings:
    """Save the choice. An empty api_key keeps the saved one; switching never deletes anything made."""
    row, _ = ProviderSettings.objects.get_or_create(user=user)
    row.provider = provider
    if providers.spec(provider).hosted:
        row.base_url = service_root(base_url)
        if api_key:
            row.api_key_encrypted = encrypt_secret(api_key.strip())
            row.api_key_last4 = api_key.strip()[-4:]
    row.save()
    return row


def key_readable(row: ProviderSettings | None) -> bool:
    if row is None or not row.api_key_encrypted:
        return False
    try:
        decrypt_secret(row.api_key_encrypted)
    except InvalidToken:
        return False
    return True


def provider_connection_test(*, user: AbstractBaseUser, provider: str, base_url: str, api_key: str) -> tuple[bool, str]:
    """The settings page's "Test connection": one cheap authenticated call to a hosted service with what
    is on the form. (connected, the sentence to show)."""
    name = providers.hosted(provider).name
    base_url, api_key = base_url.strip(), api_key.strip()
    if not api_key:
        # Only the key this user saved for this very address: never the server's, never to another host.
        saved = saved_hosted(user)
        if saved and saved.name == name and service_root(saved.base_url) == service_root(base_url):
            api_key = saved.api_key
    if not base_url or not api_key:
        return False, gettext("Enter the service address and an API key first.")
    try:
        if not settings.MUSIC_API_ALLOW_PRIVATE:
            require_public_http_url(base_url)
        providers.connect(ProviderChoice(name, base_url, api_key), owner=user).ping()
    except PrivateAddressError as exc:
        return False, str(exc)
    except ValueError:
        return False, gettext("The address must start with http:// or https://, e.g. https://api.example.com.")
    except MusicApiError as exc:
        return False, exc.message
    return True, gettext("Connected: the service accepted the key and answered like a MusicMint service.")
