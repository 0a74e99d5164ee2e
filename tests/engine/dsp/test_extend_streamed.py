"""A join made a block at a time from the source's stored tracks (``join_song_blocks``) is the join of the
whole arrays (``join_song``): the same mix, vocal, band and stems, mastered alike, in less memory."""

import tracemalloc

import numpy as np
import pytest

from personastudio.engine.dsp import extend

SR = 8000
NAMES = ("lead vocal", "drums", "bass")


def _signal(seconds: float, seed: int, *, channels: int = 2, level: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    x = level * np.sin(2 * np.pi * (110 + 30 * seed) * t)[:, None] * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))[:, None]
    x = x + 0.02 * rng.standard_normal((n, 2))
    return (x if channels == 2 else x.mean(axis=1)).astype(np.float32)


def _chunks(x: np.ndarray, sizes=(1152, 300, 4096, 17)):
    """What decode_blocks hands over: the track in uneven chunks."""

    def load():
        start, k = 0, 0
        while start < len(x):
            size = sizes[k % len(sizes)]
            yield x[start : start + size]
            start, k = start + size, k + 1

    return load


def _song(seconds: float, seed: int) -> dict:
    stems = {name: _signal(seconds, seed + i, level=0.15 + 0.1 * i) for i, name in enumerate(NAMES)}
    mix = sum(stems.values())
    vocal = stems["lead vocal"].mean(axis=1)
    band = stems["drums"] + stems["bass"]
    return {"mix": mix, "vocal": vocal, "band": band, "stems": stems}


def _both(source, new, *, n_src=None, at_s, skip_s=0.0, with_stems=True, with_tracks=True, block=5000):
    n_src = len(source["mix"]) if n_src is None else n_src
    whole = extend.join_song(
        source_mix=source["mix"][:n_src],
        continuation_mix=new["mix"],
        sr=SR,
        at_s=at_s,
        source_vocal=source["vocal"] if with_tracks else None,
        source_band=source["band"] if with_tracks else None,
        continuation_vocal=new["vocal"],
        continuation_band=new["band"],
        source_stems=source["stems"] if with_stems else None,
        continuation_stems=new["stems"] if with_stems else None,
        skip_s=skip_s,
    )
    streamed = extend.join_song_blocks(
        n_src=n_src,
        continuation_mix=new["mix"],
        sr=SR,
        at_s=at_s,
        source_mix=_chunks(source["mix"][:n_src]),
        source_vocal=_chunks(source["vocal"]) if with_tracks else None,
        source_band=_chunks(source["band"]) if with_tracks else None,
        continuation_vocal=new["vocal"],
        continuation_band=new["band"],
        source_stems={name: _chunks(x) for name, x in source["stems"].items()} if with_stems else None,
        continuation_stems=new["stems"] if with_stems else None,
        skip_s=skip_s,
        block=block,
    )
    return whole, streamed


def _joined(blocks) -> np.ndarray:
    return np.concatenate(list(blocks))


@pytest.mark.parametrize(
    "at_s, skip_s, with_stems",
    [(12.0, 0.3, True), (12.0, 0.0, False), (30.0, 0.0, True), (0.0, 0.1, True), (5.01, 1.7, True)],
)
def test_the_streamed_join_is_the_whole_join(at_s, skip_s, with_stems):
    source, new = _song(30.0, 1), _song(9.0, 5)
    whole, streamed = _both(source, new, at_s=at_s, skip_s=skip_s, with_stems=with_stems)
    try:
        assert streamed.n == len(whole.mix)
        assert streamed.at_s == whole.at_s and streamed.skip_s == whole.skip_s
        assert streamed.duration_s == whole.duration_s
        np.testing.assert_allclose(_joined(streamed.mix_blocks()), whole.mix, rtol=0, atol=1e-6)
        assert streamed.has_tracks
        np.testing.assert_allclose(_joined(streamed.vocal_blocks()), whole.vocal, rtol=0, atol=1e-6)
        np.testing.assert_allclose(_joined(streamed.band_blocks()), whole.band, rtol=0, atol=1e-6)
        assert streamed.stem_names == list(whole.stems)
        for name in streamed.stem_names:
            np.testing.assert_allclose(_joined(streamed.stem_blocks(name)), whole.stems[name], rtol=0, atol=1e-6)
    finally:
        streamed.close()


def test_stems_of_a_different_length_are_cut_or_padded_to_the_source_mix_as_in_the_whole_join():
    source, new = _song(20.0, 2), _song(6.0, 7)
    source["stems"]["bass"] = source["stems"]["bass"][: int(15 * SR)]  # shorter than the mix: padded
    source["stems"]["drums"] = np.concatenate([source["stems"]["drums"], source["stems"]["drums"][:999]])  # longer
    whole, streamed = _both(source, new, at_s=19.9)
    try:
        np.testing.assert_allclose(_joined(streamed.mix_blocks()), whole.mix, rtol=0, atol=1e-6)
        for name in streamed.stem_names:
            np.testing.assert_allclose(_joined(streamed.stem_blocks(name)), whole.stems[name], rtol=0, atol=1e-6)
    finally:
        streamed.close()


def test_a_source_shorter_than_the_crossfade_and_one_without_tracks_join_as_the_whole():
    source, new = _song(0.3, 3), _song(4.0, 8)
    whole, streamed = _both(source, new, at_s=0.3, with_tracks=False)
    try:
        assert not streamed.has_tracks and whole.vocal is None
        np.testing.assert_allclose(_joined(streamed.mix_blocks()), whole.mix, rtol=0, atol=1e-6)
    finally:
        streamed.close()


def test_a_silent_join_stays_silent():
    silent = {"mix": np.zeros((SR * 3, 2), np.float32), "vocal": np.zeros(SR * 3, np.float32)}
    silent["band"], silent["stems"] = silent["mix"], {"drums": silent["mix"]}
    whole, streamed = _both(silent, {**silent}, at_s=2.0)
    try:
        assert not _joined(streamed.mix_blocks()).any() and not whole.mix.any()
        assert not _joined(streamed.stem_blocks("drums")).any()
    finally:
        streamed.close()


def test_the_memory_a_streamed_join_needs_does_not_grow_with_the_sources_length():
    new = _song(4.0, 9)

    def peak_bytes(seconds: float) -> int:
        source = _song(seconds, 4)  # made before measuring: a stored source is read from its files
        tracemalloc.start()  # numpy reports its buffers to tracemalloc
        try:
            streamed = extend.join_song_blocks(
                n_src=len(source["mix"]),
                continuation_mix=new["mix"],
                sr=SR,
                at_s=seconds,
                source_vocal=_chunks(source["vocal"]),
                source_band=_chunks(source["band"]),
                continuation_vocal=new["vocal"],
                continuation_band=new["band"],
                source_stems={name: _chunks(x) for name, x in source["stems"].items()},
                continuation_stems=new["stems"],
            )
            tracks = [streamed.mix_blocks(), streamed.vocal_blocks(), streamed.band_blocks()]
            tracks += [streamed.stem_blocks(name) for name in streamed.stem_names]
            for blocks in tracks:  # as _keep_variant encodes each, block by block
                for _block in blocks:
                    pass
            streamed.close()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    stereo_second = SR * 2 * 4
    short, long = peak_bytes(100.0), peak_bytes(400.0)
    assert long - short < 30 * stereo_second  # 300 s more source, where one whole track would be 300 s
