"""Band and lead-voice synthesis for a :class:`~.composer.Score`.

Everything is synthesised with numpy (no per-sample Python loops) and filtered
once per track through ``scipy.signal``; instrument tones are deterministic and
cached per (pitch, length), so a 60 s band renders in about a second.

Why not a SoundFont: ``tinysoundfont`` 0.3.x (the small TinySoundFont binding)
ships no wheel for this Python and declares a hard dependency on ``pyaudio``,
which only builds against the PortAudio headers; the project could not list
it as a plain dependency.  So the instruments are modelled:

Drums (``render_band`` → ``_drum_templates``)
    kick = falling sine sweep + click (hip-hop: long 808 sine with drive),
    snare = band-passed noise + two body modes, clap = three noise bursts and a
    tail, rim = two short resonant modes, hat/openhat/ride/crash = six
    inharmonic square oscillators (the 808 cymbal recipe) high-passed plus
    noise, shaker = band-passed noise with a soft attack, toms = pitched sweeps.
Bass
    sine + band-limited saw with a pluck envelope, low-passed (808 sub for
    hip-hop).
Chords per genre
    pop/hip-hop/jazz: FM electric piano (1:1 carrier/modulator with a decaying
    index plus a 14:1 "tine"); rock: Karplus-Strong power chords through a
    tanh overdrive; ballad: additive piano (inharmonic partials, two detuned
    strings) arpeggios over a string pad; folk: Karplus-Strong steel-string
    strums (6 strings, 8 ms apart, down/up); electronic: detuned-saw pad with
    sidechain pumping + plucks; chinese: guzheng-like Karplus-Strong plucks
    with a small pitch bend-in over a soft pad.
Lead / counter line (``score.counter``; with ``play_melody`` also the melody)
    pop: square-ish synth pluck; rock: overdriven saw lead with vibrato;
    ballad: strings; folk: plucked (Karplus-Strong) mandolin; electronic:
    supersaw; hip-hop: bell; jazz: vibraphone (tremolo); chinese: dizi-like
    flute (sine + 2nd/3rd harmonics + breath noise, vibrato).

"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import signal

from .arrangement import chords_stem_name
from .composer import Note, Score


def _hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _add(buf: np.ndarray, start: int, x: np.ndarray) -> None:
    if start >= len(buf) or len(x) == 0:
        return
    if start < 0:
        x = x[-start:]
        start = 0
    end = min(len(buf), start + len(x))
    buf[start:end] += x[: end - start]


def _adsr(n: int, *, sr: int, a: float, d: float, s: float, r: float, hold: int) -> np.ndarray:
    """Envelope of length n: attack a s, decay d s to level s, release r s starting at sample hold."""
    t = np.arange(n) / sr
    env = np.where(t < a, t / max(a, 1e-4), s + (1 - s) * np.exp(-(t - a) / max(d, 1e-4)))
    th = hold / sr
    rel = np.clip(1.0 - (t - th) / max(r, 1e-4), 0.0, 1.0)
    return env * np.where(t > th, rel, 1.0)


def _polyblep_saw(phase: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Band-limited sawtooth from a cumulative phase (cycles) and per-sample increment."""
    t = phase - np.floor(phase)
    y = 2.0 * t - 1.0
    dt = np.maximum(dt, 1e-9)
    m1 = t < dt
    x = t[m1] / dt[m1]
    y[m1] -= x + x - x * x - 1.0
    m2 = t > 1.0 - dt
    x = (t[m2] - 1.0) / dt[m2]
    y[m2] -= x * x + x + x + 1.0
    return y


def _det_rng(*parts) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF)


_TONE_CACHE: dict = {}


def _cached(fn):
    def wrapper(*args, **kw):
        key = (fn.__name__, tuple(round(a, 3) if isinstance(a, float) else a for a in args), tuple(sorted(kw.items())))
        v = _TONE_CACHE.get(key)
        if v is None:
            if len(_TONE_CACHE) > 600:
                _TONE_CACHE.clear()
            v = fn(*args, **kw)
            v.setflags(write=False)
            _TONE_CACHE[key] = v
        return v

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _pan(mono: np.ndarray, p: float) -> np.ndarray:
    return np.stack([mono * np.sqrt(0.5 * (1 - p)), mono * np.sqrt(0.5 * (1 + p))], axis=1)


# --------------------------------------------------------------------------- drums


def _metal(t: np.ndarray, *, sr: int, scale: float = 1.0) -> np.ndarray:
    """Six inharmonic square oscillators (TR-808 cymbal recipe)."""
    x = np.zeros(len(t))
    for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0):
        x += np.sign(np.sin(2 * np.pi * f * scale * t))
    return x / 6


