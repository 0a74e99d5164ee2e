import pytest
from factories import UserFactory, make_clip, tone

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip():
    return make_clip(UserFactory(), samples=tone(seconds=2))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_serves_the_whole_file_to_its_owner(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == clip.audio.open("rb").read()


def test_it_answers_a_range_request_with_206_and_those_bytes(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio", headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{clip.audio.size}"
    assert _body(response) == clip.audio.open("rb").read()[100:200]


def test_it_answers_a_suffix_range(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio", headers={"Range": "bytes=-10"})
    assert response.status_code == 206 and len(_body(response)) == 10


def test_it_refuses_a_range_past_the_end(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio", headers={"Range": f"bytes={clip.audio.size + 5}-"})
    assert response.status_code == 416


def test_it_offers_a_download_with_the_clip_title(client, clip):
    client.force_login(clip.owner)
    response = client.get(f"/clips/{clip.id}/audio?download=1")
    assert "attachment" in response["Content-Disposition"] and "My voice.wav" in response["Content-Disposition"]


def test_media_files_have_no_public_url(client, clip):
    client.force_login(clip.owner)
    assert client.get(f"/media/{clip.audio.name}").status_code == 404
