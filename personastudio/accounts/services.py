"""Accounts: where each user's music goes, and their hosted-service key kept encrypted."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from .models import ProviderSettings

MSG_KEY_UNREADABLE = _("Your saved API key can no longer be read (the server's encryption keys changed). "
                        "Enter it again in Settings.")


@dataclass(frozen=True)
class ProviderChoice:
    """What provider_for needs: the provider's name, and for a hosted service its root and key."""

    name: str
    base_url: str = ""
    api_key: str = field(default="", repr=False)  # never in a traceback or a debug page


def _fernet() -> MultiFernet:
    # The key derived from SECRET_KEY always decrypts too, so setting SECRET_ENCRYPTION_KEYS
    # later loses nothing; `rotate_secrets` then moves every stored key to the new first key.
    derived = base64.urlsafe_b64encode(hashlib.sha256(f"persona-studio-secrets:{settings.SECRET_KEY}".encode()).digest())
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


def saved_remote(user: AbstractBaseUser) -> ProviderChoice | None:
    """The hosted service this user saved in Settings (whatever they use now), with its key."""
    row = ProviderSettings.objects.filter(user=user).first() if user and user.pk else None
    if row is None or not row.base_url:
        return None
    try:
        key = decrypt_secret(row.api_key_encrypted) if row.api_key_encrypted else ""
    except InvalidToken:
        key = ""
    return ProviderChoice("remote", row.base_url, key)


def provider_choice_for(user: AbstractBaseUser) -> ProviderChoice:
    row = ProviderSettings.objects.filter(user=user).first() if user and user.pk else None
    if row is None:
        if settings.MUSIC_PROVIDER == "remote":
            return ProviderChoice("remote", settings.MUSIC_API_BASE_URL, settings.MUSIC_API_KEY)
        return ProviderChoice("local")
    if row.provider == ProviderSettings.Provider.REMOTE:
        return saved_remote(user) or ProviderChoice("remote")
    return ProviderChoice("local")


def provider_settings_save(*, user: AbstractBaseUser, provider: str, base_url: str = "",
                           api_key: str = "") -> ProviderSettings:
    """Save the choice. An empty api_key keeps the saved one; switching never deletes anything made."""
    row, _ = ProviderSettings.objects.get_or_create(user=user)
    row.provider = provider
    if provider == ProviderSettings.Provider.REMOTE:
        row.base_url = base_url.strip().rstrip("/").removesuffix("/api/v1")
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
