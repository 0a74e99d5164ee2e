from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from personastudio.engine import services


class Command(BaseCommand):
    help = "Print a new sk-mm- API key for the built-in engine's /api/v1/ (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username that owns the key")
        parser.add_argument("--create-user", action="store_true", help="create the user if missing")

    def handle(self, *args, user, create_user, **options):
        User = get_user_model()
        account = User.objects.filter(username=user).first()
        if account is None:
            if not create_user:
                raise CommandError(f"No user named {user!r}. Sign up first, or pass --create-user.")
            account = User.objects.create_user(username=user)
            account.set_unusable_password()
            account.save()
        self.stdout.write(services.key_create(user=account))
