"""Decoding and encoding audio with PyAV (FFmpeg's codecs, shipped in the wheel).

Every format a browser or a phone produces (WAV, MP3, FLAC, OGG/Opus, WebM/Opus,
M4A/AAC) decodes to mono float32 at the sample rate the caller asks for.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np
from scipy.signal import resample_poly

from .errors import ParameterError


def resample(samples: np.ndarray, *, sr_from: int, sr_to: int) -> np.ndarray:
    """Polyphase resampling along axis 0 (scipy's resample_poly); the same array when the rates agree."""
    if int(sr_from) <= 0 or int(sr_to) <= 0:
        raise ParameterError("sample rates must be positive")
    if int(sr_from) == int(sr_to):
        return samples
    g = math.gcd(int(sr_from), int(sr_to))
    return resample_poly(samples, int(sr_to) // g, int(sr_from) // g, axis=0)


class AudioDecodeError(Exception):
    """The bytes are not audio we can read. The message is a sentence for the user."""


class NotAudioError(AudioDecodeError):
    def __init__(self):
        super().__init__(NOT_AUDIO)


class NoSoundError(AudioDecodeError):
    def __init__(self):
        super().__init__(NO_SOUND)


class AudioTooLongError(AudioDecodeError):
    def __init__(self, duration_s: float, max_duration_s: float):
        self.duration_s = duration_s
        self.max_duration_s = max_duration_s
        super().__init__(f"The audio is longer than {max_duration_s:.0f} seconds.")


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate: int  # of the original stream
    channels: int  # of the original stream
    codec: str


NOT_AUDIO = "This file doesn't look like audio we can read. Please upload WAV, MP3, FLAC, OGG, WebM or M4A."
NO_SOUND = "This file holds no sound we can read: it may be empty or cut short."


def decode(source: str | BinaryIO, *, sr: int = 44100, max_duration_s: float | None = None,
           channels: int = 1) -> tuple[np.ndarray, AudioInfo]:
    """Decode a path or file-like object to float32 at `sr`: mono (n,), or (n, 2) with channels=2.

    Stops early with AudioTooLongError as soon as more than `max_duration_s` has
    been decoded, so a three-hour file costs no more than the limit.
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    if channels not in (1, 2):
        raise ParameterError("channels must be 1 or 2")
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAudioError() from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError()
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono" if channels == 1 else "stereo", rate=sr)
        chunks: list[np.ndarray] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    decoded += len(chunk) // channels
                if max_duration_s is not None and decoded > (max_duration_s + 0.5) * sr:
                    raise AudioTooLongError(_stream_duration(container, stream) or decoded / sr, max_duration_s)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except AudioTooLongError:
            raise
        except (av.FFmpegError, ValueError) as exc:
            # A truncated file usually decodes up to the damage: keep what we got if it is real sound.
            if not chunks:
                raise NotAudioError() from exc
        samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        if channels == 2:  # packed float: L R L R …
            samples = samples[: len(samples) // 2 * 2].reshape(-1, 2)
        if len(samples) < sr * 0.05 or not np.isfinite(samples).all():
            raise NoSoundError()
        if max_duration_s is not None and len(samples) > (max_duration_s + 0.5) * sr:
            raise AudioTooLongError(len(samples) / sr, max_duration_s)
        codec_context = stream.codec_context
        info = AudioInfo(
            duration_s=len(samples) / sr,
            sample_rate=int(codec_context.sample_rate or sr),
            channels=int(codec_context.channels or 1),
            codec=codec_context.name or "",
        )
    return samples, info


def _stream_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _as_planar(samples: np.ndarray) -> tuple[np.ndarray, str]:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        return samples[np.newaxis, :], "mono"
    if samples.ndim == 2 and samples.shape[1] == 2:
        return np.ascontiguousarray(samples.T), "stereo"
    raise ParameterError("samples must be mono (n,) or stereo (n, 2)")


def encode_mp3(samples: np.ndarray, *, sr: int, bitrate_kbps: int = 192) -> bytes:
    """MP3 (LAME through PyAV) of mono (n,) or stereo (n, 2) float samples in [-1, 1]."""
    return _encode(samples, sr=sr, container_format="mp3", codec="libmp3lame", bit_rate=bitrate_kbps * 1000)


def encode_wav(samples: np.ndarray, *, sr: int) -> bytes:
    """16-bit PCM WAV of mono (n,) or stereo (n, 2) float samples in [-1, 1]."""
    return _encode(samples, sr=sr, container_format="wav", codec="pcm_s16le", bit_rate=None)


def encode_flac(samples: np.ndarray, *, sr: int) -> bytes:
    """Lossless 16-bit FLAC of mono (n,) or stereo (n, 2) float samples in [-1, 1]: a stem kept exactly."""
    return _encode(samples, sr=sr, container_format="flac", codec="flac", bit_rate=None)


def _encode(samples: np.ndarray, *, sr: int, container_format: str, codec: str, bit_rate: int | None) -> bytes:
    planar, layout = _as_planar(np.clip(samples, -1.0, 1.0))
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sr, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        block = 1152 * 16
        for start in range(0, planar.shape[1], block):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, start:start + block]),
                                               format="fltp", layout=layout)
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def waveform_peaks(samples: np.ndarray, *, n_peaks: int = 800) -> list[float]:
    """Peak absolute amplitude in `n_peaks` equal slices: enough to draw a waveform at once."""
    samples = np.abs(np.asarray(samples, dtype=np.float32).reshape(-1))
    if not len(samples) or n_peaks <= 0:
        return []
    n_peaks = min(n_peaks, len(samples))
    edges = np.linspace(0, len(samples), n_peaks + 1).astype(int)
    peaks = np.maximum.reduceat(samples, edges[:-1])
    return [round(float(p), 3) for p in peaks]