def _drum_templates(*, sr: int, rng, genre: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    # kick
    if genre == "hip-hop":
        n = int(0.9 * sr)
        t = np.arange(n) / sr
        f = 48 + 110 * np.exp(-t / 0.03)
        kick = np.tanh(1.8 * np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.45))
    else:
        n = int(0.45 * sr)
        t = np.arange(n) / sr
        f_top = 170 if genre == "electronic" else 140
        f = 45 + (f_top - 45) * np.exp(-t / 0.035)
        decay = 0.3 if genre == "electronic" else 0.18
        kick = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / decay)
    kick = kick * np.minimum(1, t / 0.002) + rng.standard_normal(n) * np.exp(-t / 0.003) * 0.3
    out["kick"] = kick
    # snare: noise + two body modes
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    b, a = signal.butter(2, [1500, 9000], btype="band", fs=sr)
    noise = signal.lfilter(b, a, rng.standard_normal(n))
    tone = np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)
    snare_decay = 0.22 if genre == "ballad" else 0.13
    snare = 0.8 * noise * np.exp(-t / snare_decay) + 0.5 * tone * np.exp(-t / 0.05)
    if genre in ("jazz", "ballad", "chinese"):
        snare *= 0.6  # brushes-ish
    out["snare"] = snare
    # clap: three short bursts then a tail
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    b, a = signal.butter(2, [900, 3500], btype="band", fs=sr)
    nz = signal.lfilter(b, a, rng.standard_normal(n))
    env = np.exp(-t / 0.12) * 0.6
    for k in range(3):
        tk = t - 0.011 * k
        env += np.where(tk >= 0, np.exp(-np.maximum(tk, 0) / 0.006), 0.0)
    out["clap"] = nz * env
    # rim
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    out["rim"] = (np.sin(2 * np.pi * 1750 * t) + 0.6 * np.sin(2 * np.pi * 820 * t)) * np.exp(
        -t / 0.012
    ) + 0.3 * rng.standard_normal(n) * np.exp(-t / 0.004)
    # cymbals
    hp = signal.butter(4, 6500, btype="high", fs=sr)
    hp2 = signal.butter(2, 3000, btype="high", fs=sr)
    for name, dur, dec, hp_f, mix in (
        ("hat", 0.12, 0.03 if genre != "jazz" else 0.06, hp, 0.6),
        ("openhat", 0.45, 0.22, hp, 0.6),
        ("ride", 1.0, 0.45, hp2, 0.4),
        ("crash", 1.6, 0.7, hp2, 0.5),
    ):
        n = int(dur * sr)
        t = np.arange(n) / sr
        x = mix * _metal(t, sr=sr, scale=1.0 if name != "ride" else 1.6) + (1 - mix) * rng.standard_normal(n)
        x = signal.lfilter(*hp_f, x) * np.exp(-t / dec) * np.minimum(1.0, t / 0.001)
        if name == "ride":
            x += 0.25 * np.sin(2 * np.pi * 3150 * t) * np.exp(-t / 0.3)  # bell
        out[name] = x
    # shaker
    n = int(0.12 * sr)
    t = np.arange(n) / sr
    b, a = signal.butter(2, [4000, 9000], btype="band", fs=sr)
    out["shaker"] = signal.lfilter(b, a, rng.standard_normal(n)) * np.minimum(1.0, t / 0.012) * np.exp(-t / 0.04)
    # toms
    for name, f0, f1 in (("tom_hi", 240.0, 190.0), ("tom_lo", 150.0, 115.0)):
        n = int(0.4 * sr)
        t = np.arange(n) / sr
        f = f1 + (f0 - f1) * np.exp(-t / 0.06)
        out[name] = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.22) + 0.2 * rng.standard_normal(n) * np.exp(
            -t / 0.01
        )
    return {k: (v / (np.max(np.abs(v)) + 1e-9)).astype(np.float64) for k, v in out.items()}


_DRUM_GAIN = {
    "kick": 0.9,
    "snare": 0.55,
    "clap": 0.45,
    "rim": 0.3,
    "hat": 0.2,
    "openhat": 0.16,
    "ride": 0.16,
    "crash": 0.22,
    "shaker": 0.16,
    "tom_hi": 0.45,
    "tom_lo": 0.5,
}
_DRUM_PAN = {
    "kick": 0.0,
    "snare": 0.05,
    "clap": -0.05,
    "rim": 0.1,
    "hat": 0.35,
    "openhat": 0.35,
    "ride": -0.35,
    "crash": -0.25,
    "shaker": -0.4,
    "tom_hi": 0.25,
    "tom_lo": -0.25,
}


