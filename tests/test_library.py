"""The library pages: songs (search, filters, pages), clips (kinds, search, rename, delete) and the dashboard."""

import re

import pytest
from factories import UserFactory, make_clip, tone

from personastudio.clips.models import Clip
from personastudio.generations.models import Generation
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db


def _short_clip(owner, title="Take", **fields):
    return make_clip(owner, title=title, samples=tone(seconds=1.5), **fields)


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _ids(body: str) -> set[str]:
    return set(re.findall(r'<tr data-id="([0-9a-f-]{36})"', body))


# Songs


def test_songs_search_title_lyrics_sung_lyrics_and_tags(client, user):
    by_title = Generation.objects.create(owner=user, title="Harbour lights", status="completed")
    by_lyrics = Generation.objects.create(owner=user, prompt="[Verse]\n海边的夏天", status="completed")
    by_tags = Generation.objects.create(owner=user, title="x", tags="synthwave dreamy", status="completed")
    by_sung = Generation.objects.create(
        owner=user,
        mode="inspiration",
        gpt_description_prompt="a song",
        provider_results=[{"id": "t1", "prompt": "Moonlit avenue"}],
        status="completed",
    )
    other = Generation.objects.create(owner=UserFactory(), title="Harbour lights too", status="completed")
    assert _ids(client.get("/generations/?q=harbour").content.decode()) == {str(by_title.id)}
    assert _ids(client.get("/generations/?q=夏天").content.decode()) == {str(by_lyrics.id)}
    assert _ids(client.get("/generations/?q=SYNTHWAVE").content.decode()) == {str(by_tags.id)}
    assert _ids(client.get("/generations/?q=moonlit").content.decode()) == {str(by_sung.id)}
    assert str(other.id) not in client.get("/generations/").content.decode()


def test_songs_filter_by_persona_and_status(client, user):
    persona = Persona.objects.create(owner=user, name="Ada", status="complete")
    sung = Generation.objects.create(owner=user, title="Sung", persona=persona, status="completed")
    failed = Generation.objects.create(owner=user, title="Broke", status="failed", error="x")
    assert _ids(client.get(f"/generations/?persona={persona.id}").content.decode()) == {str(sung.id)}
    assert _ids(client.get("/generations/?status=failed").content.decode()) == {str(failed.id)}
    # Nonsense filters are ignored rather than failing.
    assert _ids(client.get("/generations/?persona=nope&status=bogus").content.decode()) == {
        str(sung.id),
        str(failed.id),
    }
    # Another user's persona id filters nothing of theirs in.
    theirs = Persona.objects.create(owner=UserFactory(), name="Theirs")
    assert len(_ids(client.get(f"/generations/?persona={theirs.id}").content.decode())) == 2


def test_songs_show_the_first_tracks_length(client, user):
    song = Generation.objects.create(owner=user, title="With tracks", status="completed")
    # Silence: the length is what is shown, and a 65 s tone's voice measurement alone took 3 s.
    make_clip(
        user, title="A take", samples=tone(seconds=65, amplitude=0.0), kind="generated", generation=song, remote_id="a"
    )
    body = client.get("/generations/").content.decode()
    assert "1:05" in body


def test_songs_paginate_20_a_page_and_keep_the_query(client, user):
    for i in range(45):
        Generation.objects.create(owner=user, title=f"Night {i}", status="completed")
    Generation.objects.create(owner=user, title="Day", status="completed")
    first = client.get("/generations/?q=night").content.decode()
    assert len(_ids(first)) == 20 and "Page 1 of 3" in first
    assert 'href="?q=night&amp;page=2"' in first
    third = client.get("/generations/?q=night&page=3").content.decode()
    assert len(_ids(third)) == 5 and 'href="?q=night&amp;page=2"' in third
    # A page past the end shows the last page, not an error.
    assert len(_ids(client.get("/generations/?q=night&page=99").content.decode())) == 5


def test_songs_empty_states(client, user):
    assert "No songs yet — " in client.get("/generations/").content.decode()
    Generation.objects.create(owner=user, title="Only one", status="completed")
    body = client.get("/generations/?q=zebra").content.decode()
    assert "No songs match “zebra”" in body and "Show all songs" in body


def test_an_extension_is_told_apart_from_the_song_it_extends(client, user):
    track = _short_clip(user, title="Summer (A)", kind=Clip.Kind.GENERATED)
    Generation.objects.create(owner=user, title="Summer", status="completed")
    Generation.objects.create(owner=user, title="Summer", status="completed", continue_clip=track, continue_at=8)
    for url in ("/generations/", "/"):
        body = client.get(url).content.decode()
        assert body.count("data-extension>· extended from 0:08</small>") == 1, url


