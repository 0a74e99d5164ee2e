"""The singing voice: eSpeak NG speaks the words, WORLD turns the speech into song.

1. ``speak_line`` has eSpeak NG (the ``espeakng-loader`` wheel, driven through
   ``dsp.espeak``, synchronous mode with phoneme events) say a line in English (``en``)
   or Mandarin (``cmn``). Phoneme events give the start of each phoneme; every
   vowel phoneme is the nucleus of a syllable (Mandarin: every Han character is
   one syllable), consonants before it are its onset, consonants after it and
   before the next word its coda.
2. ``sing_line`` analyses the speech with WORLD (DIO + StoneMask, CheapTrick,
   D4C), places each syllable on its note (onset consonants just before the
   note starts, at their natural length; the vowel stretched or squeezed to
   fill the note; coda consonants at its end), replaces F0 by the melody with
   short glides and delayed vibrato, warps the spectral envelope along the
   frequency axis (``formant_ratio``), adds aperiodicity for breathiness and
   resynthesises.

No Django here: numpy, scipy and pyworld (eSpeak NG through ``dsp.espeak``).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pyworld
from scipy import ndimage

from . import espeak
from .audio_io import resample

FRAME_PERIOD_MS = 5.0
_FP = FRAME_PERIOD_MS / 1000.0

# --------------------------------------------------------------------------- data


@dataclass
class SpokenSyllable:
    start_s: float  # first onset consonant (or the vowel when there is none)
    nucleus_start_s: float  # the vowel: the part that is stretched to the note
    nucleus_end_s: float
    end_s: float  # end of the last coda consonant
    hold: float = 0.5  # where in the nucleus the held vowel sits (0.3: "aɪ" holds the a; 0.75: "iɑ" the ɑ)


@dataclass
class SpokenLine:
    samples: np.ndarray  # float64 mono speech, read-only (cached and shared)
    sr: int
    syllables: list[SpokenSyllable]
    language: str  # "zh" | "en"
    _world: object = field(default=None, repr=False, compare=False)  # cached WORLD analysis


@dataclass
class VoiceSettings:
    register: str = "female"  # "female" | "male"
    formant_ratio: float = 1.0  # >1 moves formants up (smaller, brighter voice), <1 down
    vibrato_rate_hz: float = 5.5
    vibrato_depth_cents: float = 30.0  # peak deviation once the vibrato has ramped in
    breathiness: float = 0.0  # 0..1: aperiodicity added on top of the speech's own
    # The neural voice (engine.voice.kokoro), fitted to a persona's clip: its style vector (256
    # values) and the envelope EQ (dB per band, dsp.timbre). None: the stock voice of `register`.
    style: np.ndarray | None = None
    eq_db: np.ndarray | None = None
    envelope_bank: dict | None = None  # engine.voice.envelope_transfer.build_bank of the persona's clip


# --------------------------------------------------------------------------- syllables

_VOWEL_CHARS = set("aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪɯɵøœɶʉʊʌʏɿʅᵻɯ")
_SYLLABIC_MARK = "\u0329"  # n̩, l̩


def _is_vowel(name: str) -> bool:
    return any(ch in _VOWEL_CHARS for ch in name) or _SYLLABIC_MARK in name


def _is_silence(name: str) -> bool:
    return name.strip() in ("", "_", "_:", "_!", "_^_", "||", "|") or name.startswith("(")


def _is_han(ch: str) -> bool:
    return len(ch) == 1 and ("CJK" in unicodedata.name(ch, "") and "IDEOGRAPH" in unicodedata.name(ch, ""))


def _syllables_from_events(events: list, duration_s: float, text: str, language: str) -> list[SpokenSyllable]:
    """Group phoneme events into syllables.

    Phonemes are (start, end, name, word index, word is one Han character). A
    vowel phoneme opens a nucleus; in Mandarin further vowels of the same Han
    character join it. Consonants between two nuclei go to the coda of the
    first when a word boundary separates them (before the boundary) and to the
    onset of the second after it; inside a word the last consonant is the next
    onset and the rest are coda.
    """
    phones = []  # [start, end, name, word, han]
    word, han = -1, False
    timeline = []
    for kind, pos_ms, name, text_pos, length in events:
        if kind == espeak.EVENT_WORD:
            word += 1
            chunk = text[max(text_pos - 1, 0) : max(text_pos - 1, 0) + max(length, 0)]
            han = language == "zh" and len(chunk) == 1 and _is_han(chunk)
        else:
            timeline.append([pos_ms / 1000.0, None, name, word, han])
    for i, ph in enumerate(timeline):
        ph[1] = timeline[i + 1][0] if i + 1 < len(timeline) else duration_s
        if ph[1] > ph[0] and not _is_silence(ph[2]):
            phones.append(ph)
    if not phones:
        return []
    # Nuclei: indexes into phones (start, end index inclusive).
    nuclei: list[list[int]] = []
    for i, ph in enumerate(phones):
        if not _is_vowel(ph[2]):
            continue
        if nuclei:
            prev = phones[nuclei[-1][1]]
            if ph[4] and prev[4] and prev[3] == ph[3]:
                nuclei[-1][1] = i  # same Han character: one syllable (diphthong split over events)
                continue
        nuclei.append([i, i])
    if not nuclei:  # "hmm", "sh": one syllable, the whole utterance its nucleus
        return [SpokenSyllable(phones[0][0], phones[0][0], phones[-1][1], phones[-1][1])]
    bounds = []  # (first phone, last phone) of every syllable
    first = 0
    for k, (_n0, n1) in enumerate(nuclei):
        if k + 1 < len(nuclei):
            m0 = nuclei[k + 1][0]
            between = list(range(n1 + 1, m0))
            gap_words = {phones[j][3] for j in between} | {phones[m0][3]}
            if len(gap_words) > 1 or phones[n1][3] != phones[m0][3]:
                # word boundary: coda = consonants still in this word
                last = n1
                for j in between:
                    if phones[j][3] == phones[n1][3]:
                        last = j
                    else:
                        break
            else:
                last = m0 - 2 if len(between) >= 1 else n1
                last = max(last, n1)
            bounds.append((first, last))
            first = last + 1
        else:
            bounds.append((first, len(phones) - 1))
    out = []
    for (a, b), (n0, n1) in zip(bounds, nuclei):
        vowels = "".join(ch for j in range(n0, n1 + 1) for ch in phones[j][2] if ch in _VOWEL_CHARS)
        out.append(
            SpokenSyllable(
                start_s=phones[a][0],
                nucleus_start_s=phones[n0][0],
                nucleus_end_s=phones[n1][1],
                end_s=phones[b][1],
                hold=_hold_point(vowels, language),
            )
        )
    return out


def _hold_point(vowels: str, language: str) -> float:
    """Monophthongs are held in the middle, falling diphthongs (aɪ, eɪ, oʊ, ai, ao) on their
    first vowel, Mandarin rising ones (iɑ, uo, iɛ) on their last, triphthongs (uei, iao) mid."""
    if len(vowels) < 2:
        return 0.5
    glides = "iuyɪʊ"
    if language == "zh" and vowels[0] in glides and vowels[1] not in glides:
        return 0.5 if len(vowels) >= 3 and vowels[-1] in glides else 0.75
    return 0.3


def _espeak_language(language: str) -> str:
    lang = (language or "en").lower()
    return "zh" if lang.startswith(("zh", "cmn", "yue")) else "en"


@functools.lru_cache(maxsize=128)
def _speak_cached(text: str, language: str, voice: str) -> SpokenLine:
    variant = "+m3" if voice == "male" else "+f3"
    name = ("cmn" if language == "zh" else "en") + variant
    audio, sr, events = espeak.synthesize(text, name)
    audio.setflags(write=False)
    if not len(audio):
        return SpokenLine(samples=audio, sr=sr, syllables=[], language=language)
    syllables = _syllables_from_events(events, len(audio) / sr, text, language)
    return SpokenLine(samples=audio, sr=sr, syllables=syllables, language=language)


def speak_line(text: str, language: str, *, voice: str = "female") -> SpokenLine:
    """Speak one lyric line with eSpeak NG and find where its syllables are.

    Parameters
    ----------
    text : str
        The line (runs of whitespace count as one space).
    language : str
        "en" or "zh".
    voice : str
        "male", else the female voice.

    Returns
    -------
    SpokenLine
        float64 mono speech at eSpeak NG's rate with its syllables. Cached: treat it as read-only.
    """
    text = " ".join(str(text or "").split())
    voice = "male" if voice == "male" else "female"
    return _speak_cached(text, _espeak_language(language), voice)


def syllable_count(text: str, language: str) -> int:
    """Count the notes a line needs: one per syllable eSpeak NG speaks.

    Parameters
    ----------
    text : str
        The line.
    language : str
        "en" or "zh".

    Returns
    -------
    int
        Number of syllables.
    """
    return len(speak_line(text, language).syllables)


# --------------------------------------------------------------------------- voice choice


def voice_for(profile: dict | None, tags: str) -> VoiceSettings:
    """Choose voice settings from a persona's voice profile, else from the style tags.

    Parameters
    ----------
    profile : dict or None
        A ``VoiceProfile`` dict (plus the fitted "style", "eq_db", "envelope_bank"); unused without a median pitch.
    tags : str
        Style text; "breathy", "whisper", "airy" (or 气声, 气息) add breathiness, and without a profile the
        first of a male or a female word ("man", "girl", 男, ...) picks the register (female by default).

    Returns
    -------
    VoiceSettings
        Register, formant ratio, vibrato and breathiness, clipped to what the voice sings well.
    """
    tags_l = (tags or "").lower()
    breathy_tag = any(w in tags_l for w in ("breathy", "whisper", "airy", "气声", "气息"))
    if profile and float(profile.get("median_hz") or 0) > 0:
        median = float(profile["median_hz"])
        register = profile.get("register") or ("male" if median < 175.0 else "female")
        register = "male" if register == "male" else "female"
        rate = float(profile.get("vibrato_rate_hz") or 0)
        depth = float(profile.get("vibrato_depth_cents") or 0)
        ratio = float(profile.get("formant_ratio") or 1.0)
        breath = float(profile.get("breathiness") or 0.0)
        style = profile.get("style")
        eq_db = profile.get("eq_db")
        return VoiceSettings(
            style=np.asarray(style, dtype=np.float32) if style else None,
            eq_db=np.asarray(eq_db, dtype=float) if eq_db else None,
            envelope_bank=profile.get("envelope_bank") or None,
            register=register,
            formant_ratio=float(np.clip(ratio, 0.85, 1.2)),
            vibrato_rate_hz=float(np.clip(rate, 4.0, 7.5)) if rate > 0 else 5.5,
            vibrato_depth_cents=float(np.clip(depth, 8.0, 60.0)) if depth > 0 else 30.0,
            # profile.breathiness is the clip's mean D4C aperiodicity (0-4 kHz). This voice sung
            # plainly measures ~0.17, with breathiness 1.0 ~0.30: invert that, capped.
            breathiness=float(np.clip((breath - 0.18) / 0.12, 0.0, 0.6)) + (0.25 if breathy_tag else 0.0),
        )
    female = _FEMALE_TAG.search(tags_l)
    male = _MALE_TAG.search(tags_l)
    register = "male" if male and (not female or male.start() < female.start()) else "female"
    return VoiceSettings(register=register, formant_ratio=1.0, breathiness=0.25 if breathy_tag else 0.0)


_FEMALE_TAG = re.compile(r"female|woman|women|girl|女")
_MALE_TAG = re.compile(r"(?<!fe)male|\bman\b|\bmen\b|\bboy|男")


# --------------------------------------------------------------------------- singing


@dataclass
class _World:
    f0: np.ndarray  # F0 per frame, nuclei gap-filled
    voiced: np.ndarray  # bool: DIO found a pitch here (before filling)
    sp: np.ndarray  # CheapTrick power envelope (frames, bins)
    ap: np.ndarray  # D4C aperiodicity
    sr: int


def _analyse(spoken: SpokenLine) -> _World:
    if isinstance(spoken._world, _World):
        return spoken._world
    x = np.ascontiguousarray(spoken.samples, dtype=np.float64)
    sr = spoken.sr
    f0, t = pyworld.dio(x, sr, f0_floor=70.0, f0_ceil=800.0, frame_period=FRAME_PERIOD_MS, speed=4)
    f0 = pyworld.stonemask(x, f0, t, sr)
    voiced = f0 > 0
    filled = f0.copy()
    fallback = float(np.median(f0[voiced])) if voiced.any() else 200.0
    if voiced.any():
        idx = np.flatnonzero(voiced)
        interp = np.interp(np.arange(len(f0)), idx, f0[idx])
    else:
        interp = np.full(len(f0), fallback)
    for syl in spoken.syllables:
        a = int(syl.nucleus_start_s / _FP)
        b = min(len(f0), int(math.ceil(syl.nucleus_end_s / _FP)) + 1)
        seg = filled[a:b]
        seg[seg <= 0] = interp[a:b][seg <= 0]
    sp = pyworld.cheaptrick(x, filled, t, sr)
    # Aperiodicity changes slowly: D4C (the costliest step) on every third frame, interpolated.
    step = 3
    coarse = np.arange(0, len(t), step)
    if coarse[-1] != len(t) - 1:
        coarse = np.append(coarse, len(t) - 1)
    ap_coarse = pyworld.d4c(x, np.ascontiguousarray(filled[coarse]), np.ascontiguousarray(t[coarse]), sr, threshold=0.0)
    frames = np.arange(len(t))
    j = (
        np.clip(np.searchsorted(coarse, frames, side="right") - 1, 0, len(coarse) - 2)
        if len(coarse) > 1
        else np.zeros(len(t), dtype=int)
    )
    if len(coarse) > 1:
        w = ((frames - coarse[j]) / (coarse[j + 1] - coarse[j]))[:, None]
        ap = ap_coarse[j] * (1 - w) + ap_coarse[j + 1] * w
    else:
        ap = ap_coarse[j]
    # Synthesis cost is one FFT per pitch pulse: a 512-point FFT (every other bin of the
    # 1024-point analysis; the envelopes are smooth) renders ~2x faster and sounds the same.
    sp = np.ascontiguousarray(sp[:, ::2])
    ap = np.ascontiguousarray(ap[:, ::2])
    world = _World(
        f0=filled,
        voiced=voiced | (filled > 0) & _in_nuclei(len(f0), spoken.syllables),
        sp=sp.astype(np.float32),
        ap=ap.astype(np.float32),
        sr=sr,
    )
    spoken._world = world
    return world


def _in_nuclei(n: int, syllables: list[SpokenSyllable]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for syl in syllables:
        mask[int(syl.nucleus_start_s / _FP) : int(math.ceil(syl.nucleus_end_s / _FP)) + 1] = True
    return mask


def _align_notes(notes: list, n_syll: int) -> list[list[tuple[float, float, float]]]:
    """One list of notes per syllable: several when the melody has more notes (melisma),
    a share of one note when it has fewer."""
    clean = sorted((float(s), max(float(d), 0.02), float(m)) for s, d, m in notes)
    n = len(clean)
    if n == n_syll:
        return [[note] for note in clean]
    if n > n_syll:
        groups = []
        for j in range(n_syll):
            a, b = (j * n) // n_syll, ((j + 1) * n) // n_syll
            groups.append(clean[a : max(b, a + 1)])
        return groups
    groups = []
    for i, (s, d, m) in enumerate(clean):
        a, b = (i * n_syll) // n, ((i + 1) * n_syll) // n
        k = max(b - a, 1)
        groups.extend([[(s + d * q / k, d / k, m)] for q in range(k)])
    return groups[:n_syll]


def _warp_envelope(sp: np.ndarray, ratio: float) -> np.ndarray:
    """Scale the envelope along frequency: a formant at f moves to f * ratio."""
    if abs(ratio - 1.0) < 1e-3:
        return sp
    bins = sp.shape[1]
    pos = np.arange(bins) / ratio
    pos = np.clip(pos, 0, bins - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, bins - 1)
    w = pos - lo
    return sp[:, lo] * (1.0 - w) + sp[:, hi] * w


def _add_breath(ap: np.ndarray, breathiness: float, *, sr: int) -> np.ndarray:
    if breathiness <= 0:
        return ap
    freqs = np.linspace(0, sr / 2, ap.shape[1])
    weight = np.clip(0.35 + 0.65 * freqs / 3000.0, 0.0, 1.0)  # breath noise lives higher up
    amount = np.clip(breathiness, 0.0, 1.0) * 0.8 * weight
    return ap + (1.0 - ap) * amount[None, :]


def sing_line(
    spoken: SpokenLine, notes: list[tuple[float, float, float]], *, voice: VoiceSettings, sr: int
) -> tuple[float, np.ndarray]:
    """Sing a spoken line on its notes (WORLD resynthesis of the speech).

    Parameters
    ----------
    spoken : SpokenLine
        The line as :func:`speak_line` spoke it.
    notes : list of tuple of (float, float, float)
        ``(start_s, dur_s, midi)`` per syllable, in seconds of song time.
    voice : VoiceSettings
        Register, formants, vibrato and breathiness to sing with.
    sr : int
        Sample rate of the result in Hz.

    Returns
    -------
    start_s : float
        Where the samples begin in song time: the first note minus its onset consonants (may be < 0 for
        a note at 0).
    samples : np.ndarray [shape=(n,)]
        Mono float32 at ``sr`` Hz; empty without notes or syllables.
    """
    syllables = spoken.syllables
    if not notes:
        return 0.0, np.zeros(0, dtype=np.float32)
    if not syllables or not len(spoken.samples):
        return float(min(n[0] for n in notes)), np.zeros(0, dtype=np.float32)
    groups = _align_notes(notes, len(syllables))
    world = _analyse(spoken)
    spans = _syllable_spans_s(syllables, groups)
    t0 = spans[0][0]
    t1 = max(sp[3] for sp in spans) + 0.03
    t_out = t0 + np.arange(int(math.ceil((t1 - t0) / _FP)) + 1) * _FP
    src_t, active, nucleus = _source_time_s(syllables, spans, t_out)
    sp, ap, voiced = _source_frames(world, src_t, active=active, nucleus=nucleus, voice=voice)
    midi, since_note_s = _melody_midi(groups, t_out, voice=voice)
    f0 = np.where(voiced, 440.0 * 2.0 ** ((midi - 69.0) / 12.0), 0.0)

    # Silence between syllables, with 10 ms fades so nothing clicks.
    gain = np.convolve(active.astype(float), np.hanning(6)[1:-1] / np.hanning(6)[1:-1].sum(), "same")
    sp = sp * (gain**2)[:, None] + 1e-16
    ap = np.where(active[:, None], ap, 1.0)

    y = pyworld.synthesize(
        np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(ap), world.sr, FRAME_PERIOD_MS
    )
    y = y[: int((t1 - t0) * world.sr)]
    y = _steady_held_notes(y, sr=world.sr, held=nucleus & (since_note_s > 0.15))
    return float(t0), _levelled(y, sr_from=world.sr, sr=sr)


def _syllable_spans_s(syllables: list[SpokenSyllable], groups: list) -> list[tuple[float, float, float, float]]:
    """Where each syllable goes in song time: (onset start, vowel start, vowel end, end) in seconds.

    Each syllable's vowel starts on its first note; its onset consonants come before (at most 0.25 s
    and 40 % of the gap to the previous syllable), its coda after (at most 35 % of its own time).
    """
    starts = np.array([g[0][0] for g in groups])
    ends = np.array([max(nt[0] + nt[1] for nt in g) for g in groups])
    ends = np.maximum(ends, starts + 0.04)
    n = len(syllables)
    onset = np.array([s.nucleus_start_s - s.start_s for s in syllables])
    coda = np.array([s.end_s - s.nucleus_end_s for s in syllables])
    for i in range(n):
        room = 0.3 if i == 0 else 0.4 * max(starts[i] - starts[i - 1], 0.0)
        onset[i] = min(onset[i], 0.25, room)
    spans = []
    for i in range(n):
        limit = ends[i]
        if i + 1 < n:
            limit = min(limit, starts[i + 1] - onset[i + 1])
        limit = max(limit, starts[i] + 0.04)
        co = min(coda[i], 0.35 * (limit - starts[i]))
        spans.append((starts[i] - onset[i], starts[i], limit - co, limit))
    return spans


def _source_time_s(
    syllables: list[SpokenSyllable], spans: list[tuple[float, float, float, float]], t_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output frame: the speech time it sings (s), whether a syllable sounds, whether it is a vowel.

    The vowel's transitions keep their speed; the held part (around the syllable's `hold`) takes the rest.
    """
    n_out = len(t_out)
    t0 = t_out[0]
    src_t = np.zeros(n_out)
    active = np.zeros(n_out, dtype=bool)
    nucleus = np.zeros(n_out, dtype=bool)
    for syl, (o0, o1, o2, o3) in zip(syllables, spans):
        a = max(int(math.ceil((o0 - t0) / _FP - 1e-9)), 0)
        b = min(int(math.ceil((o3 - t0) / _FP - 1e-9)), n_out)
        if b <= a:
            continue
        ns, ne = syl.nucleus_start_s, syl.nucleus_end_s
        out_len, src_len = o2 - o1, ne - ns
        centre = ns + float(np.clip(syl.hold, 0.1, 0.9)) * src_len
        half = min(0.015, src_len / 6.0)
        before, after = centre - half - ns, ne - centre - half
        slack = out_len - (before + after)
        xk = [o0, o1 - 1e-6, o1, o1 + before, o2 - after, o2, o2 + 1e-6, o3]
        yk = [syl.start_s, ns, ns, centre - half, centre + half, ne, ne, syl.end_s]
        if slack <= 2 * half or out_len <= src_len:  # squeeze the whole vowel evenly
            xk = [o0, o1 - 1e-6, o1, o2, o2 + 1e-6, o3]
            yk = [syl.start_s, ns, ns, ne, ne, syl.end_s]
        tt = t_out[a:b]
        src_t[a:b] = np.interp(tt, xk, yk)
        active[a:b] = True
        nucleus[a:b] = (tt >= o1) & (tt < o2)
    return src_t, active, nucleus


