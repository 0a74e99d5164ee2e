from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderSettings(models.Model):
    """Which music provider a user's work goes to. No row: the server's default (MUSIC_PROVIDER)."""

    class Provider(models.TextChoices):
        LOCAL = "local", _("Built-in engine (offline, on this computer)")
        REMOTE = "remote", _("A hosted MusicMint-compatible service")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_settings")
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.LOCAL)
    base_url = models.URLField(max_length=300, blank=True)
    # Fernet token of the API key (accounts.services.encrypt_secret); the key itself is never stored or shown.
    api_key_encrypted = models.TextField(blank=True)
    api_key_last4 = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.provider}"