# Clips


def test_clips_list_shows_kind_badge_length_and_filters(client, user):
    upload = make_clip(user, title="Long take", samples=tone(seconds=75, amplitude=0.0))  # silence: measured at once
    vocals = _short_clip(user, title="Long take — vocals", kind="vocals", parent=upload)
    body = client.get("/clips/").content.decode()
    assert 'class="badge kind-upload"' in body and 'class="badge kind-vocals"' in body
    assert "1:15" in body
    assert _ids(client.get("/clips/?kind=vocals").content.decode()) == {str(vocals.id)}
    assert _ids(client.get("/clips/?q=LONG").content.decode()) == {str(upload.id), str(vocals.id)}
    assert _ids(client.get("/clips/?q=long&kind=upload").content.decode()) == {str(upload.id)}
    assert "No clips match “zebra”" in client.get("/clips/?q=zebra").content.decode()


def test_rename_a_clip(client, user):
    clip = _short_clip(user)
    response = client.post(f"/clips/{clip.id}/rename/", {"title": "  Morning take  "})
    assert response.status_code == 302 and response["Location"] == f"/clips/{clip.id}/"
    clip.refresh_from_db()
    assert clip.title == "Morning take"
    # `next` may send you back to the list, but never off-site.
    assert client.post(f"/clips/{clip.id}/rename/", {"title": "B", "next": "/clips/"})["Location"] == "/clips/"
    assert (
        client.post(f"/clips/{clip.id}/rename/", {"title": "C", "next": "https://evil.example/"})["Location"]
        == f"/clips/{clip.id}/"
    )


@pytest.mark.parametrize(
    "title, sentence",
    [("   ", "Give the clip a title."), ("x" * 201, "can be at most 200 characters; this one has 201.")],
)
def test_a_wrong_title_is_refused_with_a_sentence(client, user, title, sentence):
    clip = _short_clip(user, title="Kept")
    response = client.post(f"/clips/{clip.id}/rename/", {"title": title})
    assert response.status_code == 400 and sentence in response.content.decode()
    clip.refresh_from_db()
    assert clip.title == "Kept"


def test_rename_is_post_only_and_needs_csrf(user):
    from django.test import Client

    clip = _short_clip(user)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.get(f"/clips/{clip.id}/rename/").status_code == 405
    assert strict.post(f"/clips/{clip.id}/rename/", {"title": "New"}).status_code == 403
    assert strict.post(f"/clips/{clip.id}/delete/").status_code == 403
    assert Clip.objects.filter(pk=clip.pk, title="Take").exists()


@pytest.fixture
def family(user):
    """A clip with two stems, a persona from it and one from a stem, and a song it is a track of."""
    song = Generation.objects.create(owner=user, title="Night song", status="completed")
    clip = _short_clip(user, title="Night take", kind="generated", generation=song, remote_id="t1")
    sibling = _short_clip(user, title="Night take 2", kind="generated", generation=song, remote_id="t2")
    vocals = _short_clip(user, title="Night take — vocals", kind="vocals", parent=clip)
    instrumental = _short_clip(user, title="Night take — instrumental", kind="instrumental", parent=clip)
    persona = Persona.objects.create(owner=user, name="From the take", source_clip=clip, status="complete")
    stem_persona = Persona.objects.create(owner=user, name="From the vocals", source_clip=vocals, status="complete")
    return dict(song=song, clip=clip, sibling=sibling, stems=[vocals, instrumental], personas=[persona, stem_persona])


def test_delete_confirmation_says_what_depends_on_the_clip(client, family):
    clip = family["clip"]
    body = " ".join(client.get(f"/clips/{clip.id}/delete/").content.decode().split())
    assert "Its 2 stems are deleted with it" in body
    assert "Night take — vocals" in body and "Night take — instrumental" in body
    assert "2 personas learned from this clip or its stems stay" in body and "source clip as deleted" in body
    assert "From the take" in body and "From the vocals" in body
    assert "a track of the song" in body and "Night song" in body and "the song stays" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert Clip.objects.filter(pk=clip.pk).exists()  # a GET deletes nothing


