"""Audio from outside that would decode to hours of work is refused before the work, or as soon as it starts."""

import io

import pytest
from audio_files import CountingReader, encoded, flac_claiming

from personastudio.engine.dsp import audio_io


# The studio's defaults (settings.UPLOAD_MAX_*), for a clip limit of `max_duration_s`.
def upload_limits(max_duration_s: float) -> audio_io.DecodeLimits:
    return audio_io.DecodeLimits.per_second(
        max_duration_s=max_duration_s, max_channels=8, max_sample_rate_hz=192_000, max_channel_samples_per_s=2 * 192_000
    )


@pytest.mark.parametrize(
    "rate, channels, sample_format",
    [
        (48_000, 2, "s32"),  # a DAW's 24-bit stereo export (PCM s24 in a 32-bit container)
        (96_000, 2, "s32"),
        (192_000, 2, "s16"),  # the highest rate a common recorder writes
        (44_100, 1, "s16"),  # a phone's voice memo
        (48_000, 6, "s16"),  # a 5.1 mix
    ],
)
def test_normal_phone_and_daw_files_pass_the_limits_at_their_full_allowed_length(rate, channels, sample_format):
    codec = "pcm_s24le" if sample_format == "s32" else "pcm_s16le"
    data = encoded(
        fmt="wav", codec=codec, seconds=3, rate=rate, channels=channels, noise=True, sample_format=sample_format
    )
    samples, info = audio_io.decode(io.BytesIO(data), sr=22050, limits=upload_limits(3))
    assert info.sample_rate == rate and info.channels == channels
    assert len(samples) == pytest.approx(3 * 22050, abs=50)
    assert audio_io.probe(io.BytesIO(data), limits=upload_limits(3)).duration_s == pytest.approx(3)


def test_the_attack_shape_many_channels_at_192_khz_in_a_small_flac_is_refused_from_its_headers():
    # The probe's file was 590 s of 8-channel 192 kHz silence in 241 KB under a 600 s limit; the same
    # proportions here: 8-channel 192 kHz silence nearly as long as the limit.
    data = encoded(fmt="flac", codec="flac", seconds=5, rate=192_000, channels=8)
    assert len(data) < 20_000  # silence packs small
    with pytest.raises(audio_io.TooMuchAudioError) as refused:
        audio_io.decode(io.BytesIO(data), sr=22050, limits=upload_limits(6))
    assert refused.value.decoded_s == 0  # nothing was decoded
    assert "8 channels at 192000 Hz for 5 seconds" in str(refused.value)
    with pytest.raises(audio_io.TooMuchAudioError):
        audio_io.probe(io.BytesIO(data), limits=upload_limits(6))


@pytest.mark.parametrize(
    "rate, channels, error",
    [
        (384_000, 1, audio_io.SampleRateTooHighError),
        (48_000, 8, None),  # 7.1 passes the channel limit
    ],
)
def test_sample_rate_and_channels_are_checked_before_decoding(rate, channels, error):
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=0.5, rate=rate, channels=channels, noise=True)
    if error is None:
        audio_io.decode(io.BytesIO(data), sr=22050, limits=upload_limits(2))
        return
    with pytest.raises(error) as refused:
        audio_io.decode(io.BytesIO(data), sr=22050, limits=upload_limits(2))
    assert refused.value.decoded_s == 0 and str(refused.value).endswith(".")


def test_more_channels_than_the_limit_are_refused_before_decoding():
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=0.5, rate=48_000, channels=8, noise=True)
    limits = audio_io.DecodeLimits.per_second(
        max_duration_s=2, max_channels=6, max_sample_rate_hz=192_000, max_channel_samples_per_s=2 * 192_000
    )
    with pytest.raises(audio_io.TooManyChannelsError) as refused:
        audio_io.decode(io.BytesIO(data), sr=22050, limits=limits)
    assert refused.value.decoded_s == 0 and "8 channels" in str(refused.value)


def test_a_header_longer_than_the_limit_is_refused_before_decoding():
    data = encoded(fmt="flac", codec="flac", seconds=8, rate=8000, channels=1, noise=True)
    with pytest.raises(audio_io.AudioTooLongError) as refused:
        audio_io.decode(io.BytesIO(data), sr=22050, limits=upload_limits(3))
    assert refused.value.decoded_s == 0 and refused.value.duration_s == pytest.approx(8)


def test_a_file_whose_header_understates_its_length_is_cut_off_at_the_limit():
    honest = encoded(fmt="flac", codec="flac", seconds=30, rate=8000, channels=1, noise=True)
    lying = flac_claiming(honest, total_samples=8000)  # "1 second"
    assert audio_io.probe(io.BytesIO(lying), limits=upload_limits(2)).duration_s == pytest.approx(1)
    source = CountingReader(lying)
    with pytest.raises(audio_io.AudioTooLongError) as refused:
        audio_io.decode(source, sr=22050, limits=upload_limits(2))
    assert 2 < refused.value.decoded_s < 3.5  # stopped at the limit (2 s + slack), not after 30 s
    assert source.furthest < len(lying) * 0.25  # and never read the rest of the file


def test_a_file_whose_header_understates_its_work_is_cut_off_at_the_budget():
    honest = encoded(fmt="flac", codec="flac", seconds=30, rate=8000, channels=2, noise=True)
    lying = flac_claiming(honest, total_samples=8000)
    # 2 channels x 8 kHz x 30 s is over a budget of 4 s at 8 kHz stereo, within a generous length limit.
    limits = audio_io.DecodeLimits(
        max_duration_s=60, max_channels=8, max_sample_rate_hz=192_000, max_channel_samples=2 * 8000 * 4
    )
    source = CountingReader(lying)
    with pytest.raises(audio_io.TooMuchAudioError) as refused:
        audio_io.decode(source, sr=22050, limits=limits)
    assert 4 < refused.value.decoded_s < 5
    assert source.furthest < len(lying) * 0.3


def test_without_limits_the_studios_own_files_decode_as_before():
    data = encoded(fmt="wav", codec="pcm_s16le", seconds=1, rate=384_000, channels=1, noise=True)
    samples, info = audio_io.decode(io.BytesIO(data), sr=22050)
    assert info.sample_rate == 384_000 and len(samples) == pytest.approx(22050, abs=50)
