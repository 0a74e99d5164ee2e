"""Issue 14: no install runs on the public built-in SECRET_KEY. With DEBUG off the settings refuse it;
`make run` makes each install its own random key in a private, git-ignored file beside the database."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from personastudio.secret_key_file import DEFAULT_SECRET_KEY, KEY_FILE_NAME, key_file_path

ROOT = Path(__file__).resolve().parent.parent
PRINT_KEY = "import personastudio.settings as s; print(s.SECRET_KEY)"


def _python(code_or_module: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECRET_KEY", "DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"))
    }
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'db.sqlite3'}"
    return subprocess.run(
        [sys.executable, *code_or_module], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_with_debug_off_the_settings_refuse_the_built_in_key_and_say_what_to_set(tmp_path):
    for extra in ({}, {"SECRET_KEY": DEFAULT_SECRET_KEY}):
        run = _python(["-c", PRINT_KEY], tmp_path, DEBUG="False", **extra)
        assert run.returncode != 0
        assert "ImproperlyConfigured" in run.stderr and "set SECRET_KEY" in run.stderr
        assert str(tmp_path / "data" / KEY_FILE_NAME) in run.stderr  # or where `make run` would put one
    assert _python(["-c", PRINT_KEY], tmp_path, DEBUG="True").stdout.strip() == DEFAULT_SECRET_KEY  # a laptop
    ok = _python(["-c", PRINT_KEY], tmp_path, DEBUG="False", SECRET_KEY="a-long-random-operator-key")
    assert ok.returncode == 0 and ok.stdout.strip() == "a-long-random-operator-key"


def test_make_run_creates_a_private_random_key_once_beside_the_database_and_the_settings_read_it(tmp_path):
    (tmp_path / "data").mkdir()
    first = _python(["-m", "personastudio.secret_key_file"], tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "data" / KEY_FILE_NAME
    key = key_file.read_text().strip()
    assert len(key) >= 50 and key != DEFAULT_SECRET_KEY and str(key_file) in first.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _python(["-m", "personastudio.secret_key_file"], tmp_path).returncode == 0
    assert key_file.read_text().strip() == key  # kept: a restart signs nobody out
    run = _python(["-c", PRINT_KEY], tmp_path, DEBUG="False")
    assert run.returncode == 0 and run.stdout.strip() == key
    # An operator's SECRET_KEY wins, and then no file is made.
    other = tmp_path / "other"
    _python(["-m", "personastudio.secret_key_file"], other, SECRET_KEY="set-by-the-operator")
    assert not (other / "data" / KEY_FILE_NAME).exists()


def test_the_key_file_sits_beside_the_database_and_is_git_ignored_and_make_run_makes_it_first(tmp_path):
    assert key_file_path(f"sqlite:///{tmp_path / 'db.sqlite3'}") == tmp_path / KEY_FILE_NAME
    assert key_file_path("postgres://u:p@127.0.0.1/studio", ROOT) == ROOT / KEY_FILE_NAME
    assert subprocess.run(["git", "check-ignore", "-q", KEY_FILE_NAME], cwd=ROOT).returncode == 0
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert "personastudio.secret_key_file" in plan
    assert plan.index("personastudio.secret_key_file") < plan.index("migrate") < plan.index("runstudio")


@pytest.mark.django_db
def test_signed_links_depend_on_the_key(settings):
    from factories import UserFactory, tone, wav_bytes

    from personastudio.engine import services

    clip = services.clip_import_bytes(owner=UserFactory(), data=wav_bytes(tone(seconds=1)), filename="t.wav")
    audio, cover = services.clip_file_path(clip), services.cover_path(clip)
    settings.SECRET_KEY = "another-install-s-key"
    assert services.clip_file_path(clip) != audio and services.cover_path(clip) != cover
    with pytest.raises(services.NotFound):  # a link made with another key (the public one) is no link here
        services.clip_file_from_path(audio)
