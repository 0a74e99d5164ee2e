"""Band and lead-voice synthesis for a :class:`~.composer.Score`.

Everything is rendered note by note with numpy array operations (no per-sample
Python loops); filters run once per track through ``scipy.signal``.

Band (``render_band``)
    drums   kick = exponentially falling sine sweep, snare = noise burst + tone,
            hat = high-passed noise; one template per instrument, mixed in at
            each hit with its velocity.
    bass    sine + saw with a pluck envelope, low-passed.
    chords  per genre: electric piano (pop, hip-hop, jazz), distorted power
            chords (rock), piano arpeggios + pad (ballad), strummed plucks
            (folk), saw pad with pumping (electronic), plucked pentatonic
            arpeggios (chinese).
    lead    optional counter line (``play_melody=True`` plays the melody on a
            soft bell instead, used for instrumentals).

Lead (``render_lead``)
    A wordless "ah" voice: band-limited sawtooth (polyBLEP) through three
    formant resonators (~700 / 1200 / 2600 Hz), vibrato 5.5 Hz ±30 cents
    ramping in after the onset, ~45 ms portamento between legato notes and
    attack/release envelopes.  It is strongly periodic so pitch trackers
    (WORLD dio/harvest, pYIN) follow it.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

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


def _adsr(n: int, sr: int, a: float, d: float, s: float, r: float, hold: int) -> np.ndarray:
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


# --------------------------------------------------------------------------- drums

def _drum_templates(sr: int, rng, genre: str) -> dict[str, np.ndarray]:
    # kick: sine sweep 150 → 45 Hz
    n = int(0.45 * sr)
    t = np.arange(n) / sr
    f_top = 170 if genre in ("electronic", "hip-hop") else 140
    f = 45 + (f_top - 45) * np.exp(-t / 0.035)
    ph = 2 * np.pi * np.cumsum(f) / sr
    decay = 0.35 if genre in ("hip-hop", "electronic") else 0.18
    kick = np.sin(ph) * np.exp(-t / decay) * np.minimum(1, t / 0.002)
    click = rng.standard_normal(n) * np.exp(-t / 0.003) * 0.3
    kick = kick + click
    # snare: noise + tone
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    b, a = signal.butter(2, [1500, 9000], btype="band", fs=sr)
    noise = signal.lfilter(b, a, noise)
    tone = np.sin(2 * np.pi * 190 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)
    snare_decay = 0.22 if genre == "ballad" else 0.13
    snare = 0.8 * noise * np.exp(-t / snare_decay) + 0.5 * tone * np.exp(-t / 0.05)
    if genre in ("jazz", "ballad", "chinese"):
        snare *= 0.6  # brushes / rim-ish
    # hat: high-passed noise
    n = int(0.12 * sr)
    t = np.arange(n) / sr
    b, a = signal.butter(4, 7000, btype="high", fs=sr)
    hat = signal.lfilter(b, a, rng.standard_normal(n)) * np.exp(-t / (0.09 if genre == "jazz" else 0.03))
    out = {"kick": kick, "snare": snare, "hat": hat}
    return {k: (v / (np.max(np.abs(v)) + 1e-9)).astype(np.float64) for k, v in out.items()}


def _render_drums(score: Score, sr: int, n: int, rng) -> np.ndarray:
    genre = score.style.genre
    tpl = _drum_templates(sr, rng, genre)
    out = np.zeros((n, 2))
    gains = {"kick": 0.9, "snare": 0.55, "hat": 0.22}
    pans = {"kick": 0.0, "snare": 0.05, "hat": 0.35}
    tracks = {k: np.zeros(n) for k in tpl}
    for time_s, part, vel in score.drum_hits:
        if part not in tpl:
            continue
        jitter = int(rng.normal(0, 0.002) * sr)
        _add(tracks[part], int(time_s * sr) + jitter, tpl[part] * vel * gains[part] * (0.9 + 0.2 * rng.random()))
    for k, tr in tracks.items():
        p = pans[k]
        out[:, 0] += tr * np.sqrt(0.5 * (1 - p))
        out[:, 1] += tr * np.sqrt(0.5 * (1 + p))
    return out


# --------------------------------------------------------------------------- bass

def _render_bass(score: Score, sr: int, n: int) -> np.ndarray:
    genre = score.style.genre
    buf = np.zeros(n)
    saw_amt = {"rock": 0.6, "electronic": 0.7, "pop": 0.35, "hip-hop": 0.1, "jazz": 0.15}.get(genre, 0.25)
    for note in score.bass:
        f = float(_hz(note.midi))
        hold = int(note.dur_s * sr)
        ln = hold + int(0.08 * sr)
        t = np.arange(ln) / sr
        ph = f * t
        x = (1 - saw_amt) * np.sin(2 * np.pi * ph) + saw_amt * _polyblep_saw(ph, np.full(ln, f / sr))
        env = _adsr(ln, sr, 0.005, 0.25 if genre != "ballad" else 0.8, 0.55, 0.06, hold)
        _add(buf, int(note.start_s * sr), x * env * note.velocity)
    cutoff = {"rock": 1400, "electronic": 1200, "jazz": 700}.get(genre, 900)
    b, a = signal.butter(2, cutoff, fs=sr)
    buf = signal.lfilter(b, a, buf) * 0.5
    return np.stack([buf, buf], axis=1)


# --------------------------------------------------------------------------- chord instruments

_TONE_CACHE: dict = {}


def _cached(fn):
    def wrapper(*args, **kw):
        key = (fn.__name__, tuple(round(a, 3) if isinstance(a, float) else a for a in args),
               tuple(sorted(kw.items())))
        v = _TONE_CACHE.get(key)
        if v is None:
            if len(_TONE_CACHE) > 400:
                _TONE_CACHE.clear()
            v = fn(*args, **kw)
            v.setflags(write=False)
            _TONE_CACHE[key] = v
        return v
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_cached
def _ep_tone(f: float, ln: int, hold: int, sr: int, bright: float = 1.0) -> np.ndarray:
    t = np.arange(ln) / sr
    x = (np.sin(2 * np.pi * f * t) + 0.35 * bright * np.sin(2 * np.pi * 2 * f * t) * np.exp(-t / 0.4)
         + 0.15 * bright * np.sin(2 * np.pi * 3 * f * t) * np.exp(-t / 0.15)
         + 0.08 * bright * np.sin(2 * np.pi * 7.1 * f * t) * np.exp(-t / 0.03))
    return x * _adsr(ln, sr, 0.004, 0.9, 0.35, 0.15, hold)


@_cached
def _pluck_tone(f: float, ln: int, sr: int, decay: float = 0.6, bright: float = 1.0) -> np.ndarray:
    t = np.arange(ln) / sr
    x = np.zeros(ln)
    for k in range(1, 9):
        if k * f > sr / 2.2:
            break
        x += (bright ** (k - 1)) / k * np.sin(2 * np.pi * k * f * t + k) * np.exp(-t * k / decay)
    return x * np.minimum(1.0, t / 0.002) * np.minimum(1.0, (ln - np.arange(ln)) / (0.02 * sr))


def _pad_tone(f: float, ln: int, hold: int, sr: int, rng) -> np.ndarray:
    t = np.arange(ln) / sr
    x = np.zeros(ln)
    for det in (-0.08, 0.0, 0.09):
        ff = f * 2 ** (det / 12)
        x += _polyblep_saw(ff * t + rng.random(), np.full(ln, ff / sr))
    return x / 3 * _adsr(ln, sr, 0.25, 1.0, 0.8, 0.4, hold)


def _pan(mono: np.ndarray, p: float) -> np.ndarray:
    return np.stack([mono * np.sqrt(0.5 * (1 - p)), mono * np.sqrt(0.5 * (1 + p))], axis=1)


def _render_chords(score: Score, sr: int, n: int, rng) -> np.ndarray:
    genre = score.style.genre
    beat = score.style.beat_s
    out = np.zeros((n, 2))
    left, right = np.zeros(n), np.zeros(n)
    pad = np.zeros(n)
    sw = score.style.swing * beat / 6

    for ci, (st, du, chord) in enumerate(score.chords):
        s0 = int(st * sr)
        freqs = [float(_hz(m)) for m in chord]
        if genre in ("pop", "hip-hop", "jazz"):
            # electric piano comping
            if genre == "jazz":
                hits = [(0.0, 1.4), (1.5 + sw / beat, 0.4), (2.5 + sw / beat, 1.2)] if ci % 2 == 0 else \
                       [(0.5 + sw / beat, 1.0), (2.0, 0.4), (3.0, 0.9)]
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
                    x = _ep_tone(f, ln, hold, sr, bright=0.8) * 0.16
                    _add(left if i % 2 else right, s0 + int(off * beat * sr) + i * 40, x)
        elif genre == "rock":
            # power chord, eighth notes, distorted
            root = freqs[0]
            for k in range(int(round(du / (beat / 2)))):
                hold = int(beat / 2 * 0.9 * sr)
                ln = hold + int(0.05 * sr)
                t = np.arange(ln) / sr
                x = np.zeros(ln)
                for f in (root, root * 1.4983, root * 2):
                    x += _polyblep_saw(f * t + rng.random(), np.full(ln, f / sr))
                x = np.tanh(2.5 * x) * _adsr(ln, sr, 0.003, 0.3, 0.7, 0.03, hold)
                acc = 1.0 if k % 2 == 0 else 0.8
                _add(left, s0 + int(k * beat / 2 * sr), x * 0.09 * acc)
                _add(right, s0 + int(k * beat / 2 * sr) + int(0.012 * sr), x * 0.09 * acc)
        elif genre == "ballad":
            # piano arpeggio in eighths + soft pad
            arp = freqs + [freqs[0] * 2, freqs[1] * 2, freqs[2] * 2 if len(freqs) > 2 else freqs[0] * 2]
            order = [0, 1, 2, 3, 2, 1, 3, 4]
            for k in range(int(round(du / (beat / 2)))):
                f = arp[order[k % len(order)] % len(arp)]
                ln = int(1.2 * sr)
                x = _pluck_tone(f * 2, ln, sr, decay=1.5, bright=0.5) * 0.12
                _add(left if k % 2 else right, s0 + int(k * beat / 2 * sr), x)
            hold = int(du * sr)
            for f in freqs:
                _add(pad, s0, _pad_tone(f, hold + int(0.5 * sr), hold, sr, rng) * 0.05)
        elif genre == "folk":
            # strummed guitar: down/up strokes
            strum = [(0, 1.0, 1), (1, 0.6, -1), (1.5, 0.5, 1), (2.5, 0.6, -1), (3, 0.7, 1), (3.5, 0.5, -1)]
            voicing = [freqs[0] / 2] + freqs + [freqs[0] * 2]
            for off, v, direction in strum:
                if off * beat >= du:
                    continue
                ln = int(0.9 * sr)
                strings = voicing if direction > 0 else voicing[::-1]
                for i, f in enumerate(strings):
                    x = _pluck_tone(f * 2, ln, sr, decay=0.5, bright=0.6) * 0.07 * v
                    _add(left if i % 2 else right, s0 + int(off * beat * sr) + i * int(0.008 * sr), x)
        elif genre == "electronic":
            hold = int(du * sr)
            for f in freqs + [freqs[0] * 2]:
                _add(pad, s0, _pad_tone(f * 2, hold + int(0.3 * sr), hold, sr, rng) * 0.07)
            # plucky stabs on off-beats
            for k in range(4):
                ln = int(0.25 * sr)
                for f in freqs:
                    _add(right if k % 2 else left, s0 + int((k + 0.5) * beat * sr),
                         _pluck_tone(f * 4, ln, sr, decay=0.15) * 0.05)
        else:  # chinese: plucked pentatonic arpeggio (guzheng-ish) + soft pad
            arp = [freqs[0], freqs[2] if len(freqs) > 2 else freqs[1], freqs[0] * 2, freqs[1] * 2]
            for k in range(int(round(du / (beat / 2)))):
                f = arp[k % len(arp)] * 2
                ln = int(1.4 * sr)
                t = np.arange(ln) / sr
                x = _pluck_tone(f, ln, sr, decay=0.9, bright=0.7)
                _add(left if k % 2 else right, s0 + int(k * beat / 2 * sr), x * 0.1)
            hold = int(du * sr)
            for f in freqs:
                _add(pad, s0, _pad_tone(f, hold + int(0.5 * sr), hold, sr, rng) * 0.035)

    if pad.any():
        b, a = signal.butter(2, 2500, fs=sr)
        pad = signal.lfilter(b, a, pad)
        if genre == "electronic":
            # sidechain-ish pumping on every beat
            t = np.arange(n) / sr
            ph = (t / beat) % 1.0
            pad *= 0.35 + 0.65 * np.minimum(1.0, ph / 0.35)
    out[:, 0] = left + pad * 0.8
    out[:, 1] = right + pad * 0.8
    # glue the two sides a little
    mid = 0.5 * (out[:, 0] + out[:, 1])
    out = 0.75 * out + 0.25 * mid[:, None]
    return out


def _render_bell_line(notes: list[Note], sr: int, n: int, gain: float) -> np.ndarray:
    buf = np.zeros(n)
    for note in notes:
        f = float(_hz(note.midi))
        hold = int(note.dur_s * sr)
        ln = hold + int(0.4 * sr)
        t = np.arange(ln) / sr
        x = (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t) * np.exp(-t / 0.3)
             + 0.1 * np.sin(2 * np.pi * 3.01 * f * t) * np.exp(-t / 0.1))
        x *= _adsr(ln, sr, 0.01, 0.6, 0.5, 0.3, hold) * note.velocity
        _add(buf, int(note.start_s * sr), x)
    return buf * gain


def render_band(score: Score, *, sr: int, seed: int, play_melody: bool = False) -> np.ndarray:
    """Stereo float32 band track (n, 2) for ``score``.

    ``play_melody`` doubles the melody on a soft bell (for instrumentals);
    otherwise a quiet counter line (chord-tone arpeggio) is added in
    choruses for genres that suit it.
    """
    n = int(np.ceil(score.duration_s * sr)) + 1
    rng = np.random.default_rng(seed & 0x7FFFFFFF)
    drums = _render_drums(score, sr, n, rng)
    bass = _render_bass(score, sr, n)
    chords = _render_chords(score, sr, n, rng)
    out = drums * (0.9 if score.style.genre not in ("ballad", "chinese") else 0.6) + bass + chords
    if play_melody and score.melody:
        out += _pan(_render_bell_line(score.melody, sr, n, 0.22), 0.0)
    elif score.counter and score.style.genre in ("pop", "ballad", "chinese", "folk"):
        spans = [(s, e) for k, s, e in score.section_spans if k == "chorus"]
        notes = [c for c in score.counter if any(s <= c.start_s < e for s, e in spans)]
        out += _pan(_render_bell_line(notes, sr, n, 0.05), -0.4)
    # fade the tail
    fade = int(min(0.5, score.duration_s / 10) * sr)
    if fade > 0:
        out[-fade:] *= np.linspace(1, 0, fade)[:, None]
    peak = np.max(np.abs(out)) + 1e-9
    if peak > 1.0:
        out /= peak
    return out.astype(np.float32)


# --------------------------------------------------------------------------- lead voice

FORMANTS = ((700.0, 110.0, 1.0), (1200.0, 130.0, 0.55), (2600.0, 220.0, 0.28))


def render_lead(score: Score, *, sr: int) -> np.ndarray:
    """Mono float32 wordless "ah" voice singing ``score.melody``."""
    n = int(np.ceil(score.duration_s * sr)) + 1
    if not score.melody:
        return np.zeros(n, dtype=np.float32)
    notes = sorted(score.melody, key=lambda x: x.start_s)
    midi = np.full(n, np.nan)
    amp = np.zeros(n)
    vib_ramp = np.zeros(n)
    t_all = np.arange(n) / sr
    attack, release, glide = 0.03, 0.07, 0.045
    prev_end, prev_midi = -1.0, None
    for note in notes:
        s = int(note.start_s * sr)
        e = min(n, int((note.start_s + note.dur_s) * sr))
        if e <= s:
            continue
        midi[s:e] = note.midi
        ln = e - s
        t = np.arange(ln) / sr
        # portamento from the previous note when legato
        if prev_midi is not None and note.start_s - prev_end < 0.12:
            g = min(int(glide * sr), ln // 2)
            if g > 1:
                w = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, g))
                midi[s:s + g] = prev_midi + (note.midi - prev_midi) * w
                # bridge the small gap in pitch so phase/pitch stays continuous
                gs = int(prev_end * sr)
                if gs < s:
                    midi[gs:s] = prev_midi
        env = np.minimum(1.0, t / attack) * (1.0 - 0.12 * t / max(note.dur_s, 1e-3))
        amp[s:e] = np.maximum(amp[s:e], env * note.velocity)
        # release tail
        r = min(int(release * sr), n - e)
        if r > 0:
            tail = env[-1] * note.velocity * np.linspace(1, 0, r)
            amp[e:e + r] = np.maximum(amp[e:e + r], tail)
            seg = midi[e:e + r]
            midi[e:e + r] = np.where(np.isnan(seg), note.midi, seg)
        vib_ramp[s:e] = np.clip((t - 0.15) / 0.35, 0.0, 1.0)
        prev_end, prev_midi = note.start_s + note.dur_s, note.midi
    # fill unvoiced gaps by holding the last pitch (amp is 0 there)
    valid = ~np.isnan(midi)
    idx = np.where(valid, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)
    midi = midi[idx]
    midi[np.isnan(midi)] = notes[0].midi
    # vibrato ±30 cents at 5.5 Hz with slight rate drift
    rate = 5.5 + 0.3 * np.sin(2 * np.pi * 0.23 * t_all)
    vib_phase = 2 * np.pi * np.cumsum(rate) / sr
    midi = midi + 0.30 * vib_ramp * np.sin(vib_phase)
    f0 = _hz(midi)
    dt = f0 / sr
    phase = np.cumsum(dt)
    src = _polyblep_saw(phase, dt)
    # slight pulse component for body, a touch of breath
    src = 0.85 * src + 0.15 * np.sign(np.sin(2 * np.pi * phase)) * 0.5
    # formant filter bank (parallel resonators)
    voice = np.zeros(n)
    for fc, bw, g in FORMANTS:
        b, a = signal.iirpeak(fc, fc / bw, fs=sr)
        voice += g * signal.lfilter(b, a, src)
    # keep some of the raw low harmonics so the fundamental is strong
    b, a = signal.butter(2, 500, fs=sr)
    voice += 0.6 * signal.lfilter(b, a, src)
    # smooth the amplitude envelope (avoid clicks)
    k = int(0.005 * sr)
    amp = np.convolve(amp, np.ones(k) / k, mode="same")
    out = voice * amp
    peak = np.max(np.abs(out)) + 1e-9
    return (out / peak * 0.8).astype(np.float32)
