"""Backup and restore: the database and every media file in one .tar.gz, with a manifest.

The archive holds:

- `manifest.json`: the format, versions (app, Django, Python, the last migration of each app), row counts
  per table, and the size and sha256 of every other member;
- `database.sqlite3` (SQLite: a copy made through SQLite's online backup API, consistent while the app
  writes) or `database.pgdump` (PostgreSQL: `pg_dump --format=custom`, one snapshot; the row counts are
  read in that same snapshot);
- `media/<storage name>` for every file of the media storage, read through the storage API (local
  folder or S3 bucket). The database is copied first, so every file its rows point at is listed after.

`restore` checks every member against the manifest before it touches anything, refuses a database that
already holds rows unless forced, restores the database (SQLite's backup API into the live connection,
or `pg_restore --clean`), writes the media back through the storage API and re-reads each file to check
its sha256, then migrates (a backup from an older version gets the newer tables).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from personastudio.file_sweep import walk_storage

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
READ_BLOCK_BYTES = 1024 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
# Tables a fresh `migrate` fills by itself: rows there do not make a database "not empty".
FRAMEWORK_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    rows: int
    media_files: int
    media_bytes: int


# --- backup ----------------------------------------------------------------------------------------------


def backup_write(path: str | os.PathLike, *, storage=None) -> Summary:
    """Write the database and all media to `path` (.tar.gz), atomically (a partial file is never left)."""
    storage = storage or default_storage
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="studio-backup-") as work:
        database_file, database = _dump_database(Path(work))
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "versions": _versions(),
            "database": database,
            "media": [],
        }
        try:
            with tarfile.open(partial, "w:gz") as archive:
                manifest["database"].update(_add_file(archive, database["file"], database_file))
                for name in walk_storage(storage):
                    item = _add_stored(archive, storage, name)
                    if item is not None:
                        manifest["media"].append(item)
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
                archive.addfile(info, io.BytesIO(data))
            os.chmod(partial, 0o600)  # it holds every user's data
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return Summary(
        rows=sum(database["rows"].values()),
        media_files=len(manifest["media"]),
        media_bytes=sum(item["size"] for item in manifest["media"]),
    )


def _versions() -> dict:
    try:
        app_version = metadata.version("personastudio")
    except metadata.PackageNotFoundError:
        app_version = "unknown"
    migrations: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name").order_by("app", "name"):
        migrations[app] = name
    return {
        "personastudio": app_version,
        "django": django.get_version(),
        "python": platform.python_version(),
        "migrations": migrations,
    }


def _tables() -> list[str]:
    return sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})


def _dump_database(work: Path) -> tuple[Path, dict]:
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups know SQLite and PostgreSQL; this database is {vendor}.")
    out = work / DATABASE_FILES[vendor]
    if vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(out)) as copy:
            connection.connection.backup(copy)  # SQLite's online backup: one consistent copy
            rows = {
                table: copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in _tables()
                if _sqlite_has_table(copy, table)
            }
        return out, {"vendor": vendor, "file": DATABASE_FILES[vendor], "rows": rows}
    return out, {"vendor": vendor, "file": DATABASE_FILES[vendor], "rows": _pg_dump(out)}


def _sqlite_has_table(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (the password never goes on a command line)."""
    db = connection.settings_dict
    values = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
    }
    return {**os.environ, **{key: str(value) for key, value in values.items() if value}}


def pg_dump_command(out: Path, *, snapshot: str) -> list[str]:
    return [
        settings.BACKUP_PG_DUMP,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--snapshot={snapshot}",
        f"--file={out}",
    ]


def pg_restore_command(dump: Path) -> list[str]:
    # --clean --if-exists: the dump's tables replace ours; one transaction: all of it or none.
    return [
        settings.BACKUP_PG_RESTORE,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={connection.settings_dict['NAME']}",
        str(dump),
    ]


def _pg_dump(out: Path) -> dict[str, int]:
    """pg_dump in a snapshot this connection holds open, and the row counts read in the same snapshot."""
    connection.ensure_connection()
    with connection.connection.transaction(), connection.connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(pg_dump_command(out, snapshot=snapshot), "pg_dump")
        existing = set(connection.introspection.table_names(cursor))
        rows = {}
        for table in _tables():
            if table in existing:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                rows[table] = cursor.fetchone()[0]
    return rows


def _run(command: list[str], tool: str) -> None:
    try:
        done = subprocess.run(command, env=pg_environment(), capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            f"{tool} is not installed: install the PostgreSQL client of the server's version, "
            f"or set BACKUP_PG_{tool.split('_')[1].upper()} to its path."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[:500]}")


class _Hashing(io.RawIOBase):
    """Reads through to `source`, hashing and counting what passes."""

    def __init__(self, source):
        self.source, self.sha256, self.size = source, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add_file(archive: tarfile.TarFile, member: str, path: Path) -> dict:
    info = archive.gettarinfo(str(path), arcname=member)
    with open(path, "rb") as source:
        reader = _Hashing(source)
        archive.addfile(info, reader)
    return {"size": reader.size, "sha256": reader.sha256.hexdigest()}