def _render_drums(score: Score, *, sr: int, n: int, rng) -> np.ndarray:
    genre = score.style.genre
    tpl = _drum_templates(sr=sr, rng=rng, genre=genre)
    tracks: dict[str, np.ndarray] = {}
    for time_s, part, vel in score.drum_hits:
        if part not in tpl:
            continue
        tr = tracks.get(part)
        if tr is None:
            tr = tracks[part] = np.zeros(n)
        jitter = int(rng.normal(0, 0.002) * sr)
        _add(tr, int(time_s * sr) + jitter, tpl[part] * vel * _DRUM_GAIN[part] * (0.9 + 0.2 * rng.random()))
    out = np.zeros((n, 2))
    for k, tr in tracks.items():
        out += _pan(tr, _DRUM_PAN[k])
    return out


# --------------------------------------------------------------------------- bass


def _render_bass(score: Score, *, sr: int, n: int) -> np.ndarray:
    genre = score.style.genre
    buf = np.zeros(n)
    saw_amt = {"rock": 0.6, "electronic": 0.7, "pop": 0.35, "hip-hop": 0.0, "jazz": 0.15}.get(genre, 0.25)
    for note in score.bass:
        f = float(_hz(note.midi))
        hold = int(note.dur_s * sr)
        ln = hold + int(0.08 * sr)
        t = np.arange(ln) / sr
        ph = f * t
        x = (1 - saw_amt) * np.sin(2 * np.pi * ph) + saw_amt * _polyblep_saw(ph, np.full(ln, f / sr))
        if genre == "hip-hop":
            x = np.tanh(1.5 * x)  # 808-ish sub
        env = _adsr(
            ln, sr=sr, a=0.005, d=0.25 if genre not in ("ballad", "hip-hop") else 0.8, s=0.55, r=0.06, hold=hold
        )
        _add(buf, int(note.start_s * sr), x * env * note.velocity)
    cutoff = {"rock": 1400, "electronic": 1200, "jazz": 700}.get(genre, 900)
    b, a = signal.butter(2, cutoff, fs=sr)
    buf = signal.lfilter(b, a, buf) * 0.5
    return np.stack([buf, buf], axis=1)


# --------------------------------------------------------------------------- instrument tones


@_cached
def _ks_tone(f: float, ln: int, *, sr: int, decay: float = 1.0, bright: float = 0.6, bend: float = 0.0) -> np.ndarray:
    """Karplus-Strong plucked string, computed one period per numpy step.

    ``decay`` is the time constant of the fundamental in seconds, ``bright`` the
    excitation's brightness, ``bend`` a pitch bend-in in semitones (guzheng).
    """
    period = sr / f
    N = max(2, int(period - 0.5))
    f_ks = sr / (N + 0.5)  # the averaging filter adds half a sample of delay
    need = int(ln * f / f_ks) + N + 2
    rng = _det_rng("ks", round(f, 2))
    exc = rng.uniform(-1, 1, N)
    # brightness: blend the noise with a smoothed copy
    k = max(1, int(round((1 - bright) * 6)) + 1)
    exc = bright * exc + (1 - bright) * np.convolve(exc, np.ones(k) / k, mode="same")
    exc -= exc.mean()
    g = float(np.exp(-(N + 0.5) / (decay * sr)))
    y = np.zeros(need + N)
    y[:N] = exc
    start = N
    while start < need:
        end = min(start + N, need)
        m = end - start
        y[start:end] = (
            g
            * 0.5
            * (
                y[start - N : start - N + m] + y[start - N - 1 : start - N - 1 + m]
                if start - N - 1 >= 0
                else y[start - N : start - N + m] + np.concatenate(([0.0], y[start - N : start - N + m - 1]))
            )
        )
        start = end
    # retune to f by resampling, with an optional bend-in
    pos = np.arange(ln) * (f / f_ks)
    if bend:
        t = np.arange(ln) / sr
        ratio = 2 ** (-bend * np.exp(-t / 0.06) / 12)
        pos = np.cumsum(ratio) * (f / f_ks)
    x = np.interp(pos, np.arange(len(y)), y)
    fade = min(ln, int(0.01 * sr))
    x[-fade:] *= np.linspace(1, 0, fade)
    return x


