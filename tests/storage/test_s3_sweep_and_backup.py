"""With media in a bucket (MEDIA_STORAGE=s3): the sweep walks the bucket through the storage API, and a
backup reads every object and a restore writes it back."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from factories import UserFactory, make_clip, sung_line

from personastudio import file_sweep
from personastudio.clips.models import Clip
from personastudio.engine.dsp import audio_io


@pytest.mark.django_db
def test_the_sweep_removes_an_orphan_object_and_keeps_every_object_a_row_points_at(bucket):
    clip = make_clip(UserFactory(), samples=sung_line(seconds=2))
    orphan = default_storage.save("engine/clips/1/gone/audio.mp3", ContentFile(b"o" * 400))
    assert orphan in bucket
    assert file_sweep.remove_orphan_media(min_age_s=3600) == (0, 0)  # both objects are new
    assert file_sweep.remove_orphan_media(min_age_s=-60) == (1, 400)  # no age limit: the orphan goes
    assert bucket.keys() == {clip.audio.name}


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_a_bucket_restores_into_an_empty_bucket_and_plays(bucket, tmp_path):
    clip = make_clip(UserFactory(), samples=sung_line(seconds=2))
    name, archive = clip.audio.name, tmp_path / "studio.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    bucket.client.delete_object(Bucket=bucket.name, Key=name)
    assert bucket.keys() == set()

    call_command("restore", str(archive), stdout=io.StringIO())
    assert bucket.keys() == {name} and Clip.objects.get().audio.name == name
    with default_storage.open(name, "rb") as stored:
        samples, _ = audio_io.decode(stored, sr=22050)
    assert len(samples) > 22050