def _add_stored(archive: tarfile.TarFile, storage, name: str) -> dict | None:
    """One media file into the archive; None when it was deleted since it was listed."""
    try:
        size = storage.size(name)
        source = storage.open(name, "rb")
    except FileNotFoundError:
        return None
    with source:
        info = tarfile.TarInfo(MEDIA_PREFIX + name)
        info.size, info.mode = size, 0o600
        try:
            info.mtime = int(storage.get_modified_time(name).timestamp())
        except FileNotFoundError:  # deleted since it was opened
            info.mtime = int(timezone.now().timestamp())
        reader = _Hashing(source)
        archive.addfile(info, reader)
    return {"name": name, "size": reader.size, "sha256": reader.sha256.hexdigest()}


# --- restore ---------------------------------------------------------------------------------------------


def backup_read_manifest(path: str | os.PathLike) -> dict:
    """The archive's manifest, after checking every member against it (BackupError when anything differs)."""
    try:
        archive = tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a backup archive (.tar.gz): {exc}") from None
    manifest, seen = None, {}
    with archive:
        try:
            for member in archive:
                _check_member_name(member)
                if member.name == MANIFEST:
                    manifest = json.load(archive.extractfile(member))
                    continue
                reader = _Hashing(archive.extractfile(member))
                while reader.read(READ_BLOCK_BYTES):
                    pass
                seen[member.name] = {"size": reader.size, "sha256": reader.sha256.hexdigest()}
        except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
            raise BackupError(f"{path} is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has no manifest of a backup made by this version (format {FORMAT}).")
    expected = {manifest["database"]["file"]: manifest["database"]}
    expected.update({MEDIA_PREFIX + item["name"]: item for item in manifest["media"]})
    for name, item in expected.items():
        found = seen.get(name)
        if found is None:
            raise BackupError(f"{path} is incomplete: {name} is missing.")
        if found["sha256"] != item["sha256"] or found["size"] != item["size"]:
            raise BackupError(f"{path} is damaged: the sha256 of {name} does not match its manifest.")
    return manifest


def _check_member_name(member: tarfile.TarInfo) -> None:
    parts = PurePosixPath(member.name).parts
    if not member.isfile() or member.name.startswith("/") or ".." in parts:
        raise BackupError(f"The archive holds {member.name!r}, which no backup writes: refusing it.")


def database_has_rows() -> bool:
    """Any row beyond what `migrate` makes by itself (users, clips, songs, sessions, tasks...)."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in _tables():
            if table in existing and table not in FRAMEWORK_TABLES:
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
                if cursor.fetchone() is not None:
                    return True
    return False


def backup_restore(path: str | os.PathLike, *, force: bool = False, storage=None) -> Summary:
    """Bring a backup back: verified first, the database only when empty (or `force`), then the media."""
    storage = storage or default_storage
    manifest = backup_read_manifest(path)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup holds a {vendor} database; the app now runs on {connection.vendor}. "
            "Restore it into the same kind of database."
        )
    if not force and database_has_rows():
        raise BackupError(
            "The database already holds data; restoring would replace it. Run restore with --force to replace it."
        )
    with _members(path) as members, tempfile.TemporaryDirectory(prefix="studio-restore-") as work:
        dump = Path(work) / manifest["database"]["file"]
        with open(dump, "wb") as out:
            _copy(members[manifest["database"]["file"]], out)
        _restore_database(vendor, dump)
    call_command("migrate", interactive=False, verbosity=0)
    with _members(path) as members:
        for item in manifest["media"]:
            _restore_file(storage, item, members[MEDIA_PREFIX + item["name"]])
    return Summary(
        rows=sum(manifest["database"]["rows"].values()),
        media_files=len(manifest["media"]),
        media_bytes=sum(item["size"] for item in manifest["media"]),
    )


class _LazyMembers:
    """Members of a gzip archive read in order, each at most once (no seeking back in the stream)."""

    def __init__(self, archive: tarfile.TarFile):
        self.archive = archive
        self.iterator: Iterator[tarfile.TarInfo] = iter(archive)

    def __getitem__(self, name: str):
        for member in self.iterator:
            if member.name == name:
                return self.archive.extractfile(member)
        raise BackupError(f"The archive changed while it was restored: {name} is missing.")


@contextmanager
def _members(path):
    with tarfile.open(path, "r|gz") as archive:
        yield _LazyMembers(archive)


def _copy(source, out) -> None:
    while block := source.read(READ_BLOCK_BYTES):
        out.write(block)


def _restore_database(vendor: str, dump: Path) -> None:
    if vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(dump)) as source:
            source.backup(connection.connection)
        connection.close()  # the next query opens the restored database afresh
        return
    connection.close()  # pg_restore needs the tables free of our locks
    _run(pg_restore_command(dump), "pg_restore")


def _restore_file(storage, item: dict, source) -> None:
    name = item["name"]
    if storage.exists(name):  # the same name in a forced restore: the backup's version wins
        storage.delete(name)
    # A seekable copy (in memory, or an unnamed temporary file when large): a bucket's upload may rewind.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spooled:
        _copy(source, spooled)
        spooled.seek(0)
        content = File(spooled, name=PurePosixPath(name).name)
        content.size = item["size"]  # never guessed from a local path of the same name
        saved = storage.save(name, content)
    if saved != name:
        raise BackupError(f"The media storage kept {name} as {saved}; restore into an empty media storage.")
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        while block := stored.read(READ_BLOCK_BYTES):
            digest.update(block)
    if digest.hexdigest() != item["sha256"]:
        raise BackupError(f"{name} was written back, but its sha256 does not match the backup's.")
