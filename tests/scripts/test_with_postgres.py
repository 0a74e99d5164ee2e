"""scripts/with_postgres.py: a command runs against a throwaway PostgreSQL cluster that is gone afterwards."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "with_postgres.py"
INSTALLED = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
needs_postgres = pytest.mark.skipif(not INSTALLED, reason="Debian's postgresql is not installed")


def _folder(output: str) -> Path:
    return Path(re.search(r"folder (\S+)", output).group(1))


def test_without_postgresql_the_run_is_skipped_with_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, SCRIPT, "--", "false"],
        capture_output=True,
        text=True,
        env={**os.environ, "PG_BIN_DIR": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout == "PostgreSQL is not installed: the PostgreSQL run is skipped\n"


@needs_postgres
def test_the_command_gets_a_live_database_and_its_exit_status_and_the_cluster_is_removed():
    query = (
        "import os, sys, psycopg; url = os.environ['DATABASE_URL']; "
        "print(url.split('@')[1].split(':')[0], psycopg.connect(url).execute('select 41 + 1').fetchone()[0]);"
        "sys.exit(7)"
    )
    done = subprocess.run(
        [sys.executable, SCRIPT, "--", sys.executable, "-c", query], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 7, done.stderr
    assert "127.0.0.1 42" in done.stdout  # on loopback
    assert not _folder(done.stdout).exists()


@needs_postgres
def test_a_terminated_run_stops_the_command_and_removes_the_cluster():
    waits = "import sys; print('ready', flush=True); sys.stdin.read()"
    runner = subprocess.Popen(
        [sys.executable, SCRIPT, "--", sys.executable, "-c", waits],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = runner.stdout.readline()
        assert runner.stdout.readline() == "ready\n"
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=120) == 130
        assert not _folder(first).exists()
    finally:
        if runner.poll() is None:
            runner.kill()