def test_delete_removes_the_clip_and_its_stems_but_not_personas_or_songs(client, family):
    clip, stems = family["clip"], family["stems"]
    response = client.post(f"/clips/{clip.id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/clips/"
    assert not Clip.objects.filter(pk__in=[clip.pk, *(s.pk for s in stems)]).exists()
    assert Clip.objects.filter(pk=family["sibling"].pk).exists()
    for persona in family["personas"]:
        persona.refresh_from_db()
        assert persona.source_clip is None
    assert Generation.objects.filter(pk=family["song"].pk).exists()
    assert list(family["song"].tracks.all()) == [family["sibling"]]
    page = client.get(f"/personas/{family['personas'][0].id}/").content.decode()
    assert "since been deleted" in page


@pytest.mark.django_db(transaction=True)
def test_delete_removes_audio_files(client):
    import os

    user = UserFactory()
    client.force_login(user)
    clip = _short_clip(user)
    stem = _short_clip(user, kind="vocals", parent=clip)
    paths = [clip.audio.path, stem.audio.path]
    assert all(os.path.exists(p) for p in paths)
    client.post(f"/clips/{clip.id}/delete/")
    assert not any(os.path.exists(p) for p in paths)
    assert not os.path.exists(os.path.dirname(paths[0]))


def test_a_clip_being_separated_is_not_deleted(client, user):
    clip = _short_clip(user, separation_status="processing")
    assert "being separated right now" in client.get(f"/clips/{clip.id}/delete/").content.decode()
    client.post(f"/clips/{clip.id}/delete/")
    assert Clip.objects.filter(pk=clip.pk).exists()


def test_clip_page_says_what_uses_it_and_keeps_its_controls(client, family):
    body = client.get(f"/clips/{family['clip'].id}/").content.decode()
    assert "What uses this clip" in body and "From the take" in body and "Night song" in body
    assert "Make a persona from this clip" in body
    assert (
        f'action="/clips/{family["clip"].id}/rename/"' in body and f'href="/clips/{family["clip"].id}/delete/"' in body
    )
    fresh = _short_clip(family["clip"].owner, title="Lonely")
    body = client.get(f"/clips/{fresh.id}/").content.decode()
    assert "Separate vocals" in body and "Nothing yet." in body


@pytest.mark.parametrize("method, suffix", [("post", "rename/"), ("get", "delete/"), ("post", "delete/")])
def test_another_user_gets_404_on_rename_and_delete(client, method, suffix):
    owner = UserFactory()
    clip = _short_clip(owner, title="Mine")
    client.force_login(UserFactory())
    assert getattr(client, method)(f"/clips/{clip.id}/{suffix}", {"title": "Stolen"}).status_code == 404
    clip.refresh_from_db()
    assert clip.title == "Mine"


# Dashboard


def test_dashboard_polls_each_song_in_progress(client, user):
    queued = Generation.objects.create(owner=user, title="Queued one", status="queuing")
    making = Generation.objects.create(owner=user, title="Making one", status="processing")
    done = Generation.objects.create(owner=user, title="Done one", status="completed")
    body = client.get("/").content.decode()
    for g in (queued, making):
        assert f'hx-get="/generations/{g.id}/progress/" hx-trigger="every 2s"' in body
    assert f"/generations/{done.id}/progress/" not in body
    assert "Done one" in body and "Your first song in four steps" not in body


def test_dashboard_guides_a_new_user(client, user):
    body = client.get("/").content.decode()
    assert "Your first song in four steps" in body and "hx-get" not in body.split("<main")[1]


def test_a_track_can_be_marked_favourite_and_the_library_filters_songs_by_it(client):
    from factories import UserFactory

    from personastudio.generations.models import Generation

    user = UserFactory()
    client.force_login(user)
    liked = Generation.objects.create(owner=user, mode="custom", title="Liked one", prompt="la", status="completed")
    other = Generation.objects.create(owner=user, mode="custom", title="Other one", prompt="la", status="completed")
    liked_a, _liked_b = (
        _short_clip(user, title=f"Liked one ({v})", kind=Clip.Kind.GENERATED, generation=liked, remote_id=v)
        for v in "AB"
    )
    _short_clip(user, title="Other one (A)", kind=Clip.Kind.GENERATED, generation=other)
    response = client.post(f"/clips/{liked_a.id}/favourite/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and b'aria-pressed="true"' in response.content
    liked_a.refresh_from_db()
    assert liked_a.favourite and not Clip.objects.filter(favourite=True).exclude(pk=liked_a.pk).exists()
    body = client.get("/generations/?fav=1").content.decode()
    assert "Liked one" in body and "Other one" not in body
    assert body.count('title="Favourite">★</span>') == 1
    song_page = client.get(liked.get_absolute_url()).content.decode()
    assert song_page.count('aria-pressed="true" data-action="favourite"') == 1  # the one track, not both
    # Without JavaScript: back to the page it was pressed on, and pressed again it is no longer a favourite.
    response = client.post(f"/clips/{liked_a.id}/favourite/", {"next": liked.get_absolute_url()})
    assert response["Location"] == liked.get_absolute_url()
    assert "Liked one" not in client.get("/generations/?fav=1").content.decode()
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.post(f"/clips/{liked_a.id}/favourite/").status_code == 404
