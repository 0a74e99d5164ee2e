"""`manage.py migrate_media --to s3` and `--to disk` against a real S3-compatible server (SeaweedFS)."""

import io
import shutil
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from factories import UserFactory, make_clip, tone

from personastudio.clips.models import TrackPart
from personastudio.engine.models import EngineClip

pytestmark = pytest.mark.django_db

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def _use(settings, storage: dict, name: str) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_STORAGE = name


def _migrate(to: str) -> str:
    out = io.StringIO()
    call_command("migrate_media", "--to", to, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def local_media(settings, bucket, private_media):
    """A studio on the local disk (the bucket configured but not yet in use) with one file of each kind the
    database refers to: an upload, a track's stem (TrackPart), an engine clip and a stem its `parts` list."""
    s3 = settings.STORAGES["default"]
    _use(settings, LOCAL, "disk")
    user = UserFactory()
    clip = make_clip(user, samples=tone(seconds=2))
    part = TrackPart(track=clip, name="drums", duration_s=2.0)
    part.audio.save("drums.flac", ContentFile(b"fLaC drums"), save=True)
    stem_name = default_storage.save(f"engine/clips/{user.id}/abc123/part-bass.flac", ContentFile(b"fLaC bass"))
    engine_clip = EngineClip(
        owner=user,
        source=EngineClip.Source.GENERATED,
        expire_at=timezone.now() + timedelta(days=1),
        parts=[{"name": "bass", "file": stem_name}],
    )
    engine_clip.audio.save("audio.mp3", ContentFile(b"ID3 mix"), save=True)
    files = {
        name: (private_media / name).read_bytes()
        for name in (clip.audio.name, part.audio.name, stem_name, engine_clip.audio.name)
    }
    return {"files": files, "clip": clip, "s3": s3}


def test_it_copies_every_referenced_file_to_the_bucket_checks_it_and_skips_it_next_time(
    settings, bucket, local_media, private_media, client
):
    files = local_media["files"]
    gone = make_clip(local_media["clip"].owner, title="Lost", samples=tone(seconds=1))
    default_storage.delete(gone.audio.name)  # a row whose file was lost before the move
    # A half-written copy from an interrupted run is replaced, not kept.
    bucket.client.put_object(Bucket=bucket.name, Key=local_media["clip"].audio.name, Body=b"half")

    out = _migrate("s3")
    assert "5 file(s) referenced" in out and "copied 4, already there 0, missing 1, failed 0" in out
    assert f"missing at both sides: {gone.audio.name}" in out
    assert bucket.keys() == set(files)
    assert all(bucket.read(name) == data for name, data in files.items())

    assert "copied 0, already there 4, missing 1, failed 0" in _migrate("s3")  # idempotent

    # Switched to the bucket with the local folder gone, the studio still plays the clip.
    _use(settings, local_media["s3"], "s3")
    shutil.rmtree(private_media)
    clip = local_media["clip"]
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio", headers={"Range": "bytes=0-3"})
    assert response.status_code == 206 and b"".join(response.streaming_content) == files[clip.audio.name][:4]


def test_it_copies_the_bucket_back_to_the_local_folder(settings, bucket, local_media, private_media):
    files = local_media["files"]
    _migrate("s3")
    shutil.rmtree(private_media)
    _use(settings, local_media["s3"], "s3")

    out = _migrate("disk")
    assert "copied 4, already there 0, missing 0, failed 0" in out
    assert {name: (private_media / name).read_bytes() for name in files} == files
    assert "copied 0, already there 4, missing 0, failed 0" in _migrate("disk")


def test_without_a_bucket_it_says_which_setting_is_missing(settings):
    settings.MEDIA_S3_STORAGE = None
    with pytest.raises(CommandError, match="AWS_STORAGE_BUCKET_NAME"):
        _migrate("s3")