@_cached
def _ep_tone(f: float, ln: int, hold: int, *, sr: int, bright: float = 1.0) -> np.ndarray:
    """FM electric piano: 1:1 carrier/modulator with decaying index + a 14:1 tine."""
    t = np.arange(ln) / sr
    index = bright * (1.2 * np.exp(-t / 0.35) + 0.25)
    x = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * t))
    x += 0.12 * bright * np.sin(2 * np.pi * 14 * f * t) * np.exp(-t / 0.02) * (14 * f < sr / 2.2)
    return x * _adsr(ln, sr=sr, a=0.003, d=1.1, s=0.3, r=0.15, hold=hold)


@_cached
def _piano_tone(f: float, ln: int, hold: int, *, sr: int) -> np.ndarray:
    """Additive piano: inharmonic partials (B = 4e-4), two slightly detuned strings, hammer thump."""
    t = np.arange(ln) / sr
    x = np.zeros(ln)
    B = 4e-4
    for k in range(1, 11):
        fk = k * f * np.sqrt(1 + B * k * k)
        if fk > sr / 2.3:
            break
        amp = 1.0 / k**1.3
        dec = 2.5 / (1 + 0.6 * k) * (220 / max(f, 110)) ** 0.5
        x += amp * (np.sin(2 * np.pi * fk * t) + np.sin(2 * np.pi * fk * 1.0009 * t + k)) * np.exp(-t / dec)
    x *= 0.5
    x += 0.15 * _det_rng("hammer").standard_normal(ln) * np.exp(-t / 0.004)
    return x * _adsr(ln, sr=sr, a=0.002, d=10.0, s=1.0, r=0.25, hold=hold)


@_cached
def _pluck_tone(f: float, ln: int, *, sr: int, decay: float = 0.6, bright: float = 1.0) -> np.ndarray:
    t = np.arange(ln) / sr
    x = np.zeros(ln)
    for k in range(1, 9):
        if k * f > sr / 2.2:
            break
        x += (bright ** (k - 1)) / k * np.sin(2 * np.pi * k * f * t + k) * np.exp(-t * k / decay)
    return x * np.minimum(1.0, t / 0.002) * np.minimum(1.0, (ln - np.arange(ln)) / (0.02 * sr))


def _pad_tone(f: float, ln: int, hold: int, *, sr: int, rng, attack: float = 0.25) -> np.ndarray:
    t = np.arange(ln) / sr
    x = np.zeros(ln)
    for det in (-0.08, 0.0, 0.09):
        ff = f * 2 ** (det / 12)
        x += _polyblep_saw(ff * t + rng.random(), np.full(ln, ff / sr))
    return x / 3 * _adsr(ln, sr=sr, a=attack, d=1.0, s=0.8, r=0.4, hold=hold)


# --------------------------------------------------------------------------- chords


@dataclass
class _ChordBus:
    """Where one genre's chord part is played: two sides, a pad (filtered together) and a drive bus
    (rock guitars, overdriven together)."""

    sr: int
    beat_s: float
    swing_beats: float
    rng: np.random.Generator
    left: np.ndarray
    right: np.ndarray
    pad: np.ndarray
    drive: np.ndarray

    def side(self, k: int) -> np.ndarray:
        return self.left if k % 2 else self.right


