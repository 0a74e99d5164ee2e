"""`manage.py runstudio` (what `make run` starts): gunicorn, a worker and the sweep; a dead worker comes back
and the web stays up."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> dict[int, str]:
    """The direct children of `pid` and their command lines, read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def _wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "SECRET_KEY": "runstudio-test-key",
        "SWEEP_INTERVAL_S": "30",
    }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database file with every migration applied, made once for the module (each test gets a copy)."""
    folder = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=_env(folder),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / "db.sqlite3"


@pytest.fixture
def studio(tmp_path, migrated):
    env = _env(tmp_path)
    shutil.copyfile(migrated, tmp_path / "db.sqlite3")
    port = _free_port()
    log = (tmp_path / "studio.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runstudio", "--addrport", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process, f"http://127.0.0.1:{port}", tmp_path / "studio.log"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def test_gunicorn_serves_pages_and_static_files_and_a_killed_worker_comes_back(studio):
    process, url, log = studio
    _wait_for(lambda: _status(f"{url}/accounts/login/") == 200, 60, "the log-in page")
    assert _status(f"{url}/static/css/results.css") == 200  # whitenoise, without collectstatic
    children = _children(process.pid)
    assert any("gunicorn" in command for command in children.values())
    worker = next(pid for pid, command in children.items() if "db_worker" in command)

    os.kill(worker, signal.SIGKILL)
    restarted = _wait_for(
        lambda: [pid for pid, command in _children(process.pid).items() if "db_worker" in command and pid != worker],
        30,
        "a new worker",
    )
    assert restarted and process.poll() is None
    assert _status(f"{url}/accounts/login/") == 200  # the web never went down
    text = log.read_text()
    assert "The worker stopped" in text and "The web stays up" in text and "running again" in text


def test_the_studio_stops_with_all_its_processes(studio):
    process, url, _log = studio
    _wait_for(lambda: _status(f"{url}/accounts/login/") == 200, 60, "the log-in page")
    children = list(_children(process.pid))
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) is not None
    assert not [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
    ]
