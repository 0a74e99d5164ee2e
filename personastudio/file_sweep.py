"""The sweep's file part: stray temporary files and orphan media, removed once they are old.

- Stray files: what a killed upload left in our FILE_UPLOAD_TEMP_DIR, our temporary copies of stored
  media (media_files.local_copy, "studio-media-*") left in the system's temporary folder by a killed
  worker, and the work folders of a killed backup or restore ("studio-backup-*", "studio-restore-*"). Only regular files of ours (our user, our folder or our prefix) are touched, never others'.
- Orphan media: files in the media storage that no row points to (every FileField of every model, and
  the storage names kept in JSON fields, FILE_NAME_JSON_FIELDS), such as what a killed render wrote
  before its row. The storage is walked through its API (listdir, get_modified_time, size, delete), so
  the same code sweeps a local folder or an S3 bucket.

A file is removed only once it is older than SWEEP_FILES_MIN_AGE_S (a day), and an orphan only after the
database is asked again, just before the delete, whether a row points at it.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from personastudio.media_files import FILE_NAME_JSON_FIELDS, file_fields, referenced_media_names

logger = logging.getLogger(__name__)

#: Name prefixes of our temporary files in the system's temporary folder (media_files.local_copy)...
STRAY_TEMP_PREFIXES = ("studio-media-",)
#: ...and of our temporary folders there (backup.py's work folders, left by a killed backup or restore).
STRAY_TEMP_DIR_PREFIXES = ("studio-backup-", "studio-restore-")


@dataclass
class FilesSwept:
    stray_files: int = 0
    stray_bytes: int = 0
    orphan_files: int = 0
    orphan_bytes: int = 0

    def line(self) -> str:
        return (
            f"Swept files: removed {self.stray_files} stray temporary files ({self.stray_bytes} bytes) and "
            f"{self.orphan_files} orphan media files ({self.orphan_bytes} bytes)"
        )


def sweep_files(*, min_age_s: float | None = None, storage=None) -> FilesSwept:
    """Remove stray temporary files and orphan media older than `min_age_s`; log what went on one line."""
    min_age_s = settings.SWEEP_FILES_MIN_AGE_S if min_age_s is None else min_age_s
    swept = FilesSwept()
    swept.stray_files, swept.stray_bytes = remove_stray_files(min_age_s=min_age_s)
    swept.orphan_files, swept.orphan_bytes = remove_orphan_media(min_age_s=min_age_s, storage=storage)
    logger.info(swept.line())
    return swept


# --- stray temporary files -------------------------------------------------------------------------------


def _our_temp_files() -> Iterator[os.DirEntry]:
    upload_dir = settings.FILE_UPLOAD_TEMP_DIR
    if upload_dir and os.path.isdir(upload_dir):
        yield from os.scandir(upload_dir)  # the folder is ours: everything in it
    system_dir = tempfile.gettempdir()
    if not upload_dir or os.path.realpath(system_dir) != os.path.realpath(upload_dir):
        yield from (
            entry
            for entry in os.scandir(system_dir)
            if entry.name.startswith(STRAY_TEMP_PREFIXES + STRAY_TEMP_DIR_PREFIXES)
        )


def remove_stray_files(*, min_age_s: float) -> tuple[int, int]:
    """Our regular temporary files older than `min_age_s`: (how many were removed, their bytes)."""
    cutoff = timezone.now().timestamp() - min_age_s
    removed = size = 0
    for entry in _our_temp_files():
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if info.st_uid != os.getuid() or info.st_mtime > cutoff:
            continue
        if stat.S_ISDIR(info.st_mode) and entry.name.startswith(STRAY_TEMP_DIR_PREFIXES):
            files, folder_bytes = _folder_files_and_bytes(entry.path)
            shutil.rmtree(entry.path, ignore_errors=True)
            removed, size = removed + files, size + folder_bytes
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError:
            logger.warning("Could not remove the stray temporary file %s", entry.path, exc_info=True)
            continue
        removed, size = removed + 1, size + info.st_size
    return removed, size


def _folder_files_and_bytes(path: str) -> tuple[int, int]:
    files = size = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
                files += 1
            except OSError:
                pass
    return files, size


# --- orphan media ----------------------------------------------------------------------------------------


def is_referenced(name: str) -> bool:
    """Asked of the database afresh: does any row point at `name`?"""
    for model, field in file_fields():
        if model._default_manager.filter(**{field.attname: name}).exists():
            return True
    for label, field_name, key in FILE_NAME_JSON_FIELDS:
        # A text search narrows the rows (JSON "contains" is not on every backend); the items decide.
        rows = apps.get_model(label)._default_manager.filter(**{f"{field_name}__icontains": name})
        for items in rows.values_list(field_name, flat=True):
            if any(isinstance(item, dict) and item.get(key) == name for item in items or ()):
                return True
    return False


def walk_storage(storage, directory: str = "") -> Iterator[str]:
    """Every file name in `storage` under `directory`, through the storage API (local folder or bucket)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # no media yet
        return
    prefix = f"{directory.rstrip('/')}/" if directory else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(directories):
        yield from walk_storage(storage, prefix + sub)


def _older_than(storage, name: str, cutoff: datetime) -> bool:
    try:
        modified = storage.get_modified_time(name)
    except FileNotFoundError:  # deleted meanwhile: nothing to sweep
        return False
    if timezone.is_naive(modified):
        modified = timezone.make_aware(modified)
    return modified < cutoff


def remove_orphan_media(*, min_age_s: float, storage=None) -> tuple[int, int]:
    """Media files older than `min_age_s` that no row points to: (how many were removed, their bytes)."""
    storage = storage or default_storage
    cutoff = timezone.now() - timedelta(seconds=min_age_s)
    known = set(referenced_media_names())  # read in one pass; is_referenced asks again per file
    removed = size = 0
    for name in walk_storage(storage):
        if name in known or not _older_than(storage, name, cutoff):
            continue
        if is_referenced(name):  # a row written since the list was read
            continue
        try:
            file_size = storage.size(name)
            storage.delete(name)
        except FileNotFoundError:
            continue
        except OSError:
            logger.warning("Could not remove the orphan media file %s", name, exc_info=True)
            continue
        removed, size = removed + 1, size + file_size
    return removed, size
