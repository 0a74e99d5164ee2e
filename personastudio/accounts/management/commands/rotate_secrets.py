"""Re-encrypt stored hosted-service keys with the first of SECRET_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from personastudio.accounts.services import rotate_secrets


class Command(BaseCommand):
    help = "Re-encrypt every stored API key with the newest SECRET_ENCRYPTION_KEYS entry."

    def handle(self, *args, **options):
        self.stdout.write(f"Re-encrypted {rotate_secrets()} stored key(s).")
