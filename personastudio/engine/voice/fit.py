"""Fit the singing voice to a persona's clip: a style vector, an envelope bank and an EQ, chosen by a speaker model.

The clip's voice is split in two: the first part is the target, the rest is kept back to check
the fit. The target's voiced frames make the persona's envelope bank (voice.envelope_transfer). A
probe tune is sung in the persona's register with a candidate Kokoro style, its envelopes are
moved toward the bank's frames (a clip too short for a bank gets a static EQ, dsp.timbre,
instead), and the speaker embedding (Resemblyzer's encoder, voice.embedding) says how close it
comes. The candidates are the register's stock styles (FIT_EVALUATIONS of them, the register's
own first: measured below); STYLE_SEARCH adds a CMA-ES search (the `cma` package) around the
closest in the subspace where Kokoro's own voices vary. Of the closest, the first whose words are
understood (PocketSphinx) is kept, and the held-back part gives the likeness on the persona page:

    likeness = (sim(fitted, held) - sim(stock, held)) / (sim(target, held) - sim(stock, held))

0 is no closer than the engine's stock voice of that register, 1 as close as the clip is to itself.

No Django here.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..dsp import timbre
from ..dsp.profile import hz_to_midi
from ..dsp.voice import place_lines
from . import embedding, envelope_transfer, kokoro
from .thresholds import LIKENESS_FLOOR, LIKENESS_GOAL  # noqa: F401 (re-exported for the reports)
from .weights import WeightsMissing

logger = logging.getLogger(__name__)

# What a persona sings with: the register's stock style that sings the clip's voice closest, with
# the envelope bank of its clip. Which style sings a speaker closest once the bank has moved it
# differs a lot: the report's English song in every male style moved toward en1's clip gave L +0.08
# to +0.58 (the stock am_fenrir +0.39, am_eric +0.58, am_liam +0.51); every female style toward
# us1's, -0.55 to +0.30 (the stock af_kore +0.16). The fit hears each style sing the four
# PROBE_LINES through the bank and compares it with the clip's target part: for en1 that ranking
# followed the songs' (Spearman 0.61; one line: 0.41) and picked am_eric. Hearing every style sing
# all four lines took a 30 s clip's fit past 3 minutes, so the others sing the first line and the
# SHORTLIST closest sing all four (for en1 the first line's three closest held am_eric). A CMA-ES
# search around the closest style (STYLE_SEARCH) found styles the probe heard closer that did not
# sing the songs closer and cost the words (us1 / us2 L -0.20 / +0.58 against the stock style's
# -0.11 / +0.57, WER 36 / 41 % against 41 / 28 %; 2026-12-07), so it is off. FIT_EVALUATIONS is how
# many stock styles are heard, the register's own first: 20 is all of them (14 male, 18 female in
# START_STYLE_LANGUAGES).
FIT_EVALUATIONS = 20
SHORTLIST = 4  # the register's own style and the 3 others closest on the first line
# Another style replaces the register's own only when the four lines hear it this much closer (cosine
# similarity): the ranking among close styles did not follow the songs'. us2's am_liam, 0.032 closer
# than the stock am_fenrir, sang his song less like (L +0.48 against +0.56) and less clearly (WER 35
# against 23 %); en1's am_eric, 0.07 closer, sang his at +0.58 against +0.42 (WER 25 against 22 %).
# The held-back check's run-to-run spread (about 0.1 of likeness) is about 0.03 of similarity.
STYLE_MARGIN = 0.05
STYLE_SEARCH = False  # True: CMA-ES around the closest stock style with what is left of the budget
SEARCH_DIMENSIONS = 12
SEARCH_SIGMA = 0.6  # in units of each direction's natural spread across the stock voices
POPULATION: int | None = None  # CMA-ES population per generation (None: 4 + 3 ln(dimensions))
# Words: the most similar styles found (the search's best few, distinct, the start and the stock
# style) are heard speaking FIT_SENTENCES through the whole chain by PocketSphinx
# (voice.intelligibility), most similar first; the fit keeps the first whose WER is at most the
# stock voice's own plus WER_SLACK; when none is (the envelope bank itself can cost the words: us1's
# took the report's WER from 21 to 39 %), the persona sings as the stock voice. So a persona is never
# much harder to understand than the engine's stock voice. (An absolute bar does not carry over from one
# sentence set to another: the stock voices score 12-21 % on FIT_SENTENCES, 21-24 % on the report's.)
WER_CANDIDATES = 2  # 0: no check (the most similar style wins)
WER_GOAL = 0.25  # the report's goal, on intelligibility.REPORT_SENTENCES
WER_SLACK = 0.05  # about one word in 20: the spread of an 8-sentence WER between runs
# The stock voices a search may start from: the clip's register, in the languages whose styles sing
# English words (Kokoro's style names start with the language: a/b American/British English, j Japanese).
START_STYLE_LANGUAGES = "abj"
HELD_BACK_SHARE = 0.35
# A fit that is not clearly closer to the held-back part than the stock voice (likeness below this)
# is not kept: the persona sings with the stock voice and no envelope bank or EQ, likeness 0. The
# held-back check's figure moves by about 0.1 between runs of the same clip (us1: -0.11 to +0.09 in 7
# fits, whose songs the bank took further from her, L -0.11 to -0.20; us2 and en1: +0.35 to +0.50,
# songs +0.5), so a fit must clear that spread.
KEEP_STOCK_BELOW = 0.15
MIN_PART_S = 3.0
PROBE_LINES = (  # one tune per line; the first alone screens the styles (SHORTLIST) and is all a single candidate sings
    "Hold the light and sing it to the morning",
    "Walking slowly down the empty street",
    "All the stars are falling into blue",
    "Every night I wait for you to come back",
)
CHECK_LINES = ("Every road I walk is coming home tonight", "I can hear the river calling out my name")
PROBE_SHAPE = (0, 2, 4, 2, 0, -3, -1, 0, 2, 0)  # semitones around the probe's centre
NOTE_S = 0.34


@dataclass
class FittedVoice:
    style: np.ndarray  # (256,) float32 Kokoro style vector
    bank: dict | None  # envelope_transfer.build_bank of the target part
    eq_db: np.ndarray  # (timbre.N_EQ_BANDS,) gain per band
    likeness: float  # on the held-back part of the clip, see the module docstring (not clipped)
    similarity: float  # sim(fitted, held)
    stock_similarity: float  # sim(stock, held)
    self_similarity: float  # sim(target part, held part)
    evaluations: int
    wer: float | None = None  # the chosen style's WER on intelligibility.FIT_SENTENCES (None: not checked)
    stock_kept: bool = False  # the fit came out further from the clip than the stock voice (KEEP_STOCK_BELOW)

    def to_profile(self) -> dict:
        """What the persona stores and the singer reads (voice.kokoro via engine.song)."""
        return {
            "voice_model": kokoro.MODEL_NAME,
            "style": [round(float(v), 5) for v in self.style],
            "envelope_bank": self.bank,
            "stock_kept": self.stock_kept,
            "eq_db": None if self.stock_kept else [round(float(v), 2) for v in self.eq_db],  # None: no filter at all
            "likeness": 0.0 if self.stock_kept else round(float(np.clip(self.likeness, 0.0, 1.0)), 3),
            "likeness_raw": round(float(self.likeness), 3),
            "similarity": round(float(self.similarity), 4),
            "stock_similarity": round(float(self.stock_similarity), 4),
            "self_similarity": round(float(self.self_similarity), 4),
            **({"fit_wer": round(float(self.wer), 3)} if self.wer is not None else {}),
        }


def probe_centre_midi(median_hz: float, *, register: str, vibrato_depth_cents: float = 0.0) -> float:
    """Where the probe tune sits: the persona's median, or lower so that it stays under the voice's ceiling.

    The song's melody is written under the style's ceiling (``singer.melody_range_midi``); a probe
    above it would be transposed and resampled (formants raised), a voice the songs never sing
    with. So the fit hears its candidates where the songs will sing.
    """
    centre = hz_to_midi(median_hz) if median_hz > 0 else 60.0
    ceiling = kokoro.singable_range_midi(kokoro.stock_style(register))[1]
    top_step = max(PROBE_SHAPE) + 1  # every second line is a semitone higher
    return float(min(centre, ceiling - top_step - max(vibrato_depth_cents, 0.0) / 100.0))


def probe_notes(centre_midi: float, *, lines: int = 1, start_s: float = 0.2) -> list[list[tuple[float, float, float]]]:
    """The probe tune around `centre_midi`, one list of (start_s, dur_s, midi) per line."""
    centre = float(centre_midi)
    tunes, t = [], start_s
    for i in range(lines):
        notes = []
        for k, step in enumerate(PROBE_SHAPE):
            dur = NOTE_S * (2.0 if k == len(PROBE_SHAPE) - 1 else 1.0)
            notes.append((t, dur, centre + step + (i % 2)))
            t += dur
        tunes.append(notes)
        t += 0.4
    return tunes


def _voiced_split(samples: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(target part, held-back part) of the voice, cut between frames, silence left out."""
    x = np.asarray(samples, dtype=np.float32)
    hop = int(0.02 * sr)
    n = len(x) // hop
    if n == 0:
        return x, x
    level = 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    active = level > (np.max(level) - 35.0)
    frames = x[: n * hop].reshape(n, hop)[active].reshape(-1)
    cut = int(len(frames) * (1.0 - HELD_BACK_SHARE))
    if cut < MIN_PART_S * sr or len(frames) - cut < MIN_PART_S * sr:
        return frames, frames  # too short to split: check on what it fitted (the page says less then)
    return frames[:cut], frames[cut:]


