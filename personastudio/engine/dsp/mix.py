"""Mixing and mastering helpers.

* ``integrated_lufs`` – ITU-R BS.1770 integrated loudness (pyloudnorm);
  silence reports -70 LUFS (the absolute gate) instead of -inf.
* ``true_peak_dbtp`` – 4x oversampled sample peak (``resample_poly``).
* ``mix_song`` – vocal over the band's stems: the vocal is levelled ~2 LU above the band,
  the band is ducked by up to ~4 dB under the vocal envelope (sidechain-style),
  the vocal gets a little width (short Haas-style slap + synthetic stereo
  reverb tail).
* ``master`` / ``master_curve`` – normalise to the target loudness, then a
  smooth gain-reduction limiter (min-filter + moving average, so the gain never
  exceeds what each sample allows) keeps the true peak under the ceiling;
  repeat until loudness is within ±0.5 LU and the true peak is under the
  ceiling.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy import ndimage, signal

SILENCE_LUFS = -70.0


def _as2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def integrated_lufs(samples: np.ndarray, *, sr: int) -> float:
    """Integrated loudness in LUFS (mono (n,) or multichannel (n, c))."""
    x = np.asarray(samples, dtype=np.float64)
    if x.shape[0] < int(0.4 * sr) + 1:
        x = np.concatenate([x, np.zeros((int(0.4 * sr) + 1 - x.shape[0],) + x.shape[1:])])
    if not np.any(x):
        return SILENCE_LUFS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = pyloudnorm.Meter(sr).integrated_loudness(x)
    if not np.isfinite(v):
        return SILENCE_LUFS
    return float(max(v, SILENCE_LUFS))


def _oversampled_peak_env(x2: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per original sample: max |x| over the 4 oversampled points and all channels.

    Only blocks whose sample peak exceeds ``floor`` (minus 4 dB of inter-sample
    headroom) are oversampled; elsewhere the sample peak is used.
    """
    n = x2.shape[0]
    env = np.abs(x2).max(axis=1)
    blk, pad = 4096, 64
    nb = (n + blk - 1) // blk
    bmax = np.pad(env, (0, nb * blk - n)).reshape(nb, blk).max(axis=1)
    for b in np.nonzero(bmax > floor * 10 ** (-4 / 20))[0]:
        s0, s1 = b * blk, min(n, (b + 1) * blk)
        a0, a1 = max(0, s0 - pad), min(n, s1 + pad)
        up = np.abs(signal.resample_poly(x2[a0:a1], 4, 1, axis=0))
        up = up[(s0 - a0) * 4:(s1 - a0) * 4].reshape(s1 - s0, 4, -1).max(axis=(1, 2))
        env[s0:s1] = np.maximum(env[s0:s1], up)
    return env


def true_peak_dbtp(samples: np.ndarray, *, sr: int) -> float:
    """True peak in dBTP (4x oversampling)."""
    x2 = _as2d(samples)
    if x2.size == 0 or not np.any(x2):
        return -120.0
    up = signal.resample_poly(x2, 4, 1, axis=0)
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(x2))))
    return float(20 * np.log10(max(peak, 1e-6)))


def _envelope(x: np.ndarray, sr: int, win_s: float) -> np.ndarray:
    k = max(1, int(win_s * sr))
    return np.sqrt(np.maximum(ndimage.uniform_filter1d(x * x, k, mode="nearest"), 0.0))


# A short, light room on the vocal: a longer, wetter tail (1.2 s, 0.18) smeared held vowels
# into a shimmer that read as extra syllables (+27 % nuclei on a Mandarin ballad; +7 % now).
VOCAL_REVERB_S = 0.8
VOCAL_REVERB_WET = 0.12


