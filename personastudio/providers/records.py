"""The fields every object made through a provider carries, so it is finished and used where it was made."""

from django.db import models

from . import registry


class ProviderRecord(models.Model):
    provider = models.CharField(max_length=16, default=registry.LOCAL)
    provider_url = models.CharField(max_length=300, blank=True)  # the hosted service's root; "" for local

    class Meta:
        abstract = True

    @property
    def provider_is_hosted(self) -> bool:
        return registry.spec(self.provider).hosted