def _comp_electric_piano(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Pop, hip-hop and jazz: electric-piano comping hits (jazz's swung and alternating by bar)."""
    beat, sw, sr = bus.beat_s, bus.swing_beats, bus.sr
    if genre == "jazz":
        hits = (
            [(0.0, 1.4), (1.5 + sw, 0.4), (2.5 + sw, 1.2)] if ci % 2 == 0 else [(0.5 + sw, 1.0), (2.0, 0.4), (3.0, 0.9)]
        )
    elif genre == "hip-hop":
        hits = [(0.0, 3.5)] if ci % 2 == 0 else [(0.0, 1.5), (2.5, 1.5)]
    else:
        hits = [(0.0, 1.5), (1.5, 1.0), (2.5, 1.5)]
    for off, d in hits:
        if off * beat >= du:
            continue
        hold = int(min(d * beat, du - off * beat) * sr)
        ln = hold + int(0.3 * sr)
        for i, f in enumerate(freqs):
            x = _ep_tone(f, ln, hold, sr=sr, bright=0.8) * 0.15
            _add(bus.side(i), s0 + int(off * beat * sr) + i * 40, x)


def _power_chords(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Rock: Karplus-Strong power chords (root, fifth, octave) in eighths, onto the drive bus."""
    beat, sr = bus.beat_s, bus.sr
    root = freqs[0]
    voicing = (root, root * 2 ** (7 / 12), root * 2)
    eighth = beat / 2
    for k in range(int(round(du / eighth))):
        ln = int(eighth * 0.95 * sr)
        acc = 1.0 if k % 2 == 0 else 0.75
        for i, f in enumerate(voicing):
            x = _ks_tone(f, ln, sr=sr, decay=0.35, bright=0.8)
            _add(bus.drive, s0 + int(k * eighth * sr) + i * int(0.004 * sr), x * acc * 0.5)


def _piano_arpeggio(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Ballad: a piano arpeggio in eighths over a soft pad."""
    beat, sr = bus.beat_s, bus.sr
    arp = freqs + [freqs[0] * 2, freqs[1] * 2, freqs[2] * 2 if len(freqs) > 2 else freqs[0] * 2]
    order = [0, 1, 2, 3, 2, 1, 3, 4]
    for k in range(int(round(du / (beat / 2)))):
        f = arp[order[k % len(order)] % len(arp)]
        x = _piano_tone(f * 2, int(1.4 * sr), int(0.9 * sr), sr=sr) * 0.09
        _add(bus.side(k), s0 + int(k * beat / 2 * sr), x)
    hold = int(du * sr)
    for f in freqs:
        _add(bus.pad, s0, _pad_tone(f, hold + int(0.5 * sr), hold, sr=sr, rng=bus.rng, attack=0.4) * 0.045)


def _guitar_strum(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Folk: a strummed steel-string guitar, down and up strokes, strings 8 ms apart."""
    beat, sr = bus.beat_s, bus.sr
    strum = [(0, 1.0, 1), (1, 0.6, -1), (1.5, 0.5, 1), (2.5, 0.6, -1), (3, 0.7, 1), (3.5, 0.5, -1)]
    voicing = [freqs[0] / 2, freqs[0] / 2 * 1.5] + freqs + [freqs[0] * 2]
    for off, v, direction in strum:
        if off * beat >= du:
            continue
        ln = int(min(1.0, du - off * beat + 0.15) * sr)
        strings = voicing if direction > 0 else voicing[::-1][:4]
        for i, f in enumerate(strings):
            x = _ks_tone(f * 2, ln, sr=sr, decay=0.9, bright=0.55) * 0.06 * v
            _add(bus.side(i), s0 + int(off * beat * sr) + i * int(0.008 * sr), x)


def _synth_pad_plucks(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Electronic: a pad an octave up and offbeat plucks two octaves up."""
    beat, sr = bus.beat_s, bus.sr
    hold = int(du * sr)
    for f in freqs + [freqs[0] * 2]:
        _add(bus.pad, s0, _pad_tone(f * 2, hold + int(0.3 * sr), hold, sr=sr, rng=bus.rng) * 0.07)
    for k in range(4):
        for f in freqs:
            _add(
                bus.right if k % 2 else bus.left,
                s0 + int((k + 0.5) * beat * sr),
                _pluck_tone(f * 4, int(0.25 * sr), sr=sr, decay=0.15) * 0.05,
            )


def _guzheng_arpeggio(bus: _ChordBus, ci: int, s0: int, du: float, freqs: list[float], genre: str) -> None:
    """Chinese: a guzheng-like plucked pentatonic arpeggio (a bend on each downbeat) over a soft pad."""
    beat, sr = bus.beat_s, bus.sr
    arp = [freqs[0], freqs[2] if len(freqs) > 2 else freqs[1], freqs[0] * 2, freqs[1] * 2]
    for k in range(int(round(du / (beat / 2)))):
        x = _ks_tone(
            arp[k % len(arp)] * 2, int(1.4 * sr), sr=sr, decay=0.8, bright=0.75, bend=0.4 if k % 4 == 0 else 0.0
        )
        _add(bus.side(k), s0 + int(k * beat / 2 * sr), x * 0.1)
    hold = int(du * sr)
    for f in freqs:
        _add(bus.pad, s0, _pad_tone(f, hold + int(0.5 * sr), hold, sr=sr, rng=bus.rng) * 0.03)


# The oscillator band's chord part of each genre: (bus, chord index, start sample, length s, Hz, genre).
_CHORD_RENDERERS = {
    "pop": _comp_electric_piano,
    "hip-hop": _comp_electric_piano,
    "jazz": _comp_electric_piano,
    "rock": _power_chords,
    "ballad": _piano_arpeggio,
    "folk": _guitar_strum,
    "electronic": _synth_pad_plucks,
    "chinese": _guzheng_arpeggio,
}


def _overdrive(drive: np.ndarray, *, sr: int) -> np.ndarray:
    b, a = signal.butter(2, 150, btype="high", fs=sr)
    g = np.tanh(4.0 * signal.lfilter(b, a, drive))
    b, a = signal.butter(2, 3800, fs=sr)
    return signal.lfilter(b, a, g) * 0.12


def _render_chords(score: Score, *, sr: int, n: int, rng) -> np.ndarray:
    """The chord part, stereo (n, 2): the genre's renderer per chord, then the buses mixed."""
    genre, beat = score.style.genre, score.style.beat_s
    bus = _ChordBus(
        sr=sr,
        beat_s=beat,
        swing_beats=score.style.swing / 6,
        rng=rng,
        left=np.zeros(n),
        right=np.zeros(n),
        pad=np.zeros(n),
        drive=np.zeros(n),
    )
    render = _CHORD_RENDERERS.get(genre, _guzheng_arpeggio)
    for ci, (st, du, chord) in enumerate(score.chords):
        render(bus, ci, int(st * sr), du, [float(_hz(m)) for m in chord], genre)
    left, right, pad = bus.left, bus.right, bus.pad
    if bus.drive.any():
        g = _overdrive(bus.drive, sr=sr)
        d = int(0.012 * sr)
        left += g
        right[d:] += g[:-d] * 0.95  # double-tracked feel
    if pad.any():
        b, a = signal.butter(2, 2500, fs=sr)
        pad = signal.lfilter(b, a, pad)
        if genre == "electronic":
            ph = (np.arange(n) / sr / beat) % 1.0
            pad *= 0.35 + 0.65 * np.minimum(1.0, ph / 0.35)  # sidechain-style pumping
    out = np.stack([left + pad * 0.8, right + pad * 0.8], axis=1)
    mid = 0.5 * (out[:, 0] + out[:, 1])
    return 0.75 * out + 0.25 * mid[:, None]


# --------------------------------------------------------------------------- lead instruments

_LEAD = {
    "pop": "synth",
    "rock": "guitar",
    "ballad": "strings",
    "folk": "mandolin",
    "electronic": "supersaw",
    "hip-hop": "bell",
    "jazz": "vibes",
    "chinese": "flute",
}


def _lead_note(kind: str, f: float, dur_s: float, *, sr: int, rng) -> np.ndarray:
    hold = max(1, int(dur_s * sr))
    if kind == "mandolin":
        ln = hold + int(0.3 * sr)
        x = _ks_tone(f, ln, sr=sr, decay=0.5, bright=0.8)
        return x * _adsr(ln, sr=sr, a=0.001, d=10.0, s=1.0, r=0.2, hold=hold)
    if kind == "vibes":
        ln = hold + int(0.8 * sr)
        t = np.arange(ln) / sr
        x = np.sin(2 * np.pi * f * t) + 0.25 * np.sin(2 * np.pi * 4 * f * t) * np.exp(-t / 0.15)
        return x * np.exp(-t / 1.2) * (1 + 0.25 * np.sin(2 * np.pi * 5.0 * t)) * np.minimum(1, t / 0.002)
    if kind == "bell":
        ln = hold + int(0.6 * sr)
        t = np.arange(ln) / sr
        x = (
            np.sin(2 * np.pi * f * t)
            + 0.4 * np.sin(2 * np.pi * 2.76 * f * t) * np.exp(-t / 0.25)
            + 0.2 * np.sin(2 * np.pi * 5.4 * f * t) * np.exp(-t / 0.08)
        )
        return x * np.exp(-t / 0.9) * np.minimum(1, t / 0.002)
    ln = hold + int(0.15 * sr)
    t = np.arange(ln) / sr
    vib_depth = {"guitar": 0.25, "flute": 0.2, "strings": 0.12, "supersaw": 0.0, "synth": 0.0}[kind]
    vib = vib_depth * np.clip((t - 0.2) / 0.3, 0, 1) * np.sin(2 * np.pi * 5.3 * t)
    ff = f * 2 ** (vib / 12)
    if kind == "flute":
        ph = np.cumsum(ff) / sr
        x = np.sin(2 * np.pi * ph) + 0.25 * np.sin(4 * np.pi * ph) + 0.08 * np.sin(6 * np.pi * ph)
        b, a = signal.butter(2, [min(f * 2, sr / 2.5), min(f * 6, sr / 2.2)], btype="band", fs=sr)
        x += 0.12 * signal.lfilter(b, a, rng.standard_normal(ln))  # breath
        return x * _adsr(ln, sr=sr, a=0.06, d=0.5, s=0.85, r=0.12, hold=hold)
    if kind == "supersaw":
        x = np.zeros(ln)
        for det in (-0.12, -0.05, 0.0, 0.06, 0.11):
            fd = f * 2 ** (det / 12)
            x += _polyblep_saw(fd * t + rng.random(), np.full(ln, fd / sr))
        return x / 3 * _adsr(ln, sr=sr, a=0.01, d=0.3, s=0.7, r=0.1, hold=hold)
    ph = np.cumsum(ff) / sr
    dt = ff / sr
    x = _polyblep_saw(ph, dt)
    if kind == "guitar":
        x = np.tanh(3.0 * (x + 0.3 * np.sin(2 * np.pi * ph)))
        return x * _adsr(ln, sr=sr, a=0.005, d=0.6, s=0.6, r=0.08, hold=hold)
    if kind == "strings":
        x = 0.5 * (x + _polyblep_saw(ph * 1.003 + 0.3, dt * 1.003))
        return x * _adsr(ln, sr=sr, a=0.18, d=1.0, s=0.85, r=0.12, hold=hold)
    # synth: square-ish pluck
    x = 0.6 * x + 0.4 * np.sign(np.sin(2 * np.pi * ph))
    return x * _adsr(ln, sr=sr, a=0.004, d=0.25, s=0.35, r=0.08, hold=hold)


def _render_lead_line(notes: list[Note], genre: str, *, sr: int, n: int, gain: float, rng) -> np.ndarray:
    kind = _LEAD.get(genre, "synth")
    buf = np.zeros(n)
    for note in notes:
        x = _lead_note(kind, float(_hz(note.midi)), note.dur_s, sr=sr, rng=rng)
        _add(buf, int(note.start_s * sr), x * note.velocity)
    if kind in ("synth", "guitar", "strings", "supersaw"):
        b, a = signal.butter(2, {"synth": 3500, "guitar": 3000, "strings": 4000, "supersaw": 5000}[kind], fs=sr)
        buf = signal.lfilter(b, a, buf)
    peak = np.max(np.abs(buf)) + 1e-9
    return buf / max(peak, 1.0) * gain


#: track levels in dBFS RMS (counter/melody: RMS while their notes sound)
_BALANCE = {
    "default": dict(drums=-20.0, bass=-20.0, chords=-22.0, counter=-30.0, melody=-23.0),
    "rock": dict(chords=-20.0, bass=-21.0),
    "ballad": dict(drums=-26.0, bass=-21.0, chords=-21.0, counter=-29.0),
    "folk": dict(drums=-24.0, chords=-20.5, counter=-29.0),
    "electronic": dict(drums=-17.5, bass=-20.0, chords=-22.0),
    "hip-hop": dict(drums=-17.0, bass=-16.5, chords=-24.0),
    "jazz": dict(drums=-23.0, bass=-19.0, chords=-21.0),
    "chinese": dict(drums=-26.0, bass=-22.0, chords=-21.0, counter=-27.0),
}


def _level(x: np.ndarray, db: float, *, notes: list[Note] | None = None, sr: int = 0) -> np.ndarray:
    """Scale ``x`` to ``db`` dBFS RMS (over the sounding notes' spans when ``notes`` is given)."""
    if notes:
        mask = np.zeros(len(x), dtype=bool)
        for nt in notes:
            mask[int(nt.start_s * sr) : int((nt.start_s + nt.dur_s) * sr)] = True
        sel = x[mask] if mask.any() else x
    else:
        sel = x
    rms = float(np.sqrt(np.mean(np.square(sel)))) if sel.size else 0.0
    if rms < 1e-9:
        return x
    return x * (10 ** (db / 20) / rms)


# A mono line panned to stereo has 3 dB less RMS per channel than the line itself had.
_PANNED_MONO_DB = -3.01


def band_length_samples(score: Score, *, sr: int) -> int:
    """Count the samples of the band track: the score's length, rounded up, plus one.

    Parameters
    ----------
    score : Score
        The composed song.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    int
        ``ceil(score.duration_s * sr) + 1``.
    """
    return int(np.ceil(score.duration_s * sr)) + 1


def lead_melody(score: Score) -> list[Note]:
    """Give the vocal melody as an instrument plays it (an instrumental of a song with lyrics).

    Parameters
    ----------
    score : Score
        The composed song.

    Returns
    -------
    list of Note
        ``score.melody``, a note below middle C (MIDI 60) an octave up.
    """
    return [Note(m.start_s, m.dur_s, m.midi + (12 if m.midi < 60 else 0), m.velocity) for m in score.melody]


def oscillator_parts(score: Score, *, sr: int, seed: int, play_melody: bool = False) -> dict[str, np.ndarray]:
    """Synthesise the band here, unlevelled.

    Parameters
    ----------
    score : Score
        The composed song.
    sr : int
        Sample rate in Hz.
    seed : int
        Seeds the noise and the small variations of the instruments.
    play_melody : bool
        Also play the vocal melody on the lead instrument (part "melody").

    Returns
    -------
    dict of str to np.ndarray [shape=(n, 2)]
        Stereo float parts "drums", "bass", "chords", and "counter" / "melody" when there are such notes;
        ``n = band_length_samples(score, sr=sr)``.
    """
    n = band_length_samples(score, sr=sr)
    rng = np.random.default_rng(seed & 0x7FFFFFFF)
    genre = score.style.genre
    parts = {
        "drums": _render_drums(score, sr=sr, n=n, rng=rng),
        "bass": _render_bass(score, sr=sr, n=n),
        "chords": _render_chords(score, sr=sr, n=n, rng=rng),
    }
    if score.counter:
        parts["counter"] = _pan(_render_lead_line(score.counter, genre, sr=sr, n=n, gain=1.0, rng=rng), -0.3)
    if play_melody and score.melody:
        parts["melody"] = _pan(_render_lead_line(lead_melody(score), genre, sr=sr, n=n, gain=1.0, rng=rng), 0.1)
    return parts


def band_stems(parts: dict[str, np.ndarray], score: Score, *, sr: int) -> dict[str, np.ndarray]:
    """Level the raw parts to the genre's balance and group them into stems: drums, bass, keys or guitars, lead.

    Only stems that sound are kept. The tail fades and, when the band would clip, every stem takes the
    same gain, so the stems still sum to the band.

    Parameters
    ----------
    parts : dict of str to np.ndarray [shape=(n, 2)]
        Unlevelled stereo parts, as :func:`oscillator_parts` gives or the sampled band renders.
    score : Score
        The composed song; its genre sets the balance.
    sr : int
        Sample rate of ``parts`` in Hz.

    Returns
    -------
    dict of str to np.ndarray [shape=(n, 2)]
        float32 stems by name ("drums", "bass", "keys" or "guitars", "lead"); empty when nothing sounds.
    """
    bal = dict(_BALANCE["default"], **_BALANCE.get(score.style.genre, {}))
    line_notes = {"counter": score.counter, "melody": lead_melody(score)}
    chords_stem = chords_stem_name(score)
    stems: dict[str, np.ndarray] = {}
    for name, part in parts.items():
        if name in line_notes:
            levelled = _level(part, bal[name] + _PANNED_MONO_DB, notes=line_notes[name], sr=sr)
            stem = "lead"
        else:
            levelled = _level(part, bal[name])
            stem = chords_stem if name == "chords" else name
        if not np.any(levelled):
            continue
        # float32 and in place: a long song's stems are a few hundred MB each in float64 (issue 15's ceiling).
        if stem in stems:
            stems[stem] += levelled
        else:
            stems[stem] = np.array(levelled, dtype=np.float32)
        del levelled
    if not stems:
        return {}
    n = next(iter(stems.values())).shape[0]
    fade = np.ones(n, dtype=np.float32)
    fade_n = int(min(0.5, score.duration_s / 10) * sr)
    if fade_n > 0:
        fade[-fade_n:] = np.linspace(1, 0, fade_n)
    total = np.zeros_like(next(iter(stems.values())))
    for stem in stems.values():
        total += stem
    total *= fade[:, None]
    peak = float(np.max(np.abs(total))) + 1e-9
    del total
    gain = fade / np.float32(max(peak, 1.0))
    for stem in stems.values():
        stem *= gain[:, None]
    return stems


def render_band(score: Score, *, sr: int, seed: int, play_melody: bool = False) -> np.ndarray:
    """Render the stereo band track for ``score`` on the oscillators here.

    Drums, bass, chords and the counter/lead line (``score.counter``: the hook in band-only sections,
    answer licks between vocal lines) on the genre's lead instrument.

    Parameters
    ----------
    score : Score
        The composed song.
    sr : int
        Sample rate in Hz.
    seed : int
        Seeds the noise and the small variations of the instruments.
    play_melody : bool
        Also play the vocal melody on the lead instrument (an instrumental render of a song with lyrics).

    Returns
    -------
    np.ndarray [shape=(n, 2)]
        float32 at ``sr`` Hz, ``n = band_length_samples(score, sr=sr)``; silence when nothing sounds.
    """
    stems = band_stems(oscillator_parts(score, sr=sr, seed=seed, play_melody=play_melody), score, sr=sr)
    if not stems:
        return np.zeros((band_length_samples(score, sr=sr), 2), dtype=np.float32)
    return sum(stems.values()).astype(np.float32)
