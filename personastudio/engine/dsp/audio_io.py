"""Decoding and encoding audio with PyAV (FFmpeg's codecs, shipped in the wheel).

Every format a browser or a phone produces (WAV, MP3, FLAC, OGG/Opus, WebM/Opus,
M4A/AAC) decodes to mono float32 at the sample rate the caller asks for.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
from collections.abc import Iterable, Iterator
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
    with _audio_stream(source) as (container, stream):
        return _check_headers(container, stream, limits)


@contextlib.contextmanager
def _audio_stream(source) -> Iterator[tuple]:
    """(container, its first audio stream) of an open source, closed afterwards; NotAudioError when there is none."""
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAudioError() from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError()
        yield container, container.streams.audio[0]


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
    with _audio_stream(source) as (container, stream):
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


def decode_blocks(source: str | BinaryIO, *, sr: int = 44100, channels: int = 1) -> Iterator[np.ndarray]:
    """Decode one of our own files to float32 at ``sr`` Hz a chunk at a time, as FFmpeg hands it over.

    The chunks, joined, are the samples :func:`decode` returns for the same file, but a long song never
    has to be in memory at once. Meant for files this engine wrote (no limits, no checks for sound).

    Parameters
    ----------
    source : str or BinaryIO
        A path or a file-like object in any format FFmpeg reads; it must stay open while iterating.
    sr : int
        Sample rate of the chunks in Hz.
    channels : int
        1 for mono, 2 for stereo.

    Yields
    ------
    np.ndarray [shape=(k,) or (k, 2)]
        float32 chunks at ``sr`` Hz, in order: (k,) when ``channels`` is 1, (k, 2) when it is 2.

    Raises
    ------
    AudioDecodeError
        ``NotAudioError`` when FFmpeg cannot open the source or it has no audio stream.
    ParameterError
        When ``sr`` is not positive or ``channels`` is not 1 or 2.
    """
    if sr <= 0:
        raise ParameterError("sr must be positive")
    if channels not in (1, 2):
        raise ParameterError("channels must be 1 or 2")
    with _audio_stream(source) as (container, stream):
        resampler = av.AudioResampler(format="flt", layout="mono" if channels == 1 else "stereo", rate=sr)
        frames = itertools.chain(container.decode(stream), [None])  # None flushes the resampler
        for frame in frames:
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                yield chunk if channels == 1 else chunk[: len(chunk) // 2 * 2].reshape(-1, 2)


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
    return _encode(samples, sr=sr, encoding="mp3", bitrate_kbps=bitrate_kbps)


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
    return _encode(samples, sr=sr, encoding="wav")


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
    return _encode(samples, sr=sr, encoding="flac")


_ENCODE_BLOCK = 1152 * 16  # samples per frame handed to the encoder (a multiple of MP3's 1152)
# container format, codec and bit rate of each format an Encoder writes
ENCODINGS = {
    "mp3": ("mp3", "libmp3lame", 192_000),
    "wav": ("wav", "pcm_s16le", None),
    "flac": ("flac", "flac", None),
}


class Encoder:
    """Encode audio handed over block by block into a file: a long song never has to be in memory at once.

    ``Encoder(file, sr=44100, channels=2, encoding="flac")``, then ``write(block)`` as often as needed and
    ``close()`` (or use it as a context manager). Whatever the blocks' sizes, the codec gets the same frames
    as one call with the whole array, so the file is the same bytes as ``encode_flac(whole, sr=sr)``.
    """

    def __init__(
        self, file: BinaryIO, *, sr: int, channels: int, encoding: str, bitrate_kbps: int | None = None
    ) -> None:
        if channels not in (1, 2):
            raise ParameterError("channels must be 1 or 2")
        container_format, codec, bit_rate = ENCODINGS[encoding]
        if bitrate_kbps is not None and bit_rate is not None:
            bit_rate = bitrate_kbps * 1000
        self.sr, self.channels = sr, channels
        self.layout = "mono" if channels == 1 else "stereo"
        self.container = av.open(file, mode="w", format=container_format)
        self.stream = self.container.add_stream(codec, rate=sr, layout=self.layout)
        if bit_rate:
            self.stream.bit_rate = bit_rate
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.samples_written = 0

    def write(self, samples: np.ndarray) -> None:
        """Encode the next samples, (k,) for mono or (k, 2) for stereo, floats in [-1, 1] (clipped there)."""
        samples = np.asarray(samples)
        if (samples.ndim == 1) != (self.channels == 1) or (samples.ndim == 2 and samples.shape[1] != 2):
            raise ParameterError("samples must be mono (n,) or stereo (n, 2), as the encoder was opened")
        self.samples_written += samples.shape[0]
        if self.n_pending:
            self.pending.append(samples)
            self.n_pending += samples.shape[0]
            if self.n_pending < _ENCODE_BLOCK:
                return
            samples = np.concatenate(self.pending)
            self.pending, self.n_pending = [], 0
        whole = samples.shape[0] // _ENCODE_BLOCK * _ENCODE_BLOCK
        for start in range(0, whole, _ENCODE_BLOCK):
            self._frame(samples[start : start + _ENCODE_BLOCK])
        if whole < samples.shape[0]:
            self.pending, self.n_pending = [np.array(samples[whole:])], samples.shape[0] - whole

    def _frame(self, block: np.ndarray) -> None:
        planar, _ = _as_planar(np.clip(block, -1.0, 1.0))
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=self.layout)
        frame.sample_rate = self.sr
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        """Encode what is left, flush the codec and finish the file (the file object stays open)."""
        if self.container is None:
            return
        if self.n_pending:
            self._frame(np.concatenate(self.pending))
            self.pending, self.n_pending = [], 0
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()
        self.container = None

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        elif self.container is not None:
            self.container.close()
            self.container = None


def encode_blocks(
    blocks: Iterable[np.ndarray], file: BinaryIO, *, sr: int, encoding: str, channels: int | None = None
) -> int:
    """Encode audio handed over in blocks into ``file`` (see :class:`Encoder`): the same bytes as the whole.

    Parameters
    ----------
    blocks : iterable of np.ndarray [shape=(k,) or (k, 2)]
        Consecutive float blocks in [-1, 1] (clipped there), all mono or all stereo.
    file : BinaryIO
        Where the encoded file is written (a temporary file for a long song); it is left open.
    sr : int
        Their sample rate in Hz.
    encoding : str
        "mp3" (192 kbit/s), "flac" or "wav" (16-bit), as ``encode_mp3`` / ``encode_flac`` / ``encode_wav``.
    channels : int or None
        1 or 2; by default what the first block has (mono when there is none).

    Returns
    -------
    int
        How many samples (per channel) were encoded.
    """
    blocks = iter(blocks)
    first = next(blocks, None)
    if channels is None:
        channels = 1 if first is None or np.ndim(first) == 1 else 2
    with Encoder(file, sr=sr, channels=channels, encoding=encoding) as encoder:
        for block in itertools.chain([] if first is None else [first], blocks):
            encoder.write(block)
    return encoder.samples_written


def _encode(samples: np.ndarray, *, sr: int, encoding: str, bitrate_kbps: int | None = None) -> bytes:
    samples = np.asarray(samples)
    layout = _as_planar(samples[:1] if samples.ndim else samples)[1]  # checks the shape
    buffer = io.BytesIO()
    with Encoder(
        buffer, sr=sr, channels=1 if layout == "mono" else 2, encoding=encoding, bitrate_kbps=bitrate_kbps
    ) as encoder:
        encoder.write(samples)
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


class PeakMeter:
    """:func:`waveform_peaks` of audio handed over block by block: ``add(block)`` each in order, then ``peaks()``.

    The length must be known in advance (the slices are fixed by it); the figures are those of
    ``waveform_peaks(whole, n_peaks=n_peaks)``.
    """

    def __init__(self, n_samples: int, *, channels: int, n_peaks: int = 800) -> None:
        total = int(n_samples) * int(channels)
        n_peaks = min(n_peaks, total) if n_peaks > 0 else 0
        self.starts = np.linspace(0, total, n_peaks + 1).astype(int)[:-1] if n_peaks else np.zeros(0, int)
        self.maxima = np.zeros(len(self.starts), dtype=np.float32)
        self.offset = 0

    def add(self, block: np.ndarray) -> None:
        """Measure the next samples, (k,) or (k, channels), the same layout as the rest."""
        flat = np.abs(np.asarray(block, dtype=np.float32).reshape(-1))
        if not len(flat) or not len(self.starts):
            self.offset += len(flat)
            return
        first, end = self.offset, self.offset + len(flat)
        i0 = int(np.searchsorted(self.starts, first, side="right")) - 1
        i1 = int(np.searchsorted(self.starts, end, side="left"))
        local = np.maximum(self.starts[i0:i1] - first, 0)
        self.maxima[i0:i1] = np.maximum(self.maxima[i0:i1], np.maximum.reduceat(flat, local))
        self.offset = end

    def peaks(self) -> list[float]:
        """One peak per slice, rounded to 3 decimals, as :func:`waveform_peaks` gives them."""
        return [round(float(p), 3) for p in self.maxima]