class _Probe:
    """Sings the probe with a style, moves it toward the persona's envelopes, embeds it."""

    sr = envelope_transfer.TRANSFER_SR_HZ

    def __init__(
        self,
        *,
        texts: tuple[str, ...],
        centre_midi: float,
        target_env_db: np.ndarray | None,
        bank: dict | None,
        vibrato: tuple[float, float] = (0.0, 0.0),
    ):
        self.texts = texts
        self.tunes = probe_notes(centre_midi, lines=len(texts))
        self.target_env_db = target_env_db
        self.bank = bank
        self.vibrato_rate_hz, self.vibrato_depth_cents = vibrato

    def sing(self, style: np.ndarray) -> np.ndarray:
        """The probe in `style`, with no persona data (Kokoro's own output), at self.sr."""
        end_s = max(n[0] + n[1] for tune in self.tunes for n in tune) + 0.5
        lines = [
            (
                *kokoro.sing_line(
                    text,
                    "en",
                    notes,
                    style=style,
                    vibrato_rate_hz=self.vibrato_rate_hz,
                    vibrato_depth_cents=self.vibrato_depth_cents,
                    sr=self.sr,
                ),
                False,
            )
            for text, notes in zip(self.texts, self.tunes)
        ]
        lead, _backing = place_lines(lines, sr=self.sr, n_samples=int(end_s * self.sr))
        return lead

    def eq_for(self, sung: np.ndarray) -> np.ndarray:
        """The static EQ that takes `sung`'s long-term envelope to the clip's: only when there is no envelope bank.

        The bank already moves each frame toward the clip's; an EQ on top then mostly hears the pitch
        difference between the clip and the song (a clip sung higher has fewer, brighter harmonics)
        and took the likeness away. Measured on the stock song moved toward three speakers' clips
        (2026-12-07, L without / with the EQ): us1 +0.16 / +0.02, us2 +0.54 / +0.53, en1 +0.43 / +0.43.
        """
        if self.target_env_db is None or self.bank is not None:
            return np.zeros(timbre.N_EQ_BANDS)
        env = timbre.long_term_envelope_db(sung, sr=self.sr)
        if env is None:
            return np.zeros(timbre.N_EQ_BANDS)
        return timbre.matching_eq_db(target_db=self.target_env_db, source_db=env)

    def render(self, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the probe as the persona sings it, the EQ that was applied)."""
        moved = envelope_transfer.transfer(self.sing(style), sr=self.sr, bank=self.bank)
        eq = self.eq_for(moved)
        return timbre.apply_eq_db(moved, sr=self.sr, eq_db=eq), eq

    def embed(self, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sung, eq = self.render(style)
        return embedding.embed_utterance(sung, sr=self.sr, fixed_level=True), eq

    def embed_stock(self, style: np.ndarray) -> np.ndarray:
        """The stock voice through the same chain with no persona data (so the vocoder's sound never counts)."""
        sung = envelope_transfer.resynthesise(self.sing(style), sr=self.sr)
        return embedding.embed_utterance(sung, sr=self.sr, fixed_level=True)


def _search_basis(*, dims: int) -> np.ndarray:
    """(dims, 256): the main directions in which the stock styles differ, each scaled to its spread."""
    return _principal_directions()[:dims].copy()


@functools.cache
def _principal_directions() -> np.ndarray:
    """All 256 principal directions of the stock style tables, scaled by their spread (computed once).

    From the 256 x 256 covariance (eigh), not an SVD of the 2550-row table: the same directions
    for a fraction of the work; each direction's sign is fixed (largest component positive).
    """
    table = np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, 256) for v in kokoro.style_tables().values()])
    centred = table - table.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(table))
    order = np.argsort(values)[::-1]
    values, vectors = np.maximum(values[order], 0.0), vectors[:, order].T
    signs = np.sign(vectors[np.arange(len(vectors)), np.argmax(np.abs(vectors), axis=1)])
    vectors *= np.where(signs == 0, 1.0, signs)[:, None]
    out = vectors * np.sqrt(values)[:, None]
    out.setflags(write=False)
    return out


