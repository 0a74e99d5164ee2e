"""Factories and test audio. The audio is synthesized here: tones, and voice-like sung lines."""

from __future__ import annotations

import io

import factory
import numpy as np
from django.contrib.auth import get_user_model

from personastudio.engine.dsp import audio_io

SR = 22050
PASSWORD = "a-long-Test-passw0rd"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"singer{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def tone(*, seconds: float = 2.0, hz: float = 440.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def sung_line(*, seconds: float = 14.0, low_hz: float = 220.0, high_hz: float = 440.0, sr: int = SR,
              seed: int = 0) -> np.ndarray:
    """A voice-like signal: notes between low_hz and high_hz, harmonics, vibrato, short breaths between notes."""
    rng = np.random.default_rng(seed)
    note_s = 0.5
    n_notes = int(seconds / note_s)
    midi_low, midi_high = 12 * np.log2(low_hz / 440) + 69, 12 * np.log2(high_hz / 440) + 69
    # Touch both ends of the range, the rest in between.
    midis = np.concatenate([[midi_low, midi_high], rng.uniform(midi_low, midi_high, n_notes - 2)])
    t_note = np.arange(int(note_s * sr)) / sr
    out = []
    phase = 0.0
    for midi in midis:
        f0 = 440 * 2 ** ((midi - 69) / 12) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t_note))
        inst_phase = phase + 2 * np.pi * np.cumsum(f0) / sr
        phase = inst_phase[-1]
        note = sum((0.6 / k) * np.sin(k * inst_phase) for k in range(1, 8))
        envelope = np.minimum(1, np.minimum(t_note / 0.03, (note_s - t_note) / 0.06))
        out.append(note * envelope)
    signal = np.concatenate(out) * 0.4
    return signal.astype(np.float32)


def wav_bytes(samples: np.ndarray, *, sr: int = SR) -> bytes:
    return audio_io.encode_wav(samples, sr=sr)


def mp3_bytes(samples: np.ndarray, *, sr: int = SR) -> bytes:
    return audio_io.encode_mp3(samples, sr=sr)


def make_clip(owner, *, title: str = "My voice", samples: np.ndarray | None = None, **fields):
    """A clip stored the way an upload is (decoded, measured, kept privately)."""
    from personastudio.clips import services

    data = wav_bytes(sung_line() if samples is None else samples)
    return services.clip_create(owner=owner, title=title, data=data, filename=f"{title}.wav", **fields)


def upload_file(samples: np.ndarray | None = None, *, name: str = "voice.wav", data: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if data is None:
        data = wav_bytes(sung_line() if samples is None else samples)
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
