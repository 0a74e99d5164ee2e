from django.core.management.base import BaseCommand, CommandError

from personastudio.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Bring back an archive written by `manage.py backup`: every file is checked against the manifest's "
        "sha256 first; a database that already holds data is replaced only with --force. Stop the studio "
        "(web, worker and sweep) before restoring."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive written by `manage.py backup`")
        parser.add_argument("--force", action="store_true", help="replace a database that already holds data")

    def handle(self, *args, path, force, **options):
        try:
            summary = backup_restore(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored {summary.rows} rows and {summary.media_files} media files "
            f"({summary.media_bytes} bytes) from {path}"
        )
