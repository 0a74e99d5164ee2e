"""Answer a deterministic call from what it answered before for the same arguments, compared by content.

The tests' caches of slow, deterministic steps (separating and measuring clips, encoding songs, Kokoro
speaking a sentence, the persona fit's steps) all key their calls this way."""

from __future__ import annotations

import copy as copying
import hashlib
from collections.abc import Callable

import numpy as np


def content_key(value):
    """A hashable key for an argument: arrays by their bytes, lists and tuples item by item."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        digest = hashlib.blake2b(array.view(np.uint8).reshape(-1), digest_size=16).digest()
        return ("array", array.dtype.str, array.shape, digest)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(content_key(item) for item in value))
    return value


def once_per_content(
    compute: Callable, *, cache: dict, copy: Callable = copying.deepcopy, limit: int | None = None
) -> Callable:
    """`compute`, answering a call it has answered before (in `cache`) with `copy` of that answer.

    `cache` may be shared by several functions (the key holds the function's name); past `limit`
    answers it is emptied, to keep the test process small."""

    def once(*args, **kwargs):
        key = (
            compute.__name__,
            tuple(content_key(arg) for arg in args),
            tuple((name, content_key(value)) for name, value in sorted(kwargs.items())),
        )
        found = cache.get(key)  # live_server's and the worker's threads may ask at once
        if found is None:
            found = compute(*args, **kwargs)
            if limit is not None and len(cache) >= limit:
                cache.clear()
            cache[key] = found
        return copy(found)

    return once
