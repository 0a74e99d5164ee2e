"""An extension's stems are joined and mastered one at a time, as they are read, so a long song with many stems
needs the memory of one stem, not of all of them."""

import tracemalloc

import numpy as np

from personastudio.engine.dsp import extend

SR = 22050
NAMES = ("lead vocal", "drums", "bass", "keys", "guitars", "lead")


def _stem(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.05 * rng.standard_normal((int(seconds * SR), 2))).astype(np.float32)


def _join(source_stems, continuation_stems, seconds: float) -> extend.JoinedSong:
    n = int(seconds * SR)
    return extend.join_song(
        source_mix=np.zeros((n, 2), np.float32),
        continuation_mix=sum(continuation_stems.values()),
        sr=SR,
        at_s=seconds,
        source_stems=source_stems,
        continuation_stems=continuation_stems,
    )


def test_source_stems_are_read_once_for_the_mix_and_once_more_each_when_their_joined_stem_is_read():
    reads = []

    def loader(name, seed):
        def load():
            reads.append(name)
            return _stem(20.0, seed)

        return load

    source = extend.LazyStems({name: loader(name, seed) for seed, name in enumerate(NAMES)})
    continuation = {name: _stem(4.0, 100 + seed) for seed, name in enumerate(NAMES[:3])}
    joined = _join(source, continuation, 20.0)
    assert reads == list(NAMES)  # summed into the source's part of the mix, one at a time
    assert list(joined.stems) == list(NAMES)
    total = np.zeros_like(joined.mix)
    for stem in joined.stems.values():
        total += stem
    assert reads == list(NAMES) * 2
    assert np.abs(total - joined.mix).max() < 1e-5  # the stems still sum to the mastered mix


def test_joining_more_stems_does_not_need_more_memory():
    def peak_bytes(n_stems: int) -> int:
        names = NAMES[:n_stems]
        source = extend.LazyStems({name: (lambda seed=seed: _stem(60.0, seed)) for seed, name in enumerate(names)})
        continuation = {name: _stem(2.0, 50 + seed) for seed, name in enumerate(names)}
        tracemalloc.start()  # numpy reports its buffers to tracemalloc
        try:
            joined = _join(source, continuation, 60.0)
            for _name, stem in joined.stems.items():
                del stem  # as _keep_variant encodes each and lets it go
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one_stem = int(62.0 * SR) * 2 * 4  # a full-length stereo float32 stem
    assert peak_bytes(6) - peak_bytes(2) < one_stem
