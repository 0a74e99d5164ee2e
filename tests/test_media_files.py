"""media_files.local_copy: a temporary local file for libraries that need one, always removed."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from personastudio.media_files import local_copy


def test_a_local_copy_holds_the_stored_bytes_keeps_the_extension_and_is_removed_afterwards(private_media):
    name = default_storage.save("clips/u/c/original.mp3", ContentFile(b"ID3 the bytes"))
    with local_copy(default_storage, name) as path:
        assert path.read_bytes() == b"ID3 the bytes" and path.suffix == ".mp3"
        assert private_media not in path.parents  # a copy, not the stored file itself
    assert not path.exists() and default_storage.exists(name)


def test_a_local_copy_is_removed_when_the_work_on_it_fails(private_media):
    name = default_storage.save("clips/u/c/original.wav", ContentFile(b"RIFF"))
    with pytest.raises(RuntimeError), local_copy(default_storage, name) as path:
        raise RuntimeError("the library failed")
    assert not path.exists()


def test_a_missing_stored_file_leaves_no_temporary_file_behind(private_media, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with pytest.raises(FileNotFoundError), local_copy(default_storage, "clips/none/original.wav"):
        pass
    assert list((tmp_path / "tmp").iterdir()) == []
