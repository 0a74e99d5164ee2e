"""Start the web server (gunicorn), the task worker and the sweep together; Ctrl-C stops all three.

A worker or sweep that dies is started again after a backoff (1 s, doubling to a minute; back to 1 s
once it has run for a minute), and the log says so: the web stays up. Only the web server stopping
stops the studio.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand

from personastudio import background

logger = logging.getLogger(__name__)

RESTART_FIRST_S = 1.0
RESTART_MAX_S = 60.0
HEALTHY_AFTER_S = 60.0  # a process that ran this long restarts quickly again if it dies
# Two cores by default: two web processes (one can serve while the other decodes an upload or zips
# stems), each with four threads for the many small requests of players and polling. Rendering runs
# in the task worker, never in a request. Requests that answer slowly on purpose (music/persona fits
# a voice for up to two minutes) run in threads, which gunicorn's timeout does not cut.
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
WEB_THREADS = int(os.environ.get("WEB_THREADS", "4"))


@dataclass
class Supervised:
    name: str
    command: list[str]
    restart: bool  # the worker and the sweep come back; the web server's end is the studio's end
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff_s: float = RESTART_FIRST_S
    due_at: float | None = None  # when a dead process is started again
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        self.started_at, self.due_at = time.monotonic(), None

    def died(self) -> bool:
        return self.process is not None and self.process.poll() is not None and self.due_at is None


def gunicorn_command(addrport: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "personastudio.wsgi:application",
        "--bind",
        addrport,
        "--workers",
        str(WEB_WORKERS),
        "--threads",
        str(WEB_THREADS),
        "--worker-class",
        "gthread",
        "--timeout",
        "120",
        "--graceful-timeout",
        "20",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = "Run Persona Studio: gunicorn on 127.0.0.1:8000, a task worker, and the periodic sweep."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        # One machine, one worker: anything still RUNNING belongs to a worker that is gone.
        requeued, failed = background.reap_stale_tasks(stale_after_s=0)
        if requeued or failed:
            self.stdout.write(f"Recovered tasks left by a stopped worker: {requeued} re-queued, {failed} failed.")
        manage = [sys.executable, "manage.py"]
        children = [
            Supervised("web", gunicorn_command(addrport), restart=False),
            Supervised("worker", [*manage, "db_worker", "--interval", "0.5", "--no-reload"], restart=True),
            Supervised("sweep", [*manage, "sweep", "--every", str(settings.SWEEP_INTERVAL_S)], restart=True),
        ]
        for child in children:
            child.start()
        self.stdout.write(f"Persona Studio is running at http://{addrport}/ — press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            self._supervise(children)
        except KeyboardInterrupt:
            pass
        finally:
            # SIGTERM, not SIGINT: a child started from a non-interactive shell may ignore SIGINT.
            # The worker finishes its current task on SIGTERM; an unfinished one is re-queued next start.
            running = [c.process for c in children if c.process is not None and c.process.poll() is None]
            for process in running:
                process.terminate()
            for process in running:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _supervise(self, children: list[Supervised]) -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            for child in children:
                if child.died():
                    code = child.process.returncode
                    if not child.restart:
                        self.stderr.write(f"The {child.name} server stopped (exit {code}); stopping the rest.")
                        return
                    if now - child.started_at >= HEALTHY_AFTER_S:
                        child.backoff_s = RESTART_FIRST_S
                    child.due_at = now + child.backoff_s
                    message = (
                        f"The {child.name} stopped (exit {code}); starting it again in "
                        f"{child.backoff_s:.0f} s. The web stays up."
                    )
                    logger.warning(message)
                    self.stderr.write(message)
                    child.backoff_s = min(child.backoff_s * 2, RESTART_MAX_S)
                elif child.due_at is not None and now >= child.due_at:
                    child.start()
                    child.restarts += 1
                    self.stdout.write(f"The {child.name} is running again (restart {child.restarts}).")
