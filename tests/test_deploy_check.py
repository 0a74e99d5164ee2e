"""Issue 14, deployment hardening: with DEBUG off `manage.py check --deploy` is clean (HTTPS redirect, HSTS,
Secure cookies), while `make run`'s DEBUG mode keeps serving plain http://127.0.0.1."""

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the settings read for these: the test decides every one of them.
DECIDED = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "SECURE_",
    "SESSION_COOKIE_",
    "CSRF_COOKIE_",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # the last: set by tests/conftest.py
# One request through the whole middleware stack, as a browser would send it, answered by these settings.
ASK_LOGIN_PAGE = """
import json, sys, django
django.setup()
from django.test import Client
response = Client(HTTP_HOST=sys.argv[1]).get("/accounts/login/", secure=sys.argv[2] == "https")
cookie = response.cookies.get("csrftoken")
print(json.dumps({"status": response.status_code, "location": response.get("Location"),
                  "hsts": response.get("Strict-Transport-Security"),
                  "csrf_cookie_secure": bool(cookie and cookie["secure"])}))
"""


# With DEBUG off the pages name their static files through WhiteNoise's manifest: collected once per module.
STATIC = {}


@pytest.fixture(scope="module", autouse=True)
def collected_static(tmp_path_factory):
    STATIC["STATIC_ROOT"] = str(tmp_path_factory.mktemp("static"))
    run = _run(["manage.py", "collectstatic", "--noinput"], tmp_path_factory.mktemp("collect"), **_production())
    assert run.returncode == 0, run.stderr


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(DECIDED)} | STATIC
    (tmp_path / "data").mkdir(exist_ok=True)
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'db.sqlite3'}"
    base["DJANGO_SETTINGS_MODULE"] = "personastudio.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def _production(**extra: str) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!#%&()*+,-./:;<=>?@[]^_{|}~"
    return {
        "DEBUG": "False",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(50)),
        "ALLOWED_HOSTS": "studio.example",
        **extra,
    }


def _login_page(tmp_path, host: str, scheme: str, **env: str) -> dict:
    run = _run(["-c", ASK_LOGIN_PAGE, host, scheme], tmp_path, **env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_deploy_check_is_clean_with_debug_off_and_production_settings(tmp_path):
    run = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **_production())
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "?:" not in output and "WARNINGS" not in output
    assert "no issues (0 silenced)" in output


def test_behind_a_proxy_that_terminates_tls_the_redirect_is_left_to_it_and_the_check_stays_clean(tmp_path):
    proxy = _production(SECURE_SSL_REDIRECT="False", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    run = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **proxy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "?:" not in run.stdout + run.stderr
    assert _login_page(tmp_path, "studio.example", "http", **proxy)["status"] == 200  # no redirect loop


def test_with_debug_off_http_is_redirected_and_https_answers_with_hsts_and_secure_cookies(tmp_path):
    plain = _login_page(tmp_path, "studio.example", "http", **_production())
    assert plain["status"] == 301 and plain["location"] == "https://studio.example/accounts/login/"
    secure = _login_page(tmp_path, "studio.example", "https", **_production())
    assert secure["status"] == 200
    assert secure["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert secure["csrf_cookie_secure"] is True


def test_make_run_mode_still_serves_plain_http_on_the_loopback_address(tmp_path):
    """`make run` sets no DEBUG (on by default) and serves http://127.0.0.1: no redirect, no HSTS, and the
    CSRF cookie is sent back over http, so forms still work."""
    page = _login_page(tmp_path, "127.0.0.1", "http")
    assert page == {"status": 200, "location": None, "hsts": None, "csrf_cookie_secure": False}
