"""Keeping an extension: the source stays in its files, the joined song is made, encoded and measured a block at a
time, and what is stored is what joining the whole decoded arrays gives."""

import io
from types import SimpleNamespace

import numpy as np
import pytest
from factories import UserFactory

from personastudio.contract.types import GenerateRequest
from personastudio.engine import services
from personastudio.engine.dsp import audio_io, composer, extend, profile
from personastudio.engine.dsp.lyrics import parse_lyrics
from personastudio.engine.models import EngineClip, EngineTask
from personastudio.engine.sheet import score_json

pytestmark = pytest.mark.django_db

SR = 44100
NAMES = ("lead vocal", "drums", "bass")


def _track(seconds: float, seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    hz = 220.0 * (1 + (np.floor(t * 2) % 5) / 8)  # a tune of held notes, so some of it is voiced
    x = level * np.sin(2 * np.pi * np.cumsum(hz) / SR) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    stereo = np.stack([x, 0.8 * x], axis=1) + 0.01 * rng.standard_normal((len(t), 2))
    return stereo.astype(np.float32)


def _song(seconds: float, seed: int) -> SimpleNamespace:
    stems = {name: _track(seconds, seed + i, 0.2 + 0.05 * i) for i, name in enumerate(NAMES)}
    return SimpleNamespace(
        mix=stems["lead vocal"] + stems["drums"] + stems["bass"],
        vocal=stems["lead vocal"].mean(axis=1),
        band=stems["drums"] + stems["bass"],
        stems=stems,
        style=composer.style_from_tags("pop", 1),
    )


@pytest.fixture
def stored_source():
    """A song of ours in storage as a render keeps it: mix, vocal and band MP3s and FLAC stems, with its score."""
    owner = UserFactory()
    song = _song(24.0, 1)
    task = EngineTask.objects.create(
        owner=owner, request=GenerateRequest(prompt="la", tags="pop").to_json(), status=EngineTask.Status.COMPLETED
    )
    score = composer.compose(parse_lyrics("[Verse]\nla la la"), song.style, seed=1)
    clip = EngineClip(
        owner=owner,
        source=EngineClip.Source.GENERATED,
        title="Source (A)",
        tags="pop",
        duration_s=len(song.mix) / SR,
        task=task,
        variant=0,
        score=score_json.score_to_json(score),
        expire_at=services._expiry(1),
    )
    files = [
        ("audio", "audio.mp3", audio_io.encode_mp3(song.mix, sr=SR)),
        ("vocal_stem", "vocals.mp3", audio_io.encode_mp3(song.vocal, sr=SR)),
        ("band_stem", "band.mp3", audio_io.encode_mp3(song.band, sr=SR)),
    ]
    parts = ((name, audio_io.encode_flac(stem, sr=SR)) for name, stem in song.stems.items())
    return services._store_clip(clip, files, parts)


def _decoded(storage, name: str, channels: int) -> np.ndarray:
    return services._decode_stored(storage, name, sr=SR, channels=channels)


def test_an_extension_is_stored_as_joining_the_whole_decoded_tracks_would_store_it(stored_source):
    clip, storage = stored_source, stored_source.audio.storage
    continuation = _song(9.0, 7)
    source = services._ContinuationSource(clip, 12.3, sr=SR)
    whole_mix = _decoded(storage, clip.audio.name, 2)
    assert source.n_src == len(whole_mix)

    whole = extend.join_song(
        source_mix=whole_mix,
        continuation_mix=continuation.mix,
        sr=SR,
        at_s=source.at_s,
        source_vocal=_decoded(storage, clip.vocal_stem.name, 1),
        source_band=_decoded(storage, clip.band_stem.name, 2),
        continuation_vocal=continuation.vocal,
        continuation_band=continuation.band,
        source_stems={part["name"]: _decoded(storage, part["file"], 2) for part in clip.parts},
        continuation_stems=continuation.stems,
        skip_s=extend.grid_offset_s(source.at_s, continuation.style.bar_s),
    )
    task = EngineTask.objects.create(
        owner=clip.owner,
        request=GenerateRequest(prompt="la", tags="pop", continue_clip_id=clip.id, continue_at=12).to_json(),
    )
    joined = source.join(continuation)
    try:
        kept = services._keep_variant(task, joined, variant=0, title="Song", tags="pop", lyrics="la", score=clip.score)
    finally:
        joined.close()

    stored = EngineClip.objects.get(pk=kept["id"])
    assert stored.duration_s == kept["duration_s"] == whole.duration_s
    assert kept["peaks"] == audio_io.waveform_peaks(whole.mix)
    assert stored.voiced_s == kept["voiced_s"] == profile.voice_profile(whole.vocal, sr=SR).voiced_s > 0
    for field, expected, channels in (
        (stored.audio, whole.mix, 2),
        (stored.vocal_stem, whole.vocal, 1),
        (stored.band_stem, whole.band, 2),
    ):
        with field.open("rb") as f:
            got, _ = audio_io.decode(io.BytesIO(f.read()), sr=SR, channels=channels)
        want, _ = audio_io.decode(io.BytesIO(audio_io.encode_mp3(expected, sr=SR)), sr=SR, channels=channels)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    assert [part["name"] for part in stored.parts] == list(whole.stems) == list(kept["parts"])
    for part in stored.parts:
        stem = whole.stems[part["name"]]
        np.testing.assert_allclose(_decoded(storage, part["file"], 2), stem, rtol=0, atol=1.0 / 32768 + 1e-6)
        assert kept["parts"][part["name"]] == {
            "duration_s": len(stem) / SR,
            "peaks": audio_io.waveform_peaks(stem),
        }


def test_the_voiced_seconds_of_a_long_track_are_measured_a_minute_at_a_time():
    sung = _track(150.0, 3, 0.3).mean(axis=1)
    meter = services._VoicedSeconds(sr=SR)
    for start in range(0, len(sung), 100_000):
        meter.add(sung[start : start + 100_000])
    minute = services.VOICED_CHUNK_S * SR
    chunks = [sung[i : i + minute] for i in range(0, len(sung), minute)]
    assert meter.seconds() == round(sum(profile.voice_profile(c, sr=SR).voiced_s for c in chunks), 2) > 100
