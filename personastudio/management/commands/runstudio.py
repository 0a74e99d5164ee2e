"""Start the web server, the task worker and the sweep together; Ctrl-C stops all three."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from personastudio import background


class Command(BaseCommand):
    help = "Run Persona Studio: web server on 127.0.0.1:8000, a task worker, and the periodic sweep."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        # One machine, one worker: anything still RUNNING belongs to a worker that is gone.
        requeued, failed = background.reap_stale_tasks(stale_after_s=0)
        if requeued or failed:
            self.stdout.write(f"Recovered tasks left by a stopped worker: {requeued} re-queued, {failed} failed.")
        manage = [sys.executable, "manage.py"]
        commands = {
            "web": [*manage, "runserver", addrport, "--noreload"],
            "worker": [*manage, "db_worker", "--interval", "0.5", "--no-reload"],
            "sweep": [*manage, "sweep", "--every", str(settings.SWEEP_INTERVAL_S)],
        }
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(f"Persona Studio is running at http://{addrport}/ — press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            # SIGTERM, not SIGINT: a child started from a non-interactive shell may ignore SIGINT.
            # The worker finishes its current task on SIGTERM; an unfinished one is re-queued next start.
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
