"""The per-install SECRET_KEY: a random key in a file beside the database, so no install runs on a public key.

`make run` calls `python -m personastudio.secret_key_file` before anything imports the settings; the
settings read the file when neither SECRET_KEY nor SECRET_KEY_FILE is in the environment. No Django
here: it runs before the settings can be imported.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

#: The built-in key: public (it is in this repository), so accepted only with DEBUG on.
DEFAULT_SECRET_KEY = "dev-only-not-secret-persona-studio"
KEY_FILE_NAME = ".secret-key"
BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    """As the settings read it: `NAME_FILE` (a path) wins over `NAME`."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def default_database_url(base_dir: Path = BASE_DIR) -> str:
    return f"sqlite:///{base_dir / 'db.sqlite3'}"


def key_file_path(database_url: str, base_dir: Path = BASE_DIR) -> Path:
    """Beside the SQLite database file; in the project folder for any other database."""
    database = dj_database_url.parse(database_url)
    name = str(database.get("NAME") or "")
    if database["ENGINE"] == "django.db.backends.sqlite3" and name and name != ":memory:":
        return Path(name).resolve().parent / KEY_FILE_NAME
    return base_dir / KEY_FILE_NAME


def read_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def create_key(path: Path) -> bool:
    """Write a new random key to `path` (mode 0600) unless the file exists. True when it was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
    os.chmod(path, 0o600)
    return True


def main() -> int:
    if _env("SECRET_KEY"):
        return 0  # the operator set one
    path = key_file_path(_env("DATABASE_URL", default_database_url()))
    if create_key(path):
        print(f"Created this install's SECRET_KEY in {path} (keep it private; deleting it signs everyone out).")
    elif not read_key(path):
        print(f"{path} is empty: delete it and run again, or set SECRET_KEY.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
