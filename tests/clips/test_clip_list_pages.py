"""The clips library comes in pages of 20 (newest first) that keep the search and kind in their links, and
lists no waveform: a list row never carries a clip's 800-value peaks."""

import re

import pytest
from factories import UserFactory

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db

PEAKS = [0.123456] * 800


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _clip(owner, title, **fields):
    return Clip.objects.create(
        **{
            "owner": owner,
            "title": title,
            "audio": f"clips/{owner.pk}/{title}.wav",
            "duration_s": 12.0,
            "sample_rate": 44100,
            "channels": 1,
            "peaks": PEAKS,
            **fields,
        }
    )


def _ids(body: str) -> list[str]:
    return re.findall(r'<tr data-id="([0-9a-f-]{36})"', body)


def test_clips_paginate_20_a_page_newest_first_and_keep_the_search_and_kind(client, user):
    made = [_clip(user, f"Night take {i}") for i in range(45)]
    _clip(user, "Night vocals", kind=Clip.Kind.VOCALS)
    _clip(user, "Day take")
    first = client.get("/clips/?q=night&kind=upload").content.decode()
    newest_first = [str(c.id) for c in reversed(made)]
    assert _ids(first) == newest_first[:20] and "Page 1 of 3" in first
    assert 'href="?q=night&amp;kind=upload&amp;page=2"' in first and 'rel="next"' in first
    third = client.get("/clips/?q=night&kind=upload&page=3").content.decode()
    assert _ids(third) == newest_first[40:] and 'href="?q=night&amp;kind=upload&amp;page=2"' in third
    assert 'rel="next"' not in third
    # A page past the end shows the last page, and a page that is not a number the first.
    assert _ids(client.get("/clips/?q=night&kind=upload&page=99").content.decode()) == newest_first[40:]
    assert _ids(client.get("/clips/?q=night&kind=upload&page=x").content.decode()) == newest_first[:20]


def test_one_page_of_clips_has_no_page_links(client, user):
    _clip(user, "Only take")
    body = client.get("/clips/").content.decode()
    assert len(_ids(body)) == 1 and 'class="pagination"' not in body


def test_the_clips_list_carries_no_waveform_and_reads_no_peaks_or_lyrics(client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from personastudio.generations.models import Generation

    song = Generation.objects.create(
        owner=user,
        title="Rivers",
        prompt="secret lyric line",
        status="completed",
        provider_results=[{"prompt": "secret sung line"}],
    )
    parent = _clip(user, "Take")
    _clip(user, "Take (vocals)", kind=Clip.Kind.VOCALS, parent=parent)
    _clip(user, "Rivers (A)", kind=Clip.Kind.GENERATED, generation=song, remote_id="t-a")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/clips/").content.decode()
    assert "from Take" in body and "from the song Rivers" in body and "0.123456" not in body
    listed = [q["sql"] for q in queries.captured_queries if '"clips_clip"."title"' in q["sql"]]
    assert listed and not any(
        column in sql for sql in listed for column in ('"peaks"', '"prompt"', '"provider_results"')
    )
