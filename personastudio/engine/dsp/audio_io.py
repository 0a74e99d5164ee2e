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
    """Resample along axis 0 with scipy's polyphase filter (``resample_poly``).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, c)]
        Audio at ``sr_from`` Hz, any float dtype.
    sr_from : int
        Sample rate of ``samples`` in Hz (> 0).
    sr_to : int
        Sample rate wanted in Hz (> 0).

    Returns
    -------
    np.ndarray [shape=(m,) or (m, c)]
        The audio at ``sr_to`` Hz, ``m ~= n * sr_to / sr_from``; ``samples`` itself when the rates agree.

    Raises
    ------
    ParameterError
        When a rate is not positive.
    """
    if int(sr_from) <= 0 or int(sr_to) <= 0:
        raise ParameterError("sample rates must be positive")
    if int(sr_from) == int(sr_to):
        return samples
    g = math.gcd(int(sr_from), int(sr_to))
    return resample_poly(samples, int(sr_to) // g, int(sr_from) // g, axis=0)


class AudioDecodeError(Exception):
    """The bytes are not audio we can read. The message is a sentence for the user."""

    #: Seconds of the source decoded before the refusal (0: refused from the headers, nothing decoded).
    decoded_s: float = 0.0


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


class TooManyChannelsError(AudioDecodeError):
    def __init__(self, channels: int, max_channels: int):
        self.channels, self.max_channels = channels, max_channels
        super().__init__(
            f"The audio has {channels} channels; at most {max_channels} can be read. "
            "Mix it down to stereo and upload again."
        )


class SampleRateTooHighError(AudioDecodeError):
    def __init__(self, sample_rate_hz: int, max_sample_rate_hz: int):
        self.sample_rate_hz, self.max_sample_rate_hz = sample_rate_hz, max_sample_rate_hz
        super().__init__(
            f"The audio's sample rate is {sample_rate_hz} Hz; at most {max_sample_rate_hz} Hz can be "
            "read. Export it at 48 kHz and upload again."
        )


class TooMuchAudioError(AudioDecodeError):
    """More samples (channels x rate x seconds) than the limits allow: hours of decoding in a small file."""

    def __init__(self, channels: int, sample_rate_hz: int, duration_s: float):
        self.channels, self.sample_rate_hz, self.duration_s = channels, sample_rate_hz, duration_s
        super().__init__(
            f"The audio holds too much to read: {channels} channels at {sample_rate_hz} Hz for "
            f"{duration_s:.0f} seconds. Export it as stereo at 48 kHz and upload again."
        )


@dataclass(frozen=True)
class DecodeLimits:
    """What decoding a file from outside may cost, checked on the container's headers before any decoding and
    again on every decoded frame (headers can lie: decoding stops as soon as a frame passes a limit).

    `max_channel_samples` bounds the work: channels x sample rate x seconds of the source, summed over the
    frames decoded; `max_duration_s` also stops at the decoded length.
    """

    max_duration_s: float
    max_channels: int
    max_sample_rate_hz: int
    max_channel_samples: int

    @classmethod
    def per_second(
        cls, *, max_duration_s: float, max_channels: int, max_sample_rate_hz: int, max_channel_samples_per_s: int
    ) -> DecodeLimits:
        """Limits whose work budget grows with the allowed length (`max_channel_samples_per_s` per second)."""
        return cls(
            max_duration_s=max_duration_s,
            max_channels=max_channels,
            max_sample_rate_hz=max_sample_rate_hz,
            max_channel_samples=int(max_channel_samples_per_s * (max_duration_s + DURATION_SLACK_S)),
        )


# Decoded lengths within this of a limit pass: a "10 minute" export is rarely exactly 600.0 s.
DURATION_SLACK_S = 0.5
# Containers whose duration FFmpeg may only estimate from the first frame's bit rate (an MP3 or ADTS AAC
# without a VBR header): their header length is not trusted to refuse a file; decoding still stops.
_ESTIMATED_DURATION_FORMATS = {"mp3", "aac"}


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate: int  # of the original stream
    channels: int  # of the original stream
    codec: str


NOT_AUDIO = "This file doesn't look like audio we can read. Please upload WAV, MP3, FLAC, OGG, WebM or M4A."
NO_SOUND = "This file holds no sound we can read: it may be empty or cut short."


def probe(source: str | BinaryIO, *, limits: DecodeLimits) -> AudioInfo:
    """Read only the container's headers and refuse a file they show is over ``limits``.

    Nothing is decoded: the declared channels, sample rate, length and work (channels x rate x length)
    are checked against ``limits``.

    Parameters
    ----------
    source : str or BinaryIO
        A path or a seekable file-like object.
    limits : DecodeLimits
        What a file from outside may declare.

    Returns
    -------
    AudioInfo
        What the headers say; its duration is 0 when the container does not say.

    Raises
    ------
    AudioDecodeError
        ``NotAudioError`` for no audio stream, or the limit the headers pass (a sentence for the user).
    """
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAudioError() from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError()
        stream = container.streams.audio[0]
        return _check_headers(container, stream, limits)


def _check_headers(container, stream, limits: DecodeLimits | None) -> AudioInfo:
    codec_context = stream.codec_context
    channels = int(codec_context.channels or 0)
    rate = int(codec_context.sample_rate or 0)
    duration_s = _stream_duration(container, stream)
    if limits is not None:
        if channels > limits.max_channels:
            raise TooManyChannelsError(channels, limits.max_channels)
        if rate > limits.max_sample_rate_hz:
            raise SampleRateTooHighError(rate, limits.max_sample_rate_hz)
        if duration_s is not None and container.format.name not in _ESTIMATED_DURATION_FORMATS:
            if duration_s > limits.max_duration_s + DURATION_SLACK_S:
                raise AudioTooLongError(duration_s, limits.max_duration_s)
            if channels * rate * duration_s > limits.max_channel_samples:
                raise TooMuchAudioError(channels, rate, duration_s)
    return AudioInfo(duration_s=duration_s or 0.0, sample_rate=rate, channels=channels, codec=codec_context.name or "")


class _SourceWork:
    """What the decoder has produced so far, counted in the source's own frames (before resampling)."""

    def __init__(self, limits: DecodeLimits | None):
        self.limits = limits
        self.seconds = 0.0
        self.channel_samples = 0

    def add(self, frame) -> None:
        limits = self.limits
        if limits is None:
            return
        channels, rate = len(frame.layout.channels), int(frame.sample_rate or 0)
        if channels > limits.max_channels:
            self._refuse(TooManyChannelsError(channels, limits.max_channels))
        if rate > limits.max_sample_rate_hz:
            self._refuse(SampleRateTooHighError(rate, limits.max_sample_rate_hz))
        self.channel_samples += frame.samples * channels
        self.seconds += frame.samples / rate if rate else 0.0
        if self.seconds > limits.max_duration_s + DURATION_SLACK_S:
            self._refuse(AudioTooLongError(self.seconds, limits.max_duration_s))
        if self.channel_samples > limits.max_channel_samples:
            self._refuse(TooMuchAudioError(channels, rate, self.seconds))

    def _refuse(self, error: AudioDecodeError):
        error.decoded_s = self.seconds
        raise error


def decode(
    source: str | BinaryIO,
    *,
    sr: int = 44100,
    max_duration_s: float | None = None,
    channels: int = 1,
    limits: DecodeLimits | None = None,
) -> tuple[np.ndarray, AudioInfo]:
    """Decode a path or file-like object to float32 at ``sr`` Hz.

    Stops early with AudioTooLongError as soon as more than ``max_duration_s`` has been decoded, so a
    three-hour file costs no more than the limit. With ``limits`` (a file from outside) the headers are
    checked before decoding and every decoded frame after (see DecodeLimits), so a small file that would
    decode to hours of many-channel audio is refused after at most the budget's worth of work.

    Parameters
    ----------
    source : str or BinaryIO
        A path or a file-like object in any format FFmpeg reads (WAV, MP3, FLAC, Opus, AAC, ...).
    sr : int
        Sample rate of the result in Hz.
    max_duration_s : float or None
        Longest audio accepted, in seconds; None for no limit. Replaced by ``limits.max_duration_s``.
    channels : int
        1 for mono, 2 for stereo.
    limits : DecodeLimits or None
        Channels, rate, length and work a file from outside may have.

    Returns
    -------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        float32 at ``sr`` Hz: (n,) when ``channels`` is 1, (n, 2) when it is 2.
    info : AudioInfo
        The source's channels, sample rate and duration.

    Raises
    ------
    AudioDecodeError
        Not audio, no sound, or past a limit (the message is a sentence for the user).
    ParameterError
        When ``sr`` is not positive or ``channels`` is not 1 or 2.
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    if channels not in (1, 2):
        raise ParameterError("channels must be 1 or 2")
    if limits is not None:
        max_duration_s = limits.max_duration_s
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAudioError() from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError()
        stream = container.streams.audio[0]
        _check_headers(container, stream, limits)
        work = _SourceWork(limits)
        resampler = av.AudioResampler(format="flt", layout="mono" if channels == 1 else "stereo", rate=sr)
        chunks: list[np.ndarray] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                work.add(frame)
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    decoded += len(chunk) // channels
                if max_duration_s is not None and decoded > (max_duration_s + DURATION_SLACK_S) * sr:
                    too_long = AudioTooLongError(_stream_duration(container, stream) or decoded / sr, max_duration_s)
                    too_long.decoded_s = decoded / sr
                    raise too_long
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except AudioDecodeError:
            raise
        except (av.FFmpegError, ValueError) as exc:
            # A truncated file usually decodes up to the damage: keep what we got if it is real sound.
            if not chunks:
                raise NotAudioError() from exc
        samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
        del chunks
        if channels == 2:  # packed float: L R L R …
            samples = samples[: len(samples) // 2 * 2].reshape(-1, 2)
        if len(samples) < sr * 0.05 or not np.isfinite(samples).all():
            raise NoSoundError()
        if max_duration_s is not None and len(samples) > (max_duration_s + DURATION_SLACK_S) * sr:
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
    """Encode float samples as MP3 (LAME through PyAV).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        Mono or stereo float samples in [-1, 1] (clipped there).
    sr : int
        Their sample rate in Hz.
    bitrate_kbps : int
        Constant bit rate in kbit/s.

    Returns
    -------
    bytes
        The MP3 file.
    """
    return _encode(samples, sr=sr, container_format="mp3", codec="libmp3lame", bit_rate=bitrate_kbps * 1000)


def encode_wav(samples: np.ndarray, *, sr: int) -> bytes:
    """Encode float samples as 16-bit PCM WAV.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        Mono or stereo float samples in [-1, 1] (clipped there).
    sr : int
        Their sample rate in Hz.

    Returns
    -------
    bytes
        The WAV file.
    """
    return _encode(samples, sr=sr, container_format="wav", codec="pcm_s16le", bit_rate=None)


def encode_flac(samples: np.ndarray, *, sr: int) -> bytes:
    """Encode float samples as lossless 16-bit FLAC: a stem kept exactly.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, 2)]
        Mono or stereo float samples in [-1, 1] (clipped there).
    sr : int
        Their sample rate in Hz.

    Returns
    -------
    bytes
        The FLAC file.
    """
    return _encode(samples, sr=sr, container_format="flac", codec="flac", bit_rate=None)


def _encode(samples: np.ndarray, *, sr: int, container_format: str, codec: str, bit_rate: int | None) -> bytes:
    samples = np.asarray(samples)
    layout = _as_planar(samples[:1] if samples.ndim else samples)[1]  # checks the shape
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sr, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        block = 1152 * 16
        for start in range(0, samples.shape[0], block):  # clipped and made planar a block at a time
            planar, _ = _as_planar(np.clip(samples[start : start + block], -1.0, 1.0))
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def waveform_peaks(samples: np.ndarray, *, n_peaks: int = 800) -> list[float]:
    """Measure the peak absolute amplitude in ``n_peaks`` equal slices: enough to draw a waveform at once.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, c)]
        Audio in [-1, 1]; channels are flattened together.
    n_peaks : int
        Number of slices (fewer when there are fewer samples).

    Returns
    -------
    list of float
        One peak per slice, rounded to 3 decimals; empty for no samples or ``n_peaks`` <= 0.
    """
    samples = np.abs(np.asarray(samples, dtype=np.float32).reshape(-1))
    if not len(samples) or n_peaks <= 0:
        return []
    n_peaks = min(n_peaks, len(samples))
    edges = np.linspace(0, len(samples), n_peaks + 1).astype(int)
    peaks = np.maximum.reduceat(samples, edges[:-1])
    return [round(float(p), 3) for p in peaks]
