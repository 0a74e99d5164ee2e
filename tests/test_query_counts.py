"""Every page reads a fixed number of queries, however many rows it shows: no N+1 (the songs, clips and
personas libraries, the dashboard, a song page and its status poll). Each page is counted with 3 rows,
then again with 30, and the counts must be equal."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from factories import UserFactory

from personastudio.clips.models import Clip, TrackPart
from personastudio.engine.dsp.pitch import VoiceProfile
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db

PEAKS = [0.5, -0.5] * 400
PROFILE = VoiceProfile(
    voiced_s=40, median_hz=220, low_hz=160, high_hz=330, histogram={"57": 30, "60": 20}, register="male"
).to_dict()
_numbers = itertools.count()


def _clip(owner, **fields):
    n = next(_numbers)
    return Clip.objects.create(
        **{
            "owner": owner,
            "title": f"Clip {n}",
            "kind": Clip.Kind.UPLOAD,
            "audio": f"clips/{owner.pk}/{n}/voice.wav",
            "duration_s": 31.5,
            "sample_rate": 44100,
            "channels": 1,
            "peaks": PEAKS,
            "voiced_s": 30,
            **fields,
        }
    )


def _song(owner, **fields):
    n = next(_numbers)
    return Generation.objects.create(
        **{
            "owner": owner,
            "title": f"Song {n}",
            "prompt": "[Verse]\nla la la\n" * 50,
            "tags": "pop",
            "provider_results": [{"prompt": "la la la"}] * 2,
            "status": Generation.Status.COMPLETED,
            **fields,
        }
    )


def add_rows(owner, count):
    """`count` of everything a page lists: songs (with a persona, one track each, one in progress), clips
    (stems of a clip and tracks of a song among them), personas with their clips."""
    for _ in range(count):
        source = _clip(owner)
        persona = Persona.objects.create(
            owner=owner,
            name=f"Singer {next(_numbers)}",
            source_clip=source,
            status=Persona.Status.COMPLETE,
            profile=PROFILE,
            likeness=0.6,
        )
        song = _song(owner, persona=persona)
        _clip(owner, kind=Clip.Kind.GENERATED, generation=song, remote_id=f"t-{next(_numbers)}")
        _clip(owner, kind=Clip.Kind.VOCALS, parent=source)
        _song(owner, status=Generation.Status.PROCESSING, persona=persona)


def add_tracks(song, count):
    for _ in range(count):
        track = _clip(song.owner, kind=Clip.Kind.GENERATED, generation=song, remote_id=f"t-{next(_numbers)}")
        for position, name in enumerate(("drums", "bass")):
            TrackPart.objects.create(
                track=track,
                name=name,
                position=position,
                audio=f"parts/{track.pk}/{name}.flac",
                duration_s=31.5,
                peaks=PEAKS,
            )


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 286), (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/generations/",
        "/clips/",
        "/personas/",
        "/generations/?q=song&fav=1",
        "/clips/?kind=upload&q=clip",
        "/clips/?page=2",
    ],
)
def test_a_library_page_reads_as_many_queries_for_30_rows_as_for_3(
    client, user, url, django_assert_num_queries, django_assert_max_num_queries
):
    add_rows(user, 3)
    with django_assert_max_num_queries(20):
        few = queries_of(client, url)
    add_rows(user, 27)
    with django_assert_num_queries(few):
        queries_of(client, url)


@pytest.mark.parametrize("suffix", ["", "status/", "progress/"])
def test_a_song_page_and_its_polls_read_as_many_queries_for_30_tracks_as_for_3(
    client, user, suffix, django_assert_num_queries
):
    song = _song(user)
    add_tracks(song, 3)
    url = f"/generations/{song.id}/{suffix}"
    few = queries_of(client, url)
    add_tracks(song, 27)
    with django_assert_num_queries(few):
        queries_of(client, url)


def test_a_song_in_progress_polled_again_within_the_interval_reads_a_fixed_number_of_queries(
    client, user, settings, django_assert_num_queries
):
    settings.GENERATION_POLL_INTERVAL_S = 60
    song = _song(user, status=Generation.Status.PROCESSING, provider_results=[], task_id="not-asked-again")
    from django.utils import timezone

    Generation.objects.filter(pk=song.pk).update(last_checked_at=timezone.now())
    few = queries_of(client, f"/generations/{song.id}/status/")
    add_rows(user, 10)
    with django_assert_num_queries(few):
        queries_of(client, f"/generations/{song.id}/status/")
