"""`manage.py backup` and `manage.py restore`: a user's clips, personas and songs come back, every file plays."""

import io
import json
import shutil
import tarfile
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from factories import UserFactory, make_clip, sung_line, tone

from personastudio.clips import services as clip_services
from personastudio.clips.models import Clip, TrackPart
from personastudio.engine.dsp import audio_io
from personastudio.engine.models import EngineClip
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db(transaction=True)


def _studio_of_one_user():
    """A user with an uploaded clip, a persona learned from it, and a song: a generated track with its
    per-instrument stems, and the engine's own record of it (mix, vocal and band stems, part files)."""
    user = UserFactory(username="ada")
    voice = make_clip(user, title="Morning take", samples=sung_line(seconds=3))
    Persona.objects.create(
        owner=user, name="Ada's voice", source_clip=voice, status=Persona.Status.COMPLETE, profile={"median_hz": 220.0}
    )
    song = Generation.objects.create(
        owner=user, title="Sea song", prompt="[Verse]\nla la", status=Generation.Status.COMPLETED
    )
    track = clip_services.clip_create(
        owner=user,
        title="Sea song",
        data=audio_io.encode_mp3(tone(seconds=2), sr=22050),
        filename="track.mp3",
        kind=Clip.Kind.GENERATED,
        generation=song,
        remote_id="t1",
    )
    part = TrackPart(track=track, name="drums", duration_s=2.0)
    part.audio.save("drums.flac", ContentFile(audio_io.encode_flac(tone(seconds=2, hz=110), sr=22050)), save=False)
    part.save()
    engine = EngineClip(
        owner=user,
        source=EngineClip.Source.GENERATED,
        title="Sea song",
        duration_s=2,
        expire_at=timezone.now() + timedelta(days=30),
    )
    engine.audio.save("audio.mp3", ContentFile(audio_io.encode_mp3(tone(seconds=2), sr=22050)), save=False)
    engine.vocal_stem.save(
        "vocals.mp3", ContentFile(audio_io.encode_mp3(tone(seconds=2, hz=330), sr=22050)), save=False
    )
    name = default_storage.save(
        f"engine/clips/{user.pk}/{engine.id}/part-bass.flac",
        ContentFile(audio_io.encode_flac(tone(seconds=2, hz=55), sr=22050)),
    )
    engine.parts = [{"name": "bass", "file": name}]
    engine.save()
    return user


def _every_stored_name() -> list[str]:
    names = [c.audio.name for c in Clip.objects.all()] + [p.audio.name for p in TrackPart.objects.all()]
    for engine in EngineClip.objects.all():
        names += [f.name for f in (engine.audio, engine.vocal_stem, engine.band_stem) if f.name]
        names += [part["file"] for part in engine.parts]
    return names


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (get_user_model(), Clip, Persona, Generation, TrackPart, EngineClip)
    }


def _wipe(media_root) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media_root)


def test_a_user_with_clips_personas_and_songs_comes_back_and_every_file_plays(tmp_path, private_media):
    _studio_of_one_user()
    before, names = _counts(), _every_stored_name()
    assert len(names) == 6
    archive = tmp_path / "studio.tar.gz"

    call_command("backup", str(archive), stdout=io.StringIO())
    _wipe(private_media)
    assert _counts()["Clip"] == 0 and not any(default_storage.exists(n) for n in names)
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert _counts() == before
    assert "Restored" in out.getvalue() and "6 media files" in out.getvalue()
    assert get_user_model().objects.get(username="ada").check_password("a-long-Test-passw0rd")
    assert Persona.objects.get().source_clip.title == "Morning take"
    assert sorted(_every_stored_name()) == sorted(names)
    for name in names:
        with default_storage.open(name, "rb") as stored:
            samples, _ = audio_io.decode(stored, sr=22050)
        assert len(samples) > 22050 and abs(samples).max() > 0.05, name


def test_the_archive_holds_a_manifest_with_versions_counts_and_checksums(tmp_path):
    _studio_of_one_user()
    archive = tmp_path / "studio.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = set(tar.getnames())
    assert manifest["format"] == 1 and manifest["versions"]["django"]
    # SQLite's online backup, or pg_dump's custom format on PostgreSQL (scripts/with_postgres.py)
    assert (
        manifest["database"]["file"]
        == {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[connection.vendor]
    )
    assert manifest["versions"]["migrations"]["clips"]
    assert manifest["database"]["rows"]["clips_clip"] == 2 and manifest["database"]["rows"]["auth_user"] == 1
    assert {f"media/{item['name']}" for item in manifest["media"]} <= members
    assert all(len(item["sha256"]) == 64 and item["size"] > 0 for item in manifest["media"])
    assert archive.stat().st_mode & 0o077 == 0  # every user's data: readable by its owner only


def test_restore_refuses_a_database_that_holds_data_unless_forced(tmp_path):
    _studio_of_one_user()
    archive = tmp_path / "studio.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    Clip.objects.all().delete()
    UserFactory(username="newcomer")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert get_user_model().objects.filter(username="newcomer").exists()

    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert Clip.objects.count() == 2


def test_a_damaged_archive_is_refused_before_anything_is_touched(tmp_path, private_media):
    _studio_of_one_user()
    archive, damaged = tmp_path / "studio.tar.gz", tmp_path / "damaged.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith("drums.flac"):
                data = data[:-10] + b"\0" * 10
            out.addfile(member, io.BytesIO(data))
    _wipe(private_media)
    with pytest.raises(CommandError, match="sha256 of media/clips/.*drums.flac does not match"):
        call_command("restore", str(damaged), stdout=io.StringIO())
    assert _counts()["User"] == 0 and not private_media.exists()


def test_an_archive_naming_files_outside_the_media_is_refused(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as out:
        info = tarfile.TarInfo("media/../../outside.txt")
        info.size = 2
        out.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(CommandError, match="no backup writes"):
        call_command("restore", str(evil), stdout=io.StringIO())
    assert not (tmp_path.parent / "outside.txt").exists()