def _source_frames(
    world: _World, src_t: np.ndarray, *, active: np.ndarray, nucleus: np.ndarray, voice: VoiceSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(envelope, aperiodicity, voiced) per output frame, read from the speech at `src_t` (linear interpolation
    between neighbouring frames), with the voice's formant shift and breath."""
    n_src = len(world.f0)
    pos = np.clip(src_t / _FP, 0, n_src - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_src - 1)
    w = (pos - lo)[:, None]
    sp_src = _warp_envelope(world.sp, float(voice.formant_ratio))
    ap_src = _add_breath(world.ap, float(voice.breathiness), sr=world.sr)
    sp = sp_src[lo] * (1 - w) + sp_src[hi] * w
    ap = ap_src[lo] * (1 - w) + ap_src[hi] * w
    near = np.round(pos).astype(int)
    voiced = active & (nucleus | world.voiced[near])
    # eSpeak's consonant transitions flicker between voiced and not every 10-30 ms; sung, that
    # sounds like a crackle and reads as extra syllables. Close short gaps, drop short islands.
    voiced = ndimage.binary_closing(voiced, structure=np.ones(5, bool)) & active
    voiced = ndimage.binary_opening(voiced, structure=np.ones(3, bool)) | (nucleus & active)
    return sp, ap, voiced


def _melody_midi(groups: list, t_out: np.ndarray, *, voice: VoiceSettings) -> tuple[np.ndarray, np.ndarray]:
    """(pitch in MIDI per output frame, seconds since the note sounding began): the latest note held, a
    70 ms glide into the next, vibrato ramped in after the attack, and a slow random drift of a few cents."""
    n_out = len(t_out)
    flat = sorted(nt for g in groups for nt in g)
    n_starts = np.array([nt[0] for nt in flat])
    n_midi = np.array([nt[2] for nt in flat])
    glide = 0.07
    k = np.clip(np.searchsorted(n_starts, t_out + 0.35 * glide, side="right") - 1, 0, len(flat) - 1)
    target = n_midi[k]
    width = max(int(round(glide / _FP)), 1)
    kernel = np.hanning(width + 2)[1:-1]
    kernel /= kernel.sum()
    padded = np.pad(target, (width, width), mode="edge")
    midi = np.convolve(padded, kernel, mode="same")[width:-width]
    k_now = np.clip(np.searchsorted(n_starts, t_out, side="right") - 1, 0, len(flat) - 1)
    since = t_out - n_starts[k_now]
    ramp = np.clip((since - 0.15) / 0.25, 0.0, 1.0)
    vib = (voice.vibrato_depth_cents / 100.0) * ramp * np.sin(2 * np.pi * voice.vibrato_rate_hz * since)
    rng = np.random.default_rng(len(flat))
    drift = np.convolve(rng.normal(0, 1, n_out + 40), np.hanning(40) / np.hanning(40).sum(), "same")[20:-20]
    return midi + vib + 0.04 * drift / (np.std(drift) + 1e-9), since


def _levelled(y: np.ndarray, *, sr_from: int, sr: int) -> np.ndarray:
    """The sung line at about -20 dBFS while sounding (peak at most 0.95), resampled to `sr`, with 4 ms fades."""
    seg = y[np.abs(y) > 1e-4]
    rms = float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0
    if rms > 0:
        y = y * (0.1 / rms)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0.95:
        y = y * (0.95 / peak)
    y = resample(y, sr_from=sr_from, sr_to=sr)
    fade = min(int(0.004 * sr), len(y) // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade)
        y[:fade] *= ramp
        y[-fade:] *= ramp[::-1]
    return y.astype(np.float32)


def _steady_held_notes(y: np.ndarray, *, sr: int, held: np.ndarray) -> np.ndarray:
    """Even out the level of held vowels.

    Vibrato sweeps the harmonics across eSpeak's sharp formant peaks, so some vowels (雪, 花)
    swing by 5 dB at the vibrato rate: a tremolo that sounds like a warble and reads as a
    string of new syllables. Level changes faster than ~4 Hz are removed, by up to 6 dB.
    """
    hop = int(round(sr * _FP))
    n = min(len(y) // hop, len(held))
    if n < 8 or not held[:n].any():
        return y
    level = 10.0 * np.log10(np.mean(y[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    short = ndimage.uniform_filter1d(level, size=max(1, int(round(0.03 / _FP))))
    slow = ndimage.uniform_filter1d(level, size=max(1, int(round(0.25 / _FP))))
    gain_db = np.where(held[:n], np.clip(slow - short, -6.0, 6.0), 0.0)
    gain_db = ndimage.uniform_filter1d(gain_db, size=max(1, int(round(0.02 / _FP))))
    gain = np.interp(np.arange(len(y)), (np.arange(n) + 0.5) * hop, 10.0 ** (gain_db / 20.0))
    return y * gain


def sing(
    lines: list[tuple[SpokenLine, list[tuple[float, float, float]], bool]],
    *,
    voice: VoiceSettings,
    sr: int,
    n_samples: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Sing every line and place it on the song's timeline.

    Parameters
    ----------
    lines : iterable of tuple of (SpokenLine, list of tuple, bool)
        ``(spoken, notes, is_backing)`` per line, notes as ``(start_s, dur_s, midi)`` in song time.
    voice : VoiceSettings
        Register, formants, vibrato and breathiness to sing with.
    sr : int
        Sample rate in Hz.
    n_samples : int
        Length of the song in samples.

    Returns
    -------
    lead : np.ndarray [shape=(n_samples,)]
        Mono float32 lead vocal at ``sr`` Hz.
    backing : np.ndarray [shape=(n_samples, 2)]
        Stereo float32 backing vocals: 6 dB softer, panned left and right in turn.
    """
    rendered = []
    for spoken, notes, is_backing in lines:
        start_s, y = sing_line(spoken, list(notes), voice=voice, sr=sr)
        rendered.append((start_s, y, is_backing))
    return place_lines(rendered, sr=sr, n_samples=n_samples)


def place_lines(
    rendered: list[tuple[float, np.ndarray, bool]], *, sr: int, n_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """Put sung lines in place on the song's timeline.

    Parameters
    ----------
    rendered : list of tuple of (float, np.ndarray, bool)
        ``(start_s, samples, is_backing)`` per line, samples mono (m,) at ``sr`` Hz; what falls before 0 or
        after ``n_samples`` is cut.
    sr : int
        Sample rate in Hz.
    n_samples : int
        Length of the song in samples.

    Returns
    -------
    lead : np.ndarray [shape=(n_samples,)]
        Mono float32 lead vocal.
    backing : np.ndarray [shape=(n_samples, 2)]
        Stereo float32 backing vocals: 6 dB softer, panned left and right in turn.
    """
    n_samples = max(int(n_samples), 0)
    lead = np.zeros(n_samples, dtype=np.float32)
    backing = np.zeros((n_samples, 2), dtype=np.float32)
    n_backing = 0
    for start_s, y, is_backing in rendered:
        if not len(y):
            continue
        at = int(round(start_s * sr))
        if at < 0:
            y, at = y[-at:], 0
        y = y[: max(n_samples - at, 0)]
        if not len(y):
            continue
        if is_backing:
            pan = -0.6 if n_backing % 2 == 0 else 0.6
            angle = (pan + 1.0) * math.pi / 4.0
            g = 0.5  # -6 dB
            backing[at : at + len(y), 0] += y * (g * math.cos(angle))
            backing[at : at + len(y), 1] += y * (g * math.sin(angle))
            n_backing += 1
        else:
            lead[at : at + len(y)] += y
    return lead, backing
