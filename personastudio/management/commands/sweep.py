import time

from django.conf import settings
from django.core.management.base import BaseCommand

from personastudio import background, file_sweep
from personastudio.generations import services as generation_services


class Command(BaseCommand):
    help = (
        "Re-queue or fail tasks whose worker died, move unfinished generations on, and remove stray "
        "temporary files and orphan media older than SWEEP_FILES_MIN_AGE_S (at most every "
        "SWEEP_FILES_INTERVAL_S). Run once (for cron) or with --every N seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: run once)")

    def handle(self, *args, every, **options):
        files_swept_at = None
        while True:
            requeued, failed = background.reap_stale_tasks()
            refreshed = generation_services.generation_refresh_unfinished()
            if requeued or failed or options["verbosity"] > 1:
                self.stdout.write(f"sweep: re-queued {requeued}, failed {failed}, refreshed {refreshed}")
            # Walking the media lists every file (every object of a bucket): on its own, slower clock.
            if files_swept_at is None or time.monotonic() - files_swept_at >= settings.SWEEP_FILES_INTERVAL_S:
                file_sweep.sweep_files()
                files_swept_at = time.monotonic()
            if not every:
                return
            time.sleep(every or settings.SWEEP_INTERVAL_S)