def fit_persona_voice(
    samples: np.ndarray,
    *,
    sr: int,
    median_hz: float,
    register: str,
    vibrato_rate_hz: float = 0.0,
    vibrato_depth_cents: float = 0.0,
    on_progress: Callable[[float], None] | None = None,
    evaluations: int = FIT_EVALUATIONS,
    seed: int = 0,
) -> FittedVoice | None:
    """Fit a Kokoro style, an envelope bank and an EQ to the voice in `samples` (mono, the clip's vocals).

    `median_hz`, `register` ("female" | "male") and the vibrato are the clip's, as dsp.profile
    measured them: the probes are sung as the persona's songs will be (``probe_centre_midi``), and
    the stock voice of that register is the likeness's zero.

    Returns None when the neural voice is not installed (the engine then sings with its fallback).
    `on_progress(fraction)` is called after every probe.
    """
    try:
        styles = kokoro.load_styles()
        embedding.encoder()
    except WeightsMissing as exc:
        logger.warning("Persona fit skipped: %s", exc)
        return None
    progress = on_progress or (lambda fraction: None)
    target_part, held_part = _voiced_split(samples, sr=sr)
    target = embedding.embed_utterance(target_part, sr=sr, fixed_level=True)
    held = embedding.embed_utterance(held_part, sr=sr, fixed_level=True)
    bank = envelope_transfer.build_bank(target_part, sr=sr, seed=seed)
    progress(0.05)
    register = "male" if register == "male" else "female"
    sung_as = dict(
        centre_midi=probe_centre_midi(median_hz, register=register, vibrato_depth_cents=vibrato_depth_cents),
        vibrato=(float(vibrato_rate_hz), float(vibrato_depth_cents)),
    )
    budget = max(int(evaluations), 1)
    target_env_db = timbre.long_term_envelope_db(target_part, sr=sr)
    probes = {
        lines: _Probe(texts=PROBE_LINES[:lines], target_env_db=target_env_db, bank=bank, **sung_as)
        for lines in (1, len(PROBE_LINES))
    }
    search = _Search(
        screen=probes[1],
        probe=probes[len(PROBE_LINES)],
        target=target,
        bank=bank,
        register=register,
        budget=budget,
        check_words=WER_CANDIDATES > 0 and _asr_available(),
        progress=progress,
    )
    # 1. The closest stock voice whose words are understood (of FIT_EVALUATIONS, the register's own first);
    #    2. with STYLE_SEARCH, CMA-ES around it; 3. of the most similar styles heard, the most similar
    #    one understood.
    start, start_heard, stock_heard = search.closest_stock(styles)
    searched = search.around(start, start_heard, seed=seed) if STYLE_SEARCH else [start_heard]
    best_score, best_style, best_eq = search.understood_best(searched, start, stock_heard)
    wer = search.wer_of(best_style, best_eq) if search.check_words else None
    best_style = best_style.astype(np.float32)
    # 4. Check on the held-back part, with longer probes of other words, against the stock voice.
    check = _Probe(texts=CHECK_LINES, target_env_db=target_env_db, bank=bank, **sung_as)
    sim_fit, sim_stock, sim_self = _held_back_similarities(
        check, best_style, register=register, target=target, held=held
    )
    likeness = (sim_fit - sim_stock) / max(sim_self - sim_stock, 1e-3)
    progress(1.0)
    # A fit that is not clearly closer than the stock voice, or whose words are harder to understand
    # than the stock voice's (no candidate met the bar: the clearest was kept), sings as the stock voice.
    hard_to_understand = wer is not None and search.bar is not None and wer > search.bar
    if likeness < KEEP_STOCK_BELOW or hard_to_understand:
        return FittedVoice(
            style=np.asarray(kokoro.stock_style(register), dtype=np.float32),
            bank=None,
            eq_db=np.zeros(timbre.N_EQ_BANDS),
            likeness=float(likeness),  # the discarded fit's (likeness_raw); the page's figure is 0
            similarity=sim_stock,
            stock_similarity=sim_stock,
            self_similarity=sim_self,
            evaluations=search.done,
            wer=search.stock_wer() if search.check_words else None,
            stock_kept=True,
        )
    return FittedVoice(
        style=best_style,
        bank=bank,
        eq_db=best_eq,
        likeness=float(likeness),
        similarity=sim_fit,
        stock_similarity=sim_stock,
        self_similarity=sim_self,
        evaluations=search.done,
        wer=wer,
    )


