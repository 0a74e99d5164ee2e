"""Copy every media file the database refers to between the local folder and the bucket."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from personastudio.media_files import migrate_media, referenced_media_names


def local_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.MEDIA_ROOT)


def bucket_storage():
    if not settings.MEDIA_S3_STORAGE:
        raise CommandError(
            "No bucket is configured: set AWS_STORAGE_BUCKET_NAME (with AWS_S3_ENDPOINT_URL, "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a self-hosted service)."
        )
    backend = settings.MEDIA_S3_STORAGE
    return import_string(backend["BACKEND"])(**backend.get("OPTIONS", {}))


class Command(BaseCommand):
    help = (
        "Copy every file the database refers to (clips, stems, tracks, parts) from the local MEDIA_ROOT to "
        "the bucket (--to s3) or back (--to disk), checking each copy's size and sha256. Files already "
        "copied are skipped, so it can be run again; nothing is deleted. Run it with the app stopped, then "
        "set MEDIA_STORAGE to match."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, choices=["s3", "disk"], help="where the files go")

    def handle(self, *args, to: str, **options):
        local, bucket = local_storage(), bucket_storage()
        source, target = (local, bucket) if to == "s3" else (bucket, local)
        where = f"bucket {settings.MEDIA_S3_STORAGE['OPTIONS']['bucket_name']}"
        names = referenced_media_names()
        self.stdout.write(
            f"{len(names)} file(s) referenced by the database; copying "
            + (f"{settings.MEDIA_ROOT} -> {where}" if to == "s3" else f"{where} -> {settings.MEDIA_ROOT}")
        )
        report = migrate_media(source=source, target=target, names=names)
        for name in report.missing:
            self.stderr.write(f"missing at both sides: {name}")
        for name, why in report.failed:
            self.stderr.write(f"failed: {name}: {why}")
        self.stdout.write(
            f"copied {len(report.copied)}, already there {len(report.already_there)}, "
            f"missing {len(report.missing)}, failed {len(report.failed)}"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) were not copied; run the command again to retry them.")
