"""Separate vocals on a region of the clip: the provider is asked for that region, and the clip remembers it."""

import numpy as np
import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip
from personastudio.providers.local import LocalProvider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stem_calls(monkeypatch):
    calls = []
    original = LocalProvider.stem

    def spy(self, **kwargs):
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(LocalProvider, "stem", spy)
    return calls


def test_it_separates_only_the_region_and_says_which_part(client, run_tasks, stem_calls):
    user = UserFactory()
    clip = make_clip(user, title="Take", samples=sung_line(seconds=12))
    client.force_login(user)
    response = client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "2.5", "vocal_end_s": "8"})
    assert response.status_code == 302
    clip.refresh_from_db()
    assert (clip.separation_start_s, clip.separation_end_s) == (2.5, 8.0)
    run_tasks()
    clip.refresh_from_db()
    assert clip.separation_status == "complete", clip.separation_error
    assert stem_calls[0]["vocal_start_s"] == 2.5 and stem_calls[0]["vocal_end_s"] == 8.0
    stems = {stem.kind: stem for stem in clip.stems.all()}
    assert all(stem.duration_s == pytest.approx(5.5, abs=0.2) for stem in stems.values())
    assert stems["vocals"].title == "Take — vocals (0:02.5–0:08)"
    body = client.get(f"/clips/{clip.id}/").content.decode()
    assert "Separated from 0:02.5–0:08 of this clip." in body


def test_without_a_region_it_separates_the_whole_clip_as_before(client, run_tasks, stem_calls):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=4))
    client.force_login(user)
    client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "", "vocal_end_s": ""})
    run_tasks()
    clip.refresh_from_db()
    assert clip.separation_status == "complete" and clip.separation_region is None
    assert stem_calls[0]["vocal_start_s"] == 0.0 and stem_calls[0]["vocal_end_s"] is None


@pytest.mark.parametrize(
    "start, end, words",
    [
        ("3", "3.5", "at least 1 second"),
        ("5", "2", "must end after it starts"),
        ("1", "60", "end the region at 0:06"),
        ("soon", "4", "Type a number of seconds"),
    ],
)
def test_a_wrong_region_is_refused_beside_the_region_with_the_typed_values_kept(client, start, end, words):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=6))
    client.force_login(user)
    response = client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": start, "vocal_end_s": end})
    assert response.status_code == 400
    body = response.content.decode()
    warning = body.split('id="region-warning"', 1)[1].split("</p>", 1)[0]
    assert words in warning and 'role="alert"' in warning
    if start != "soon":
        assert 'id="region-start" data-region-start' in body and f'value="{start}"' in body
    assert f'value="{end}"' in body
    clip.refresh_from_db()
    assert clip.separation_status == "" and not Clip.objects.filter(parent=clip).exists()


def test_a_stem_cannot_be_separated_again_even_by_region(client):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=4), kind=Clip.Kind.VOCALS)
    client.force_login(user)
    response = client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "0", "vocal_end_s": "2"}, follow=True)
    assert "already a stem" in response.content.decode()


def test_the_clip_page_offers_the_region_panel_and_both_forms(client):
    user = UserFactory()
    clip = make_clip(user, samples=np.concatenate([sung_line(seconds=12)]))
    client.force_login(user)
    body = client.get(f"/clips/{clip.id}/").content.decode()
    assert 'data-region-form="separation"' in body and 'data-region-form="persona"' in body
    assert body.count('name="vocal_start_s"') == 2 and body.count('name="vocal_end_s"') == 2
    assert 'data-persona-min="10"' in body and 'data-persona-ideal-max="30"' in body
    assert "vendor/wavesurfer/plugins/regions.min.js" in body and "js/region.js" in body
    assert f'href="/clips/{clip.id}/audio?download=1&amp;format=wav"' not in body  # the upload is a WAV already


def test_another_user_cannot_separate_a_region_of_my_clip(client):
    clip = make_clip(UserFactory(), samples=sung_line(seconds=4))
    client.force_login(UserFactory())
    assert client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "0", "vocal_end_s": "2"}).status_code == 404


def test_a_stem_left_by_a_failed_separation_is_not_paired_with_another_regions(client, run_tasks, monkeypatch):
    from personastudio.contract.errors import Unavailable

    user = UserFactory()
    clip = make_clip(user, title="Take", samples=sung_line(seconds=12))
    client.force_login(user)
    client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "1", "vocal_end_s": "5"})
    fetch = LocalProvider.fetch_audio
    fetched = []

    def instrumental_fails(self, url):  # the vocals are kept, then the service goes away
        fetched.append(url)
        if len(fetched) == 2:
            raise Unavailable("The music service is unavailable.")
        return fetch(self, url)

    monkeypatch.setattr(LocalProvider, "fetch_audio", instrumental_fails)
    run_tasks()
    clip.refresh_from_db()
    assert clip.separation_status == "failed"
    (leftover,) = clip.stems.all()
    assert leftover.kind == "vocals"

    monkeypatch.setattr(LocalProvider, "fetch_audio", fetch)
    client.post(f"/clips/{clip.id}/separate/", {"vocal_start_s": "4", "vocal_end_s": "10"})
    run_tasks()
    clip.refresh_from_db()
    assert clip.separation_status == "complete", clip.separation_error
    stems = list(clip.stems.all())
    assert sorted(s.kind for s in stems) == ["instrumental", "vocals"]
    assert all(s.duration_s == pytest.approx(6, abs=0.2) and "0:04–0:10" in s.title for s in stems)
    leftover.refresh_from_db()  # kept, as a clip of its own: something may use it
    assert leftover.parent is None and "0:01–0:05" in leftover.title