def _held_back_similarities(
    check: _Probe, style: np.ndarray, *, register: str, target: np.ndarray, held: np.ndarray
) -> tuple[float, float, float]:
    """sim(fitted, held), sim(stock through the same chain, held), sim(target part, held): the likeness's terms."""
    fitted_vec, _ = check.embed(style)
    stock_vec = check.embed_stock(kokoro.stock_style(register))
    return (
        embedding.cosine_similarity(fitted_vec, held),
        embedding.cosine_similarity(stock_vec, held),
        embedding.cosine_similarity(target, held),
    )


Heard = tuple[float, np.ndarray, np.ndarray]  # (similarity to the target, style, the EQ it was heard with)


class _Search:
    """One fit's search: every style it heard, the words it checked, and the progress it shows."""

    def __init__(
        self,
        *,
        screen: _Probe,
        probe: _Probe,
        target: np.ndarray,
        bank: dict,
        register: str,
        budget: int,
        check_words: bool,
        progress: Callable[[float], None],
    ):
        self.screen, self.probe, self.target, self.bank, self.register = screen, probe, target, bank, register
        self.budget, self.check_words, self.progress = budget, check_words, progress
        self.done = 0  # probes heard
        self.wers: dict[bytes, float] = {}
        self.spoken: dict[tuple, np.ndarray] = {}  # Kokoro's speech of the WER sentences, by style
        self.bar: float | None = None  # the WER a candidate may have: the stock voice's own + WER_SLACK
        # Progress in units of one probe line; a WER check (8 sentences spoken and transcribed) costs
        # about 6, and about 3 checks are made (the stock voice's bar, the start, the end: more only when
        # the most similar candidates are hard to understand).
        shortlisted = min(budget, SHORTLIST) * (len(probe.texts) - 1) if budget > 1 else 0
        self.units, self.total_units = 0.0, budget + shortlisted + (6 * 3 if check_words else 0)

    def tick(self, amount: float) -> None:
        self.units += amount
        self.progress(0.05 + 0.85 * min(self.units / self.total_units, 1.0))

    def score(self, style: np.ndarray, probe: _Probe | None = None) -> tuple[float, np.ndarray]:
        """(similarity to the target, the EQ the probe was heard with); `probe` defaults to all PROBE_LINES."""
        probe = probe or self.probe
        vec, eq = probe.embed(style)
        self.done += 1
        self.tick(len(probe.texts))
        similarity = embedding.cosine_similarity(vec, self.target)
        return similarity, eq

    def wer_of(self, style: np.ndarray, eq: np.ndarray | None, with_persona: bool = True) -> float:
        from . import intelligibility

        key = np.asarray(style, dtype=np.float32).tobytes() + bytes([with_persona])
        if key not in self.wers:
            self.wers[key] = intelligibility.voice_wer(
                np.asarray(style, dtype=np.float32),
                bank=self.bank if with_persona else None,
                eq_db=eq if with_persona else None,
                sentences=intelligibility.FIT_SENTENCES,
                spoken=self.spoken,
            )
            self.tick(6.0)
        return self.wers[key]

    def stock_wer(self) -> float:
        """The stock voice's own WER, with no persona data."""
        return self.wer_of(kokoro.stock_style(self.register), None, with_persona=False)

    def understood(self, candidates: list[Heard]) -> Heard:
        """The most similar of the candidates whose words are understood, else the clearest.

        Understood: WER at most the stock voice's plus WER_SLACK. Heard in the order given (the
        preferred first), so usually only one or two candidates are transcribed.
        """
        if self.bar is None:
            self.bar = self.stock_wer() + WER_SLACK
        rated = []
        for candidate in candidates:
            wer = self.wer_of(candidate[1], candidate[2])
            if wer <= self.bar:
                return candidate
            rated.append((wer, candidate))
        return min(rated, key=lambda r: r[0])[1]

    def closest_stock(self, styles: dict) -> tuple[np.ndarray, Heard, Heard | None]:
        """(the start style, how it was heard, how the register's stock style was heard if it was).

        The closest stock voice (the register's own first: a small budget tries only that) whose
        words are understood: the search stays near its start, and some stock voices read English
        far worse than others (PocketSphinx WER 32-92 % on the same sentences).
        """
        popsize = _population()
        stock_name = kokoro.stock_style_name(self.register)
        names = [stock_name] + [
            name
            for name in styles
            if name != stock_name and kokoro.style_register(name) == self.register and name[0] in START_STYLE_LANGUAGES
        ]
        room = popsize if STYLE_SEARCH else 0  # for at least one generation of the search
        names = names[: max(1, min(len(names), self.budget - room))]
        probe = self.screen if len(names) == 1 else self.probe  # one candidate: nothing to choose
        if len(names) > SHORTLIST:  # the others sing the first line, the closest all of them with the stock one
            screened = {name: self.score(styles[name], self.screen)[0] for name in names[1:]}
            names = [stock_name, *sorted(names[1:], key=lambda name: -screened[name])[: SHORTLIST - 1]]
        heard: dict[str, Heard] = {}
        for name in names:
            similarity, eq = self.score(styles[name], probe)
            heard[name] = (similarity, np.asarray(styles[name], dtype=np.float64), eq)
        preferred = sorted(names, key=lambda name: -(heard[name][0] - (0.0 if name == stock_name else STYLE_MARGIN)))
        start = heard[preferred[0]]
        if self.check_words and len(names) > 1:
            start = self.understood([heard[name] for name in preferred[:WER_CANDIDATES]])
        return start[1], start, heard.get(stock_name)

    def around(self, start: np.ndarray, start_heard: Heard, *, seed: int) -> list[Heard]:
        """CMA-ES around `start`, in the subspace where Kokoro's voices differ: every style it heard, the start first."""
        searched = [start_heard]
        basis = _search_basis(dims=SEARCH_DIMENSIONS)
        popsize = _population()
        remaining = self.budget - self.done
        if remaining < popsize:
            return searched
        import cma

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            es = cma.CMAEvolutionStrategy(
                np.zeros(SEARCH_DIMENSIONS),
                SEARCH_SIGMA,
                {"popsize": popsize, "seed": seed + 1, "verbose": -9, "maxfevals": remaining, "bounds": [-2.5, 2.5]},
            )
            while not es.stop() and self.done + popsize <= self.budget:  # whole generations within the budget
                zs = es.ask()
                losses = []
                for z in zs:
                    style = start + np.asarray(z) @ basis
                    similarity, eq = self.score(style)
                    losses.append(-similarity)
                    searched.append((similarity, style, eq))
                es.tell(zs, losses)
        return searched

    def understood_best(self, searched: list[Heard], start: np.ndarray, stock_heard: Heard | None) -> Heard:
        """Of the search's most similar styles, its start and the stock style, the most similar one understood
        (without a words check: the most similar heard)."""
        if not self.check_words:
            return max(searched, key=lambda h: h[0])  # the first of equals: the start before what followed
        candidates = _candidates(searched, start, WER_CANDIDATES)
        if stock_heard is not None and all(np.linalg.norm(stock_heard[1] - c[1]) > 1e-6 for c in candidates):
            candidates.append(stock_heard)
        return self.understood(sorted(candidates, key=lambda c: -c[0]))


def _population() -> int:
    """CMA-ES population per generation."""
    return POPULATION or 4 + int(3 * math.log(SEARCH_DIMENSIONS))


def _candidates(heard: list, start: np.ndarray, count: int) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The `count` most similar distinct styles heard, and the start (closest stock) style among them."""
    ranked = sorted(heard, key=lambda h: -h[0])
    out: list = []
    for h in ranked:
        if len(out) >= count:
            break
        if all(np.linalg.norm(h[1] - o[1]) > 1e-6 for o in out):
            out.append(h)
    start_heard = [h for h in heard if np.linalg.norm(h[1] - start) <= 1e-6]
    if start_heard and all(np.linalg.norm(start - o[1]) > 1e-6 for o in out):
        out.append(start_heard[0])
    return out


def _asr_available() -> bool:
    try:
        from . import intelligibility

        intelligibility._decoder()
        return True
    except ImportError as exc:  # pocketsphinx is a dependency; without it the most similar style wins
        logger.warning("Persona fit: no WER check (%s)", exc)
        return False
