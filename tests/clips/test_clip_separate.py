import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db(transaction=True)


def test_separating_a_clip_adds_vocal_and_instrumental_stems(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=8))
    client.force_login(user)
    assert client.post(f"/clips/{clip.id}/separate/").status_code == 302
    clip.refresh_from_db()
    assert clip.separation_status == "processing"
    assert b'hx-trigger="every 2s"' in client.get(f"/clips/{clip.id}/").content
    run_tasks()
    clip.refresh_from_db()
    assert clip.separation_status == "complete", clip.separation_error
    stems = {stem.kind: stem for stem in clip.stems.all()}
    assert set(stems) == {"vocals", "instrumental"}
    assert all(stem.duration_s == pytest.approx(8, abs=0.2) for stem in stems.values())
    fragment = client.get(f"/clips/{clip.id}/separation/")
    assert fragment.status_code == 286  # final: htmx stops polling
    body = fragment.content.decode()
    assert f'href="/clips/{stems["vocals"].id}/" data-kind="vocals"' in body
    assert f'href="/clips/{stems["instrumental"].id}/" data-kind="instrumental"' in body


def test_a_second_click_while_separating_does_not_queue_twice(client, run_tasks):
    user = UserFactory()
    clip = make_clip(user, samples=sung_line(seconds=4))
    client.force_login(user)
    client.post(f"/clips/{clip.id}/separate/")
    client.post(f"/clips/{clip.id}/separate/")
    assert run_tasks() == 1
    assert Clip.objects.filter(parent=clip).count() == 2
