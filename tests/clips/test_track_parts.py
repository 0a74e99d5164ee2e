"""A generated track's per-instrument stems on the song page: players, WAVs and one zip, the owner's only."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from factories import UserFactory

from personastudio.clips.models import Clip, TrackPart
from personastudio.engine.dsp import audio_io

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_track_keeps_its_stems_and_the_page_offers_them(client, song):
    body = client.get(f"/generations/{song.id}/").content.decode()
    for track in Clip.objects.filter(generation=song):
        parts = list(track.parts.all())
        assert [p.name for p in parts][:1] == ["lead vocal"] and {"drums", "bass", "guitars"} <= {p.name for p in parts}
        assert f'href="/clips/{track.id}/stems.zip"' in body and f"{len(parts)} stems, one per instrument" in body
        # The stems' players load when they are opened, so the page (and its polled status) carries none of them.
        assert f'data-on-demand hx-get="/clips/{track.id}/parts/"' in body and parts[0].get_audio_url() not in body
        opened = client.get(f"/clips/{track.id}/parts/", HTTP_HX_REQUEST="true").content.decode()
        for part in parts:
            assert part.get_audio_url() in opened and part.peaks and abs(part.duration_s - track.duration_s) < 0.1
        assert opened.count('class="player"') == len(parts)
        played = client.get(parts[0].get_audio_url(), HTTP_RANGE="bytes=0-99")
        assert played.status_code == 206 and played["Content-Type"] == "audio/flac"


def test_the_zip_holds_one_time_aligned_wav_per_stem_that_sum_to_the_track(client, song):
    track = Clip.objects.filter(generation=song).first()
    response = client.get(f"/clips/{track.id}/stems.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert sorted(names) == sorted(f"{track.title} - {p.name}.wav" for p in track.parts.all())
    stems = [audio_io.decode(io.BytesIO(archive.read(name)), sr=44100, channels=2)[0] for name in names]
    assert len({len(s) for s in stems}) == 1  # time-aligned, the same length
    with track.audio.open("rb") as mp3:
        mix = audio_io.decode(mp3, sr=44100, channels=2)[0]
    total = np.sum(stems, axis=0)
    n = min(len(total), len(mix))
    # The stored mix is an MP3 (lossy), so the check is loose here; tests/engine/song/test_song.py holds it to 40 dB.
    residual = total[:n] - mix[:n]
    assert 10 * np.log10(np.sum(mix[:n] ** 2) / np.sum(residual**2)) > 12


def test_a_part_is_the_owners_only_and_goes_with_its_track(client, song):
    track = Clip.objects.filter(generation=song).first()
    part = track.parts.first()
    wav = client.get(part.get_audio_url() + "?download=1&format=wav")
    assert wav.status_code == 200 and f"{track.title} - {part.name}.wav" in wav["Content-Disposition"]
    owner = track.owner
    client.force_login(UserFactory())
    assert client.get(part.get_audio_url()).status_code == 404
    assert client.get(f"/clips/{track.id}/stems.zip").status_code == 404
    assert client.get(f"/clips/{track.id}/parts/").status_code == 404
    client.force_login(owner)
    files = [Path(p.audio.path) for p in track.parts.all()]
    assert all(f.exists() for f in files)
    client.post(f"/clips/{track.id}/delete/")
    assert not TrackPart.objects.filter(track_id=track.id).exists() and not any(f.exists() for f in files)
