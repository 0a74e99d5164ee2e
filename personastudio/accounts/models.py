from django.conf import settings
from django.db import models

from personastudio.providers import registry as providers


class ProviderSettings(models.Model):
    """Which music provider a user's work goes to. No row: the server's default (MUSIC_PROVIDER)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_settings")
    provider = models.CharField(max_length=16, choices=providers.CHOICES, default=providers.LOCAL)
    base_url = models.URLField(max_length=300, blank=True)  # kept when switching to a built-in provider
    # Fernet token of the API key (accounts.services.encrypt_secret); the key itself is never stored or shown.
    api_key_encrypted = models.TextField(blank=True)
    api_key_last4 = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.provider}"
