"""DATABASE_URL chooses the database; on PostgreSQL, TEST_DB_NAME names the tests' database."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOW = (
    "import json; from personastudio import settings; "
    "d = settings.DATABASES['default']; print(json.dumps([d['ENGINE'], d.get('TEST', {}).get('NAME'), "
    "d.get('CONN_HEALTH_CHECKS')]))"
)


def _database(**env: str) -> list:
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TEST_DB_NAME")}
    done = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**environment, **env}
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_postgres_url_runs_on_psycopg_with_health_checks():
    engine, test_name, health_checks = _database(DATABASE_URL="postgres://studio@127.0.0.1:5432/studio")
    assert engine == "django.db.backends.postgresql" and health_checks is True
    assert test_name is None  # Django's own: test_studio


def test_on_postgres_a_sqlite_style_test_db_name_gives_a_database_name():
    engine, test_name, _ = _database(
        DATABASE_URL="postgres://studio@127.0.0.1:5432/studio", TEST_DB_NAME="/tmp/Alice-test.sqlite3"
    )
    assert test_name == "test_alice_test"


def test_sqlite_stays_the_default():
    engine, test_name, _ = _database(TEST_DB_NAME="/tmp/bob-test.sqlite3")
    assert engine == "django.db.backends.sqlite3" and test_name == "/tmp/bob-test.sqlite3"
