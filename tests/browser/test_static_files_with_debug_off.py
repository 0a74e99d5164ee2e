"""With DEBUG=False the studio serves its CSS and JavaScript as a deployment does: `collectstatic` writes them
(content-hashed, compressed) into STATIC_ROOT and WhiteNoise serves them from there under gunicorn. A real
Chromium sees every stylesheet and script load and take effect. (pytest-django's live_server serves static
files itself, so this test starts gunicorn instead.)"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_server(tmp_path):
    """gunicorn on a loopback port with DEBUG=False, its static files collected into a temporary STATIC_ROOT."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "personastudio.settings",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_HSTS_SECONDS": "0",
    }
    # No `migrate` (3 s): the login page reads no table; were it to, the readiness check below says so.
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "personastudio.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"{url}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        assert answer.status_code == 200, f"the login page answered {answer.status_code} (its database is not migrated)"
        yield url
    finally:
        # Quick shutdown (SIGINT): a graceful one (SIGTERM) waited for the browser's kept-alive connections
        # (the test's teardown 2.7 s -> 1.3 s).
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def test_with_debug_off_every_stylesheet_and_script_loads_from_the_collected_files(page, production_server):
    loaded, failed = {}, []
    page.on("response", lambda response: loaded.__setitem__(response.url, response.status))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{production_server}/accounts/login/")
    page.wait_for_load_state("load")

    assets = [
        url
        for url in page.evaluate("""[...document.querySelectorAll('link[rel=stylesheet], script[src]')]
                                              .map((node) => node.href || node.src)""")
        if "/static/" in url
    ]
    assert len(assets) >= 8 and failed == []
    for asset in assets:
        assert loaded.get(asset) == 200, f"{asset}: {loaded.get(asset)}"
        # The manifest's content-hashed names: cached for a year, a new name when the file changes.
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), asset
    # The styles took effect (Pico's container and colours) and the scripts ran (htmx, the app's own).
    assert page.evaluate("[...document.styleSheets].every((sheet) => sheet.cssRules.length > 0)")
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert page.evaluate("typeof window.htmx") == "object"

    css = next(asset for asset in assets if "/app." in asset and asset.endswith(".css"))
    served = requests.get(css, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert served.status_code == 200 and served.headers.get("Content-Encoding") == "gzip"
    assert "immutable" in served.headers["Cache-Control"]
