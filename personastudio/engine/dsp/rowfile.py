"""A long float32 signal kept in a temporary file and read or written a stretch of rows at a time.

A 20-minute stereo song at 44.1 kHz is 423 MB of float32. Where a signal has to be walked several
times (mastering measures and limits a joined song in a few passes) but never needs to be whole in
memory, a :class:`RowFile` holds it on disk: ``f[a:b]`` reads rows ``a..b-1`` into a new array and
``f[a:b] = x`` writes them, like a numpy array sliced along its first axis. Only what is read is in
the process's memory; the file lives in the temporary folder and is removed when closed.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

_FILL_ROWS = 1 << 18


class RowFile:
    """A ``shape`` float32 array (``(n,)`` or ``(n, channels)``) in an unnamed temporary file.

    Only contiguous slices along the first axis are supported (``f[a:b]``, ``f[a:b] = x``); every
    element starts at ``fill``.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, shape: tuple[int, ...], *, fill: float = 0.0, directory: str | None = None) -> None:
        self.shape = tuple(int(s) for s in shape)
        self._row = int(np.prod(self.shape[1:], dtype=np.int64)) if len(self.shape) > 1 else 1
        self._file = tempfile.TemporaryFile(dir=directory)
        self._fd = self._file.fileno()
        os.ftruncate(self._fd, self.shape[0] * self._row * self.dtype.itemsize)  # reads as zeros
        if fill != 0.0:
            for a in range(0, self.shape[0], _FILL_ROWS):
                b = min(self.shape[0], a + _FILL_ROWS)
                self[a:b] = np.full((b - a, *self.shape[1:]), fill, dtype=np.float32)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def _rows(self, key) -> tuple[int, int]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a RowFile takes contiguous slices of rows only")
        a, b, _ = key.indices(self.shape[0])
        return a, max(a, b)

    def __getitem__(self, key) -> np.ndarray:
        a, b = self._rows(key)
        out = np.empty((b - a, *self.shape[1:]), dtype=np.float32)
        view = memoryview(out.reshape(-1)).cast("B")
        offset, done = a * self._row * 4, 0
        while done < len(view):
            got = os.preadv(self._fd, [view[done:]], offset + done)
            if got <= 0:
                raise OSError("short read from a RowFile")
            done += got
        return out

    def __setitem__(self, key, value) -> None:
        a, b = self._rows(key)
        data = np.ascontiguousarray(np.broadcast_to(value, (b - a, *self.shape[1:])), dtype=np.float32)
        view = memoryview(data.reshape(-1)).cast("B")
        offset, done = a * self._row * 4, 0
        while done < len(view):
            done += os.pwrite(self._fd, view[done:], offset + done)

    def close(self) -> None:
        """Remove the file (reading or writing afterwards fails)."""
        self._file.close()

    def __enter__(self) -> RowFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
