from django.core.management.base import BaseCommand, CommandError

from personastudio.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write the database and all media to one archive (.tar.gz) with a manifest of versions, row counts "
        "and the sha256 of every file. Safe while the studio runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write, e.g. studio-2026-05-01.tar.gz")

    def handle(self, *args, path, **options):
        try:
            summary = backup_write(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up {summary.rows} rows and {summary.media_files} media files "
            f"({summary.media_bytes} bytes) to {path}"
        )
