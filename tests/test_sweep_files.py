"""The sweep removes stray temporary files and orphan media once they are a day old, never a file a row
points at, and says on one line what it removed."""

import logging
import os
import tempfile
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from factories import UserFactory, make_clip, tone

from personastudio import file_sweep
from personastudio.engine.models import EngineClip
from personastudio.uploads import StudioTemporaryFileUploadHandler

pytestmark = pytest.mark.django_db

DAY_S = 24 * 3600


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _stored(name: str, data: bytes = b"x" * 1000, *, age_s: float = 0) -> str:
    stored = default_storage.save(name, ContentFile(data))
    _age(default_storage.path(stored), age_s)
    return stored


@pytest.fixture
def our_temp(settings, tmp_path, monkeypatch):
    """Our upload folder and a system temporary folder of the test's own (TMPDIR), both empty."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    system = tmp_path / "system-tmp"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    return tmp_path / "uploads", system


def test_an_orphan_media_file_older_than_a_day_is_removed(our_temp):
    name = _stored("engine/clips/1/abc/part-drums.flac", age_s=DAY_S + 60)
    swept = file_sweep.sweep_files()
    assert not default_storage.exists(name)
    assert (swept.orphan_files, swept.orphan_bytes) == (1, 1000)


def test_a_new_orphan_media_file_is_kept(our_temp):
    name = _stored("engine/clips/1/abc/audio.mp3", age_s=60)  # a render may be writing its row right now
    assert file_sweep.sweep_files().orphan_files == 0
    assert default_storage.exists(name)


def test_a_file_a_row_points_at_is_kept_even_when_old(our_temp):
    clip = make_clip(UserFactory(), samples=tone(seconds=1))
    _age(default_storage.path(clip.audio.name), 30 * DAY_S)
    part = _stored("engine/clips/1/abc/part-bass.flac", age_s=30 * DAY_S)
    engine_clip = _stored("engine/clips/1/abc/audio.mp3", age_s=30 * DAY_S)
    EngineClip.objects.create(
        owner=clip.owner,
        source=EngineClip.Source.GENERATED,
        audio=engine_clip,
        parts=[{"name": "bass", "file": part}],
        expire_at=timezone.now() + timedelta(days=7),
    )
    assert file_sweep.sweep_files().orphan_files == 0
    assert all(default_storage.exists(name) for name in (clip.audio.name, part, engine_clip))


def test_the_database_is_asked_again_just_before_a_delete():
    name = _stored("clips/1/x/original.wav", age_s=2 * DAY_S)
    assert not file_sweep.is_referenced(name)
    user = UserFactory()
    EngineClip.objects.create(
        owner=user,
        source=EngineClip.Source.GENERATED,
        audio="engine/clips/other.mp3",
        parts=[{"name": "keys", "file": name}],
        expire_at=timezone.now(),
    )
    assert file_sweep.is_referenced(name)
    assert not file_sweep.is_referenced("clips/1/x/original")  # a name that merely starts the same is not


def test_a_stray_upload_file_older_than_a_day_is_removed_and_a_new_one_kept(our_temp):
    uploads, _system = our_temp
    old, new = uploads / "tmpab12.upload.wav", uploads / "tmpcd34.upload.wav"
    old.write_bytes(b"y" * 500)
    new.write_bytes(b"y" * 500)
    _age(old, DAY_S + 60)
    swept = file_sweep.sweep_files()
    assert not old.exists() and new.exists()
    assert (swept.stray_files, swept.stray_bytes) == (1, 500)


def test_only_our_own_temporary_files_are_removed_from_the_system_folder(our_temp):
    _uploads, system = our_temp
    ours, theirs = system / "studio-media-k3j2.flac", system / "tmpzz9.upload.wav"
    for path in (ours, theirs):
        path.write_bytes(b"z" * 10)
        _age(path, 3 * DAY_S)
    file_sweep.sweep_files()
    assert not ours.exists() and theirs.exists()


def test_the_work_folder_of_a_killed_backup_is_removed_with_what_it_held(our_temp):
    _uploads, system = our_temp
    work = system / "studio-backup-x1y2"
    work.mkdir()
    (work / "database.sqlite3").write_bytes(b"d" * 4096)
    _age(work, 2 * DAY_S)
    swept = file_sweep.sweep_files()
    assert not work.exists() and (swept.stray_files, swept.stray_bytes) == (1, 4096)


def test_the_sweep_logs_what_it_removed_on_one_line(our_temp, caplog):
    uploads, _system = our_temp
    stray = uploads / "tmp1.upload.mp3"
    stray.write_bytes(b"s" * 300)
    _age(stray, 2 * DAY_S)
    _stored("clips/9/y/original.wav", data=b"o" * 700, age_s=2 * DAY_S)
    _stored("clips/9/z/original.wav", data=b"o" * 800, age_s=2 * DAY_S)
    with caplog.at_level(logging.INFO, logger="personastudio.file_sweep"):
        file_sweep.sweep_files()
    lines = [r.getMessage() for r in caplog.records if r.name == "personastudio.file_sweep"]
    assert lines == ["Swept files: removed 1 stray temporary files (300 bytes) and 2 orphan media files (1500 bytes)"]


def test_the_sweep_command_sweeps_files(our_temp):
    name = _stored("engine/clips/2/q/audio.mp3", age_s=2 * DAY_S)
    call_command("sweep")
    assert not default_storage.exists(name)


def test_big_uploads_are_spooled_into_our_own_folder_made_when_missing(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "gone" / "uploads")  # e.g. cleaned away by the system
    handler = StudioTemporaryFileUploadHandler()
    handler.new_file("audio", "take.wav", "audio/wav", 10_000_000)
    try:
        assert os.path.dirname(handler.file.temporary_file_path()) == settings.FILE_UPLOAD_TEMP_DIR
    finally:
        handler.file.close()