def _reverb_ir(sr: int, seconds: float = 1.2, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    # mostly-correlated stereo tail: a little width, while the dual-mono vocal stem stays close
    common = rng.standard_normal(n)
    ir = (common[:, None] + 0.3 * rng.standard_normal((n, 2))) * np.exp(-t / (seconds / 6.9))[:, None]
    b, a = signal.butter(1, [300, 6000], btype="band", fs=sr)
    ir = signal.lfilter(b, a, ir, axis=0)
    ir[: int(0.02 * sr)] = 0  # pre-delay
    return ir / np.sqrt(np.sum(ir ** 2, axis=0, keepdims=True))


LEAD_VOCAL, BACKING_VOCALS = "lead vocal", "backing vocals"


@dataclass
class MixedSong:
    """The mix and every stem it is the exact sum of, all (n, 2) before mastering."""

    mix: np.ndarray
    stems: dict[str, np.ndarray]  # lead vocal, backing vocals, then the band's stems; only those that sound
    band_names: tuple[str, ...]

    @property
    def vocal(self) -> np.ndarray:
        return self._sum(name for name in self.stems if name not in self.band_names)

    @property
    def band(self) -> np.ndarray:
        return self._sum(self.band_names)

    def _sum(self, names) -> np.ndarray:
        out = np.zeros_like(self.mix)
        for name in names:
            out += self.stems[name]
        return out


def mix_song(vocal_mono: np.ndarray, band_stems: dict[str, np.ndarray], *, sr: int,
             backing_stereo: np.ndarray | None = None) -> MixedSong:
    """Vocal over band, with mix == the sum of the stems.

    `band_stems` are the band's stems (drums, bass, ...), stereo. `backing_stereo` (backing vocals,
    already panned) is levelled with the lead.
    """
    vocal = np.asarray(vocal_mono, dtype=np.float64).reshape(-1)
    n = max([len(vocal)] + [stem.shape[0] for stem in band_stems.values()])
    parts = {name: fit_length(np.asarray(stem, dtype=np.float64), n) for name, stem in band_stems.items()}
    band = sum(parts.values()) if parts else np.zeros((n, 2))
    vocal = fit_length(vocal, n)
    backing = (np.zeros((n, 2)) if backing_stereo is None
               else fit_length(np.asarray(backing_stereo, dtype=np.float64), n))
    names = tuple(parts)
    if not np.any(vocal) and not np.any(backing):
        return MixedSong(mix=band.copy(), stems=parts, band_names=names)
    # level the vocal ~2 LU above the band (from the backing alone when only backing lines are sung)
    lv = integrated_lufs(vocal if np.any(vocal) else backing.mean(axis=1), sr=sr)
    lb = integrated_lufs(band, sr=sr)
    vocal_gain = 10 ** ((lb + 2.0 - lv) / 20) if lb > SILENCE_LUFS else 1.0
    vocal = vocal * vocal_gain
    # sidechain-style ducking of the band
    env = _envelope(vocal, sr, 0.05)
    ref = np.percentile(env[env > 1e-6], 90) if np.any(env > 1e-6) else 1.0
    duck_db = -4.0 * np.clip(env / (ref + 1e-12), 0, 1)
    duck = 10 ** (ndimage.uniform_filter1d(duck_db, int(0.08 * sr)) / 20)
    parts = {name: part * duck[:, None] for name, part in parts.items()}
    # vocal width: centre + small slap + reverb tail
    d = int(0.011 * sr)
    slap = np.zeros((n, 2))
    slap[d:, 0] = vocal[:-d] * 0.08
    slap[d:, 1] = vocal[:-d] * 0.06
    wet = signal.oaconvolve(vocal[:, None], _reverb_ir(sr, seconds=VOCAL_REVERB_S), axes=0)[:n] * VOCAL_REVERB_WET
    stems = {}
    if np.any(vocal):
        stems[LEAD_VOCAL] = np.stack([vocal, vocal], axis=1) * 0.68 + slap + wet
    if np.any(backing):
        stems[BACKING_VOCALS] = backing * vocal_gain * 0.68
    stems.update(parts)
    return MixedSong(mix=sum(stems.values()), stems=stems, band_names=names)


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """`x` cut or zero-padded to n samples along its first axis."""
    if x.shape[0] >= n:
        return x[:n]
    return np.concatenate([x, np.zeros((n - x.shape[0],) + x.shape[1:])])


def _limiter_gain(x2: np.ndarray, sr: int, ceiling_lin: float) -> np.ndarray:
    env = _oversampled_peak_env(x2, ceiling_lin)
    need = np.minimum(1.0, ceiling_lin / np.maximum(env, 1e-12))
    if need.min() >= 1.0:
        return need
    w = max(3, int(0.006 * sr))
    g = ndimage.minimum_filter1d(need, size=2 * w + 1, mode="nearest")
    g = ndimage.uniform_filter1d(g, size=2 * w + 1, mode="nearest")
    g = np.minimum(g, need)  # numerical safety
    # slower release: a second, longer smoothing that never exceeds the fast curve
    w2 = int(0.05 * sr)
    g2 = ndimage.minimum_filter1d(g, size=2 * w2 + 1, mode="nearest")
    g2 = ndimage.uniform_filter1d(g2, size=2 * w2 + 1, mode="nearest")
    return np.minimum(g, np.maximum(g2, g * 0.0 + g2))


def master_curve(stereo: np.ndarray, *, sr: int, target_lufs: float = -14.0,
                 ceiling_dbtp: float = -1.0) -> tuple[np.ndarray, np.ndarray]:
    """Master ``stereo``; return (mastered, per-sample gain) with mastered = stereo * gain[:, None]."""
    x2 = _as2d(stereo)
    n = x2.shape[0]
    if not np.any(x2):
        return x2.astype(np.float32), np.ones(n)
    ceiling = 10 ** ((ceiling_dbtp - 0.25) / 20)
    gain = 10 ** ((target_lufs - integrated_lufs(x2, sr=sr)) / 20)
    curve = np.full(n, gain)
    for _ in range(6):
        y = x2 * curve[:, None]
        lim = _limiter_gain(y, sr, ceiling)
        curve = curve * lim
        y = x2 * curve[:, None]
        l = integrated_lufs(y, sr=sr)
        tp = true_peak_dbtp(y, sr=sr)
        if abs(l - target_lufs) <= 0.4 and tp <= ceiling_dbtp:
            break
        curve = curve * 10 ** ((target_lufs - l) / 20)
    y = x2 * curve[:, None]
    tp = true_peak_dbtp(y, sr=sr)
    if tp > ceiling_dbtp:  # last resort: trim a little
        trim = 10 ** ((ceiling_dbtp - 0.05 - tp) / 20)
        curve *= trim
        y = x2 * curve[:, None]
    out = y if np.asarray(stereo).ndim == 2 else y[:, 0]
    return out.astype(np.float32), curve


def master(stereo: np.ndarray, *, sr: int, target_lufs: float = -14.0,
           ceiling_dbtp: float = -1.0) -> tuple[np.ndarray, float]:
    """Loudness-normalise and limit; return (mastered, overall linear gain).

    The returned gain is the median of the applied per-sample gain curve (the
    loudness-normalisation gain); use :func:`master_curve` when the exact curve
    is needed to scale stems.
    """
    out, curve = master_curve(stereo, sr=sr, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)
    return out, float(np.median(curve))
