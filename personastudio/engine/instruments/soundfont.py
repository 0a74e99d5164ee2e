"""Render arrangement Voices with FluidSynth (Debian's libfluidsynth3 through PyPI's pyfluidsynth).

The SoundFont is FluidR3_GM (Debian's fluid-soundfont-gm, MIT licence): a full General MIDI set
with drum kits, recorded instruments rather than oscillators. `PERSONASTUDIO_SOUNDFONT` points at
another .sf2. When the library or the file is missing, `available()` is False and says why once in
the log; the engine then plays its oscillator band (engine.dsp.band).
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

import numpy as np

from ..dsp.arrangement import DRUM_BANK, Voice

log = logging.getLogger(__name__)

DEFAULT_SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2")
INSTALL_HINT = "install Debian's libfluidsynth3 and fluid-soundfont-gm (make run does it when run as root on Debian)"
SYNTH_GAIN = 0.2  # FluidSynth's master gain: full chords stay inside [-1, 1]
_PAN_CC = 10
_MELODIC_CHANNEL, _DRUM_CHANNEL = 0, 9


def soundfont_path() -> Path | None:
    chosen = os.environ.get("PERSONASTUDIO_SOUNDFONT")
    for candidate in [chosen] if chosen else DEFAULT_SOUNDFONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


@cache
def unavailable_reason() -> str:
    """ "" when the sampled band can play; else one sentence, logged once."""
    try:
        import fluidsynth  # noqa: F401  (raises when libfluidsynth is not installed)
    except (ImportError, OSError) as exc:
        reason = f"FluidSynth is not installed ({exc})"
    else:
        reason = "" if soundfont_path() else "no General MIDI SoundFont was found"
    if reason:
        log.warning("The band plays on the built-in oscillators: %s; %s.", reason, INSTALL_HINT)
    return reason


def available() -> bool:
    return not unavailable_reason()


@cache
def _write_float():
    """FluidSynth's float output (pyfluidsynth wraps only the 16-bit one, which dithers from a running
    random table: the same notes would not give the same samples twice)."""
    from ctypes import c_int, c_void_p

    import fluidsynth

    return fluidsynth.cfunc(
        "fluid_synth_write_float",
        c_int,
        ("synth", c_void_p, 1),
        ("len", c_int, 1),
        ("lout", c_void_p, 1),
        ("loff", c_int, 1),
        ("lincr", c_int, 1),
        ("rout", c_void_p, 1),
        ("roff", c_int, 1),
        ("rincr", c_int, 1),
    )


def _samples(synth, n_samples: int) -> np.ndarray:
    """The next n_samples of the synth's output, stereo float32 (n_samples, 2)."""
    out = np.zeros((n_samples, 2), dtype=np.float32)
    if n_samples:
        _write_float()(synth.synth, n_samples, out.ctypes.data, 0, 2, out.ctypes.data, 1, 2)
    return out


@cache
def _sample_cache_holder():
    """A synth that keeps the SoundFont's samples loaded for the life of the process: FluidSynth shares
    them with every later synth that loads the same file, so that load costs ~0.07 s instead of ~0.3 s."""
    import fluidsynth

    holder = fluidsynth.Synth()
    holder.sfload(str(soundfont_path()))
    return holder


def _fresh_synth(sr: int):
    """A synth with nothing played yet. FluidSynth reuses its voice objects, and what they played before
    colours the next notes a little: a fresh synth per part makes a part the same samples every time
    (seeds reproduce, a chorus repeats exactly). Its reverb and chorus are off for the same reason."""
    import fluidsynth

    _sample_cache_holder()
    synth = fluidsynth.Synth(
        gain=SYNTH_GAIN, samplerate=float(sr), **{"synth.reverb.active": 0, "synth.chorus.active": 0}
    )
    return synth, synth.sfload(str(soundfont_path()))


def _events(voice: Voice, sr: int, n_samples: int) -> list[tuple[int, int, int, int]]:
    """(sample, order, key, velocity) note events; note-offs (order 0, velocity 0) sort first."""
    events = []
    for note in voice.notes:
        on = int(round(note.start_s * sr))
        if on >= n_samples:
            continue
        key = int(round(note.midi))
        if not 0 <= key <= 127:
            continue
        off = min(n_samples, max(on + 1, int(round((note.start_s + note.dur_s) * sr))))
        velocity = max(1, min(127, int(round(note.velocity * 127))))
        events += [(on, 1, key, velocity), (off, 0, key, 0)]
    return sorted(events)


def render_voice_stereo(voice: Voice, *, sr: int, n_samples: int) -> np.ndarray:
    """The voice played alone: float32 (n_samples, 2), before any levelling (FluidSynth's own precision)."""
    if not voice.notes:
        return np.zeros((n_samples, 2), dtype=np.float32)
    synth, sfid = _fresh_synth(sr)
    try:
        channel = _DRUM_CHANNEL if voice.bank == DRUM_BANK else _MELODIC_CHANNEL
        synth.program_select(channel, sfid, voice.bank, voice.program)
        synth.cc(channel, _PAN_CC, int(round(np.clip(64 + 63 * voice.pan, 0, 127))))
        chunks, now = [], 0
        for sample, _order, key, velocity in _events(voice, sr, n_samples):
            if sample > now:
                chunks.append(_samples(synth, sample - now))
                now = sample
            if velocity:
                synth.noteon(channel, key, velocity)
            else:
                synth.noteoff(channel, key)
        chunks.append(_samples(synth, n_samples - now))
    finally:
        synth.delete()
    return np.concatenate(chunks)[:n_samples].astype(np.float32, copy=False)


def render_voices_stereo(voices: list[Voice], *, sr: int, n_samples: int) -> np.ndarray:
    out = np.zeros((n_samples, 2), dtype=np.float32)  # float32: a long song's parts are hundreds of MB in float64
    for voice in voices:
        out += render_voice_stereo(voice, sr=sr, n_samples=n_samples)
    return out
