import time

from django.conf import settings
from django.core.management.base import BaseCommand

from personastudio import background
from personastudio.generations import services as generation_services


class Command(BaseCommand):
    help = ("Re-queue or fail tasks whose worker died, and move unfinished generations on. "
            "Run once (for cron) or with --every N seconds.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: run once)")

    def handle(self, *args, every, **options):
        while True:
            requeued, failed = background.reap_stale_tasks()
            refreshed = generation_services.generation_refresh_unfinished()
            if requeued or failed or options["verbosity"] > 1:
                self.stdout.write(f"sweep: re-queued {requeued}, failed {failed}, refreshed {refreshed}")
            if not every:
                return
            time.sleep(every or settings.SWEEP_INTERVAL_S)
