"""Stored media as the rest of the code may touch it: through Django's storage API only.

Media may live on the local disk or in an S3-compatible bucket (settings MEDIA_STORAGE), so no code asks a
file field for `.path`. A library that insists on a real file gets a temporary local copy from here, which
is removed when the `with` block ends.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.core.files import File

COPY_BLOCK_BYTES = 1024 * 1024


@contextmanager
def local_copy(storage, name: str) -> Iterator[Path]:
    """A temporary local file holding the stored file `name` (same extension), deleted afterwards."""
    suffix = PurePosixPath(name).suffix
    with tempfile.NamedTemporaryFile(prefix="studio-media-", suffix=suffix, delete=False) as out:
        path = Path(out.name)
        try:
            with storage.open(name, "rb") as source:
                shutil.copyfileobj(source, out, COPY_BLOCK_BYTES)
        except BaseException:
            out.close()
            os.unlink(path)
            raise
    try:
        yield path
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


# Moving media between the local folder and the bucket (`manage.py migrate_media`).


@dataclass
class MediaMigration:
    """What one `migrate_media` run did, per file name referenced by the database."""

    copied: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)  # same size and sha256 at the target: left alone
    missing: list[str] = field(default_factory=list)  # at neither side
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


#: JSON fields that keep storage names: (app_label.Model, field, key) for a list of {key: name} items.
FILE_NAME_JSON_FIELDS = [("engine.EngineClip", "parts", "file")]


def file_fields() -> Iterator[tuple[type, object]]:
    """(model, FileField) for every file field of every installed model."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                yield model, model_field


def referenced_media_names() -> list[str]:
    """Every stored file name the database refers to: each model's FileFields, and the names kept in the
    JSON fields of FILE_NAME_JSON_FIELDS (an engine clip's per-instrument stems)."""
    from django.apps import apps

    names: set[str] = set()
    for model, model_field in file_fields():
        names.update(
            model._default_manager.exclude(**{model_field.name: ""}).values_list(model_field.name, flat=True).distinct()
        )
    for label, field_name, key in FILE_NAME_JSON_FIELDS:
        for items in (
            apps.get_model(label)._default_manager.exclude(**{field_name: []}).values_list(field_name, flat=True)
        ):
            names.update(item[key] for item in items or () if isinstance(item, dict) and item.get(key))
    names.discard(None)
    return sorted(names)


def _sha256_and_size(storage, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(COPY_BLOCK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def migrate_media(*, source, target, names: list[str]) -> MediaMigration:
    """Copy each of `names` from storage `source` to `target` under the same name, and check the copy's size
    and sha256 against the original. A file the target already holds identically is left alone, so a run
    can be repeated (or resumed) safely; nothing is deleted from `source`."""
    report = MediaMigration()
    for name in names:
        try:
            if not source.exists(name):
                (report.already_there if target.exists(name) else report.missing).append(name)
                continue
            wanted = _sha256_and_size(source, name)
            if target.exists(name):
                if _sha256_and_size(target, name) == wanted:
                    report.already_there.append(name)
                    continue
                target.delete(name)  # a different or half-written copy: replaced
            with source.open(name, "rb") as handle:
                stored = target.save(name, File(handle, name=name))
            if stored != name:
                report.failed.append((name, f"the target stored it as {stored}"))
            elif _sha256_and_size(target, name) != wanted:
                report.failed.append((name, "the copy's size or sha256 differs from the original"))
            else:
                report.copied.append(name)
        except Exception as exc:  # one unreadable file is reported; the others are still copied
            report.failed.append((name, f"{type(exc).__name__}: {exc}"))
    return report
