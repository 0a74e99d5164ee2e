"""A signal kept in a temporary file reads and writes like an array sliced along its first axis."""

import numpy as np
import pytest

from personastudio.engine.dsp.rowfile import RowFile


def test_rows_written_are_read_back_and_the_rest_keeps_its_fill():
    with RowFile((1000, 2), fill=1.0) as f:
        assert f.shape == (1000, 2) and len(f) == 1000 and f.ndim == 2
        x = np.arange(200, dtype=np.float32).reshape(100, 2)
        f[300:400] = x
        np.testing.assert_array_equal(f[300:400], x)
        np.testing.assert_array_equal(f[0:300], np.ones((300, 2), np.float32))
        np.testing.assert_array_equal(f[990:2000], np.ones((10, 2), np.float32))  # clipped like numpy
        assert f[5:5].shape == (0, 2)


def test_a_slice_read_can_be_changed_and_written_back_in_place():
    with RowFile((50,)) as f:
        np.testing.assert_array_equal(f[:], np.zeros(50, np.float32))
        f[10:20] = 2.0
        f[15:25] *= np.float32(3.0)
        expected = np.zeros(50, np.float32)
        expected[10:20] = 2.0
        expected[15:25] *= 3.0
        np.testing.assert_array_equal(f[0:50], expected)


def test_only_contiguous_slices_are_taken():
    with RowFile((10,)) as f, pytest.raises(TypeError):
        f[::2]
