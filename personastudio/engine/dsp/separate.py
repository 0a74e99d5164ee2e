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
        vocals[start : start + len(piece)] = _vocals_of(piece, sr)
    return vocals, (samples - vocals).astype(np.float32)


def _vocals_of(piece: np.ndarray, sr: int) -> np.ndarray:
    n_fft = 2048 if sr <= 24000 else 4096
    hop = n_fft // 4
    spectrum = librosa.stft(piece, n_fft=n_fft, hop_length=hop)
    magnitude, phase = np.abs(spectrum), np.exp(1j * np.angle(spectrum))
    width = int(librosa.time_to_frames(MIN_REPEAT_S, sr=sr, hop_length=hop))
    if magnitude.shape[1] <= 2 * width + 1:
        width = max(1, magnitude.shape[1] // 4)
    repeating = librosa.decompose.nn_filter(magnitude, aggregate=np.median, metric="cosine", width=width)
    repeating = np.minimum(magnitude, repeating)
    mask_vocals = librosa.util.softmask(magnitude - repeating, MARGIN_VOCALS * repeating, power=POWER)
    return librosa.istft(mask_vocals * magnitude * phase, hop_length=hop, n_fft=n_fft, length=len(piece)).astype(
        np.float32
    )
