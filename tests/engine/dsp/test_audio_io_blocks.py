"""A long song is decoded, encoded and measured a block at a time, with the same samples, bytes and peaks as
the whole-array functions."""

import io

import numpy as np
import pytest

from personastudio.engine.dsp import audio_io

SR = 22050


def _music(seconds: float, *, channels: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    if channels == 2:
        x = np.stack([x, 0.7 * np.roll(x, 50)], axis=1)
    return x.astype(np.float32)


def _uneven(x: np.ndarray, sizes=(1, 999, 18432, 5, 40000, 7)):
    """``x`` in blocks of uneven sizes, repeating the pattern."""
    start, k = 0, 0
    while start < len(x):
        size = sizes[k % len(sizes)]
        yield x[start : start + size]
        start, k = start + size, k + 1


@pytest.mark.parametrize("encoding, channels", [("flac", 2), ("flac", 1), ("mp3", 2), ("mp3", 1), ("wav", 2)])
def test_encoding_in_uneven_blocks_gives_the_bytes_of_the_whole(encoding, channels):
    x = _music(3.3, channels=channels)
    whole = {"flac": audio_io.encode_flac, "mp3": audio_io.encode_mp3, "wav": audio_io.encode_wav}[encoding](x, sr=SR)
    buffer = io.BytesIO()
    written = audio_io.encode_blocks(_uneven(x), buffer, sr=SR, encoding=encoding)
    assert written == len(x)
    assert buffer.getvalue() == whole


@pytest.mark.parametrize("fmt, channels", [("flac", 2), ("flac", 1), ("mp3", 2), ("mp3", 1)])
def test_decoding_a_block_at_a_time_gives_the_samples_of_the_whole(fmt, channels):
    x = _music(4.1, channels=channels)
    data = audio_io.encode_flac(x, sr=SR) if fmt == "flac" else audio_io.encode_mp3(x, sr=SR)
    whole, _ = audio_io.decode(io.BytesIO(data), sr=44100, channels=channels)
    chunks = list(audio_io.decode_blocks(io.BytesIO(data), sr=44100, channels=channels))
    assert len(chunks) > 1
    assert all(c.dtype == np.float32 and c.ndim == channels for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), whole)


def test_decoding_blocks_of_what_is_not_audio_is_refused():
    with pytest.raises(audio_io.NotAudioError):
        next(audio_io.decode_blocks(io.BytesIO(b"not audio at all " * 40)))


@pytest.mark.parametrize("seconds, channels, n_peaks", [(3.0, 2, 800), (3.0, 1, 800), (0.01, 2, 800), (2.0, 2, 7)])
def test_peaks_measured_block_by_block_are_the_peaks_of_the_whole(seconds, channels, n_peaks):
    x = _music(seconds, channels=channels)
    meter = audio_io.PeakMeter(len(x), channels=channels, n_peaks=n_peaks)
    for block in _uneven(x, sizes=(1, 37, 4096, 3)):
        meter.add(block)
    assert meter.peaks() == audio_io.waveform_peaks(x, n_peaks=n_peaks)


def test_peaks_of_nothing_are_empty():
    meter = audio_io.PeakMeter(0, channels=2)
    meter.add(np.zeros((0, 2), np.float32))
    assert meter.peaks() == [] == audio_io.waveform_peaks(np.zeros((0, 2)))
