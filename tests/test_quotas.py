"""personastudio.quotas: songs, personas and separations an account may start per hour and have unfinished."""

from datetime import timedelta

import pytest
from django.utils import timezone
from factories import UserFactory, make_clip

from personastudio import quotas
from personastudio.clips.models import Clip
from personastudio.engine.models import EngineClip, EnginePersona, EngineStem, EngineTask
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona, VoiceCheck
from personastudio.quotas import Kind, Reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


def _song(user, *, minutes_ago: float = 1, status: str = "completed", **fields) -> Generation:
    song = Generation.objects.create(owner=user, prompt="la la", status=status, **fields)
    Generation.objects.filter(pk=song.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return song


def test_songs_are_allowed_under_the_hourly_rate(user, settings):
    settings.SONGS_PER_HOUR = 3
    _song(user), _song(user)
    assert quotas.studio_verdict(user, Kind.SONGS).allowed


def test_the_hourly_rate_says_to_wait_until_the_oldest_song_leaves_the_hour(user, settings):
    settings.SONGS_PER_HOUR = 2
    now = timezone.now()
    oldest = _song(user, minutes_ago=50)
    _song(user, minutes_ago=10)
    verdict = quotas.studio_verdict(user, Kind.SONGS, now=now)
    oldest.refresh_from_db()
    assert not verdict.allowed and verdict.reason == Reason.RATE and verdict.limit == 2
    assert verdict.wait_until == oldest.created_at + timedelta(hours=1)
    assert 9 * 60 <= verdict.retry_after_s <= 10 * 60 + 1


def test_songs_older_than_an_hour_and_other_accounts_songs_do_not_count(user, settings):
    settings.SONGS_PER_HOUR = 1
    _song(user, minutes_ago=61)
    _song(UserFactory())
    assert quotas.studio_verdict(user, Kind.SONGS).allowed


def test_unfinished_songs_past_the_in_flight_limit_must_wait_for_one_to_finish(user, settings):
    settings.SONGS_IN_FLIGHT = 2
    first = _song(user, status="queuing")
    _song(user, status="processing")
    _song(user, status="failed")
    verdict = quotas.studio_verdict(user, Kind.SONGS)
    assert not verdict.allowed and verdict.reason == Reason.IN_FLIGHT and verdict.limit == 2
    Generation.objects.filter(pk=first.pk).update(status="completed")
    assert quotas.studio_verdict(user, Kind.SONGS).allowed


def test_the_row_the_request_just_saved_is_not_counted_against_it(user, settings):
    settings.SONGS_PER_HOUR, settings.SONGS_IN_FLIGHT = 1, 1
    just_saved = _song(user, status="queuing")
    assert quotas.studio_verdict(user, Kind.SONGS, besides=just_saved).allowed
    assert not quotas.studio_verdict(user, Kind.SONGS).allowed


def test_a_limit_of_zero_is_no_limit(user, settings):
    settings.SONGS_PER_HOUR, settings.SONGS_IN_FLIGHT = 0, 0
    for _ in range(5):
        _song(user, status="queuing")
    assert quotas.studio_verdict(user, Kind.SONGS).allowed


def test_a_voice_check_being_compared_counts_as_a_persona(user, settings):
    settings.PERSONAS_PER_HOUR, settings.PERSONAS_IN_FLIGHT = 10, 2
    Persona.objects.create(owner=user, name="Learning")
    check = VoiceCheck.objects.create(owner=user, name="Checking", phrase="hello")
    verdict = quotas.studio_verdict(user, Kind.PERSONAS)
    assert not verdict.allowed and verdict.reason == Reason.IN_FLIGHT
    VoiceCheck.objects.filter(pk=check.pk).update(status=VoiceCheck.Status.REFUSED)
    assert quotas.studio_verdict(user, Kind.PERSONAS).allowed


def test_personas_past_the_hourly_rate_wait(user, settings):
    settings.PERSONAS_PER_HOUR = 2
    Persona.objects.create(owner=user, name="One", status="complete")
    Persona.objects.create(owner=user, name="Two", status="failed")
    verdict = quotas.studio_verdict(user, Kind.PERSONAS)
    assert not verdict.allowed and verdict.reason == Reason.RATE


def test_separations_count_kept_vocal_stems_of_the_hour_and_running_ones(user, settings):
    settings.SEPARATIONS_PER_HOUR, settings.SEPARATIONS_IN_FLIGHT = 2, 5
    song = make_clip(user, title="Song", separation_status=Clip.Separation.COMPLETE)
    make_clip(user, title="Song vocals", kind=Clip.Kind.VOCALS, parent=song)
    make_clip(user, title="Song band", kind=Clip.Kind.INSTRUMENTAL, parent=song)
    running = make_clip(user, title="Another", separation_status=Clip.Separation.PROCESSING)
    verdict = quotas.studio_verdict(user, Kind.SEPARATIONS)
    assert not verdict.allowed and verdict.reason == Reason.RATE
    assert quotas.studio_verdict(user, Kind.SEPARATIONS, besides=running).allowed


def test_the_studio_sentence_says_when_the_next_song_can_start(user, settings):
    settings.SONGS_PER_HOUR = 2
    _song(user, minutes_ago=30), _song(user, minutes_ago=5)
    with pytest.raises(quotas.QuotaReached) as refused:
        quotas.studio_require(user, Kind.SONGS)
    wait_until = refused.value.verdict.wait_until
    assert str(refused.value).startswith(
        "You have made 2 songs in the last hour, the most allowed; the next one can start at "
    )
    assert quotas._clock(wait_until) in str(refused.value)


def test_a_studio_song_on_the_built_in_engine_is_charged_to_the_studio_only(user, settings):
    settings.SONGS_PER_HOUR = 1
    task = EngineTask.objects.create(owner=user, request={}, status=EngineTask.Status.QUEUING)
    _song(user, status="queuing", task_id=task.id, provider="local")
    assert quotas.api_verdict(user, Kind.SONGS).allowed
    assert not quotas.studio_verdict(user, Kind.SONGS).allowed


def test_api_songs_count_for_the_api_only(user, settings):
    settings.SONGS_PER_HOUR, settings.SONGS_IN_FLIGHT = 5, 1
    EngineTask.objects.create(owner=user, request={}, status=EngineTask.Status.PROCESSING)
    verdict = quotas.api_verdict(user, Kind.SONGS)
    assert not verdict.allowed and verdict.reason == Reason.IN_FLIGHT
    assert verdict.retry_after_s == quotas.IN_FLIGHT_RETRY_AFTER_S
    assert quotas.studio_verdict(user, Kind.SONGS).allowed


def _engine_clip(user, *, source: str = "upload") -> EngineClip:
    return EngineClip.objects.create(
        owner=user, source=source, audio="x.mp3", expire_at=timezone.now() + timedelta(days=1)
    )


def test_api_personas_and_stems_leave_out_the_ones_the_studio_made(user, settings):
    settings.PERSONAS_PER_HOUR, settings.SEPARATIONS_PER_HOUR = 1, 1
    clip = _engine_clip(user)
    mine = EnginePersona.objects.create(owner=user, name="Studio's", clip=clip, batch_id="b", status="complete")
    Persona.objects.create(owner=user, name="Studio's", status="complete", remote_id=mine.id)
    vocals, band = _engine_clip(user, source="vocals"), _engine_clip(user, source="instrumental")
    EngineStem.objects.create(owner=user, source_clip=clip, vocal_end_s=10, vocal_clip=vocals, instrumental_clip=band)
    make_clip(user, title="Studio's stem", kind=Clip.Kind.VOCALS, remote_id=vocals.id)
    assert quotas.api_verdict(user, Kind.PERSONAS).allowed and quotas.api_verdict(user, Kind.SEPARATIONS).allowed
    EnginePersona.objects.create(owner=user, name="API's", clip=clip, batch_id="c", status="complete")
    assert not quotas.api_verdict(user, Kind.PERSONAS).allowed


def test_the_backlog_counts_work_waiting_for_or_on_the_worker(user):
    EngineTask.objects.create(owner=user, request={}, status=EngineTask.Status.QUEUING)
    EngineTask.objects.create(owner=user, request={}, status=EngineTask.Status.COMPLETED)
    Persona.objects.create(owner=user, name="Learning")
    make_clip(user, separation_status=Clip.Separation.PROCESSING)
    EngineTask.objects.create(owner=UserFactory(), request={}, status=EngineTask.Status.QUEUING)
    assert quotas.backlog(user.pk) == 3
