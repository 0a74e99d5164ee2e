"""Favourites move from the song to its tracks: a favourite song's tracks all become favourites."""

from django.db import migrations


def song_to_tracks(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Clip = apps.get_model("clips", "Clip")
    Clip.objects.filter(generation__in=Generation.objects.filter(favourite=True)).update(favourite=True)


def tracks_to_song(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Clip = apps.get_model("clips", "Clip")
    Generation.objects.filter(pk__in=Clip.objects.filter(favourite=True).values("generation")).update(favourite=True)


class Migration(migrations.Migration):
    dependencies = [
        ("clips", "0005_clip_favourite"),
        ("generations", "0006_submission_token"),
    ]

    operations = [
        migrations.RunPython(song_to_tracks, tracks_to_song),
        migrations.RemoveField(model_name="generation", name="favourite"),
    ]
