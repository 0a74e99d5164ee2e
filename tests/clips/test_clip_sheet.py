"""A generated track's MIDI and lead sheet from the song page: the owner's only, and only where a score exists."""

import io

import mido
import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips.models import Clip

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_song_page_offers_midi_and_a_lead_sheet_for_each_track(client, song):
    body = client.get(f"/generations/{song.id}/").content.decode()
    tracks = list(Clip.objects.filter(generation=song))
    assert len(tracks) == 2
    for track in tracks:
        assert f'href="/clips/{track.id}/sheet.midi"' in body and f'href="/clips/{track.id}/sheet.musicxml"' in body
        response = client.get(f"/clips/{track.id}/sheet.midi")
        assert response.status_code == 200 and response["Content-Type"] == "audio/midi"
        assert response["Content-Disposition"].startswith("attachment") and ".mid" in response["Content-Disposition"]
        smf = mido.MidiFile(file=io.BytesIO(response.content), charset="utf-8")
        lyric = "".join(m.text for t in smf.tracks for m in t if m.type == "lyrics")
        assert "win-dow" in lyric and "夜空中最亮的星" in lyric.replace(" ", "")
        sheet = client.get(f"/clips/{track.id}/sheet.musicxml")
        assert sheet.status_code == 200 and b"<score-partwise" in sheet.content and b"Morning" in sheet.content


def test_another_user_or_nobody_gets_no_sheet(client, song):
    track = Clip.objects.filter(generation=song).first()
    client.force_login(UserFactory())
    assert client.get(f"/clips/{track.id}/sheet.midi").status_code == 404
    client.logout()
    response = client.get(f"/clips/{track.id}/sheet.midi")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_upload_or_an_unknown_format_has_no_sheet(client):
    user = UserFactory()
    client.force_login(user)
    clip = make_clip(user, samples=sung_line(seconds=4))
    assert client.get(f"/clips/{clip.id}/sheet.midi").status_code == 404
    assert client.get(f"/clips/{clip.id}/sheet.pdf").status_code == 404
