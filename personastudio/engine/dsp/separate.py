"""Vocal / instrumental separation by REPET-SIM (Rafii & Pardo, 2012) with soft masks.

No trained model: the backing is taken to be what repeats (each spectrogram frame
is compared with its most similar frames elsewhere; their median is the
repeating part), the rest is the voice. It follows librosa's published
vocal-separation example. Results on real songs are rough (about 2-3 dB SDR on
MUSDB18 in the literature), which the app says where it offers the feature.
"""

from __future__ import annotations

import librosa
import numpy as np
import scipy.sparse
import sklearn.neighbors

from .errors import ParameterError

CHUNK_S = 30.0  # bounds the similarity search's memory and time on long clips
MIN_REPEAT_S = 2.0
MARGIN_BACKING, MARGIN_VOCALS, POWER = 2.0, 10.0, 2.0


def separate_vocals(samples: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a mix into vocals and instrumental by REPET-SIM with soft masks, 30 s at a time.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,)]
        Mono mix at ``sr`` Hz (any other shape is flattened).
    sr : int
        Sample rate in Hz (> 0).

    Returns
    -------
    vocals : np.ndarray [shape=(n,)]
        float32 at ``sr`` Hz: what does not repeat; silence in a final chunk under a second.
    instrumental : np.ndarray [shape=(n,)]
        float32, ``samples - vocals``.

    Raises
    ------
    ParameterError
        When ``sr`` is not positive.
    """
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if sr <= 0:
        raise ParameterError("sr must be positive")
    vocals = np.zeros_like(samples)
    chunk = int(CHUNK_S * sr)
    for start in range(0, len(samples), chunk):
        piece = samples[start : start + chunk]
        if len(piece) < sr:  # a tail under a second: too short to find repetition, leave it to the band
            continue
        vocals[start : start + len(piece)] = _vocals_of(piece, sr=sr)
    return vocals, (samples - vocals).astype(np.float32)


def _vocals_of(piece: np.ndarray, *, sr: int) -> np.ndarray:
    n_fft = 2048 if sr <= 24000 else 4096
    hop = n_fft // 4
    spectrum = librosa.stft(piece, n_fft=n_fft, hop_length=hop)
    magnitude, phase = np.abs(spectrum), np.exp(1j * np.angle(spectrum))
    width_frames = int(librosa.time_to_frames(MIN_REPEAT_S, sr=sr, hop_length=hop))
    if magnitude.shape[1] <= 2 * width_frames + 2:  # the neighbour search wants width < (n_frames - 1) // 2
        width_frames = max(1, magnitude.shape[1] // 4)
    repeating = _repeating_of(magnitude, width_frames=width_frames)
    repeating = np.minimum(magnitude, repeating)
    mask_vocals = librosa.util.softmask(magnitude - repeating, MARGIN_VOCALS * repeating, power=POWER)
    return librosa.istft(mask_vocals * magnitude * phase, hop_length=hop, n_fft=n_fft, length=len(piece)).astype(
        np.float32
    )


def _repeating_of(magnitude: np.ndarray, *, width_frames: int) -> np.ndarray:
    """The REPET-SIM filter: each frame's median over its similar frames, as librosa's plain call gives it.

    ``librosa.decompose.nn_filter(magnitude, aggregate=np.median, metric="cosine", width=width_frames)``
    bit for bit, faster: the recurrence matrix is built from index arrays (librosa fills a LIL matrix
    entry by entry) and the median sorts each frequency's neighbour values in a contiguous row (numpy's
    SIMD sort; np.median's partition along a strided axis took half of a separation).
    """
    recurrence = _recurrence_csc(magnitude, width_frames=width_frames)
    frames_by_bin = np.ascontiguousarray(magnitude.T)  # a frame's neighbours are then whole rows
    return librosa.decompose.nn_filter(frames_by_bin, rec=recurrence, aggregate=_median_of_rows, axis=0).T


def _recurrence_csc(magnitude: np.ndarray, *, width_frames: int) -> scipy.sparse.csc_array:
    """librosa.segment.recurrence_matrix(magnitude, metric="cosine", width=width_frames, sparse=True), vectorised.

    Same neighbour search (sklearn's, on the same array), same links: each frame's neighbours outside
    the +-width band, and of those the ones librosa's top-k step keeps. In connectivity mode every link
    weighs 1, so that step keeps the links at the first k places of ``np.argsort`` of ones over the
    frame's links in column order, which this reproduces with the same argsort.
    """
    data = magnitude.T  # (frames, bins): one row per frame, as librosa hands them to the search
    n_frames = data.shape[0]
    if width_frames < 1 or width_frames >= (n_frames - 1) // 2:
        raise librosa.ParameterError(
            f"width={width_frames} must be at least 1 and at most (data.shape[-1] - 1) // 2={(n_frames - 1) // 2}"
        )
    k = int(2 * np.ceil(np.sqrt(n_frames - 2 * width_frames + 1)))
    search = sklearn.neighbors.NearestNeighbors(
        n_neighbors=min(n_frames - 1, k + 2 * width_frames), metric="cosine", algorithm="auto"
    )
    search.fit(data)
    neighbours = search.kneighbors(return_distance=False)  # the query is the fitted data: no frame is its own
    frames = np.arange(n_frames)[:, None]
    outside_band = np.abs(neighbours - frames) >= width_frames
    links = np.sort(np.where(outside_band, neighbours, n_frames), axis=1)  # column order, n_frames = none
    n_links = outside_band.sum(axis=1)
    kept = np.full((n_frames, k), n_frames, dtype=links.dtype)
    for n in np.unique(n_links):
        rows = np.flatnonzero(n_links == n)
        places = np.argsort(np.ones((1, n)))[0][:k]  # librosa's order of equal weights
        kept[rows, : len(places)] = links[rows][:, places]
    kept.sort(axis=1)
    counts = (kept < n_frames).sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = kept[kept < n_frames].astype(np.int32)
    linked = np.ones(len(indices), dtype=bool)
    return scipy.sparse.csc_array((linked, indices, indptr), shape=(n_frames, n_frames))


def _median_of_rows(neighbours: np.ndarray, axis: int = 0) -> np.ndarray:
    """np.median(neighbours, axis=0) for a 2-D array, by sorting each column as a contiguous row.

    np.median takes the middle value, or for an even count the mean of the two middle values
    (their sum halved in the array's dtype); a column with a NaN gives NaN, as np.median does.
    """
    if neighbours.ndim != 2 or axis != 0:
        raise ValueError("the median of a 2-D array's columns only (librosa's nn_filter passes axis=0)")
    by_column = np.ascontiguousarray(neighbours.T)
    by_column.sort(axis=-1)
    n = by_column.shape[-1]
    if n % 2:
        middle = by_column[:, n // 2].copy()
    else:
        middle = (by_column[:, n // 2 - 1] + by_column[:, n // 2]) / by_column.dtype.type(2)
    middle[np.isnan(by_column[:, -1])] = np.nan
    return middle
