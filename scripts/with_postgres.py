#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster.

    scripts/with_postgres.py -- .venv/bin/python -m pytest -m "not browser" --db-only

Creates a temporary folder, `initdb`s a cluster in it, starts `postgres` on a free loopback port
(and a unix socket in the folder) with trust authentication, creates a database, exports
DATABASE_URL=postgres://… for the command, runs it, then stops the cluster and removes the folder,
also when the command fails or is interrupted (Ctrl-C, SIGTERM). Exits with the command's status.

PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` system user (Debian's
package makes it) through `runuser`. When no PostgreSQL binaries are installed, it prints one line
and exits 0, so `make test` goes on without the PostgreSQL run.

The cluster is for tests: fsync and synchronous commit are off (nothing in it outlives the run).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

SKIPPED = "PostgreSQL is not installed: the PostgreSQL run is skipped"
ROLE = "personastudio"
DATABASE = "personastudio"
UNPRIVILEGED_USER = "postgres"


class Interrupted(Exception):
    """SIGTERM (or SIGHUP) arrived: clean up as for Ctrl-C."""


def find_bin_dir() -> Path | None:
    """The PostgreSQL server binaries: PG_BIN_DIR if set, else Debian's newest /usr/lib/postgresql/N/bin,
    else those on PATH."""
    if os.environ.get("PG_BIN_DIR"):
        candidates = [os.environ["PG_BIN_DIR"]]
    else:
        candidates = sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
            reverse=True,
        )
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="personastudio-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = 0
        self.started = False
        # As root, run the server tools as an unprivileged user that owns the folder.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(UNPRIVILEGED_USER)
            except KeyError:
                raise SystemExit(
                    f"PostgreSQL will not run as root and there is no '{UNPRIVILEGED_USER}' user "
                    "to run it as (Debian's postgresql package creates it)."
                ) from None
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", UNPRIVILEGED_USER, "--"]

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.as_user, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n--- postgres.log ---\n" + "\n".join(self.log.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ROLE,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        for attempt in range(3):  # another process may take the free port between our probe and the bind
            self.port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options)
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self.started = True
            break
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE, DATABASE)

    @property
    def url(self) -> str:
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "60")
        except RuntimeError as exc:
            print(f"with_postgres: could not stop the cluster cleanly: {exc}", file=sys.stderr)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage="%(prog)s -- command [args...]")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    command = parser.parse_args(argv).command
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("give the command to run after --")

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print(SKIPPED, flush=True)
        return 0

    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    cluster = Cluster(bin_dir)
    child: subprocess.Popen | None = None
    try:
        cluster.start()
        print(
            f"with_postgres: PostgreSQL ({bin_dir.parent.name}) at 127.0.0.1:{cluster.port}, folder {cluster.folder}",
            flush=True,
        )
        child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": cluster.url})
        return child.wait()
    except (KeyboardInterrupt, Interrupted):
        # Ctrl-C reached the child too (same process group); a SIGTERM is passed on.
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        cluster.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
