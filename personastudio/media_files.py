"""Stored media as the rest of the code may touch it: through Django's storage API only.

Media may live on the local disk or in an S3-compatible bucket (settings MEDIA_STORAGE), so no code asks a
file field for `.path`. A library that insists on a real file gets a temporary local copy from here, which
is removed when the `with` block ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

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
