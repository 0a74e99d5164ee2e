"""Audio files with many channels, high rates and lying headers, made with PyAV for the upload-limit tests."""

import io

import av
import numpy as np

LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}


def encoded(
    *, fmt: str, codec: str, seconds: float, rate: int, channels: int, noise: bool = False, sample_format: str = "s16"
) -> bytes:
    """`seconds` of silence (or noise) with `channels` channels at `rate`, encoded by PyAV."""
    layout = LAYOUTS[channels]
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        if sample_format != "s16":
            stream.format = sample_format
        total, block = int(seconds * rate), rate // 2
        for start in range(0, total, block):
            n = min(block, total - start)
            samples = rng.standard_normal((1, n * channels)) * 3000 if noise else np.zeros((1, n * channels))
            frame = av.AudioFrame.from_ndarray(samples.astype(np.int16), format="s16", layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


class CountingReader(io.BytesIO):
    """A file that remembers the furthest byte the decoder read."""

    furthest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


def flac_claiming(data: bytes, *, total_samples: int) -> bytes:
    """The FLAC with its STREAMINFO's sample count replaced: a header that lies about the length."""
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first, as the format requires
    packed = int.from_bytes(data[18:26], "big")  # rate(20) channels(3) bits(5) | total samples(36)
    packed = (packed >> 36 << 36) | total_samples
    return data[:18] + packed.to_bytes(8, "big") + data[26:]
