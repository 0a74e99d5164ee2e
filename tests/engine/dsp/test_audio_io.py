"""Decoding every format a songwriter brings, and refusing what is not audio."""

import io

import av
import numpy as np
import pytest
from synth import sung_line, tone

from personastudio.engine.dsp import audio_io


def _encode_with(fmt: str, codec: str, samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "fmt, codec, rate",
    [
        ("wav", "pcm_s16le", 44100),
        ("mp3", "libmp3lame", 44100),
        ("flac", "flac", 44100),
        ("ogg", "libopus", 48000),
        ("webm", "libopus", 48000),
        ("ipod", "aac", 44100),
    ],
)
def test_every_common_format_decodes_to_mono_at_the_asked_rate(fmt, codec, rate):
    samples = tone(seconds=2, hz=440, sr=rate)
    decoded, info = audio_io.decode(io.BytesIO(_encode_with(fmt, codec, samples, rate)), sr=22050)
    assert decoded.dtype == np.float32 and decoded.ndim == 1
    assert info.duration_s == pytest.approx(2, abs=0.1)
    assert info.sample_rate == rate and info.channels == 1
    # Still a 440 Hz tone after the round trip.
    spectrum = np.abs(np.fft.rfft(decoded))
    assert np.fft.rfftfreq(len(decoded), 1 / 22050)[np.argmax(spectrum)] == pytest.approx(440, abs=2)


@pytest.mark.parametrize("data", [b"", b"not audio at all " * 40, audio_io.encode_wav(tone(seconds=1), sr=22050)[:44]])
def test_garbage_empty_and_truncated_files_are_refused_with_a_sentence(data):
    with pytest.raises(audio_io.AudioDecodeError) as refused:
        audio_io.decode(io.BytesIO(data))
    assert str(refused.value).endswith(".")


def test_decoding_stops_at_the_duration_limit():
    long_wav = audio_io.encode_wav(tone(seconds=6), sr=22050)
    with pytest.raises(audio_io.AudioTooLongError) as refused:
        audio_io.decode(io.BytesIO(long_wav), max_duration_s=3)
    assert refused.value.duration_s == pytest.approx(6, abs=0.1)


def test_mp3_round_trip_keeps_both_channels():
    left, right = tone(seconds=2, hz=330, sr=44100), tone(seconds=2, hz=550, sr=44100)
    data = audio_io.encode_mp3(np.stack([left, right], axis=1), sr=44100)
    decoded, info = audio_io.decode(io.BytesIO(data), sr=44100)
    assert info.channels == 2 and info.codec.startswith("mp3")
    # The mono downmix holds both channels' tones.
    spectrum = np.abs(np.fft.rfft(decoded))
    freqs = np.fft.rfftfreq(len(decoded), 1 / 44100)
    strongest = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert strongest == [pytest.approx(330, abs=2), pytest.approx(550, abs=2)]


def test_waveform_peaks_follow_the_loudness_over_time():
    quiet_then_loud = np.concatenate([tone(seconds=1, amplitude=0.1), tone(seconds=1, amplitude=0.8)])
    peaks = audio_io.waveform_peaks(quiet_then_loud, n_peaks=10)
    assert len(peaks) == 10
    assert max(peaks[:5]) == pytest.approx(0.1, abs=0.01) and min(peaks[5:]) == pytest.approx(0.8, abs=0.01)
    assert audio_io.waveform_peaks(sung_line(seconds=2))[:1]
