"""How close the engine sings to a persona's clip, measured: likeness, identification, pitch, words, speed.

    .venv/bin/python scripts/likeness_report.py [--out DIR] [--runs 2] [--speakers us1,us2,...] [--quick]

The persona voices are real speakers: MBROLA diphone voices (recordings of real people, Debian's
non-free archive, test data only) made to sing by ``voice.reference_speakers``. For each speaker
and run it makes three clips: the persona's clip (FIT_LINES, ~30 s sung), a held-back reference
(other words, never used in fitting) and "the speaker singing other words" (a third set). It
learns a persona from the first, renders songs, and measures the song's vocal stem:

    L = (sim(song, ref) - sim(stock, ref)) / (sim(other words, ref) - sim(stock, ref))

``stock`` is the same singer with no persona data: the same register and range, the stock style,
no EQ, through the same chain, so a vocoder's own sound never counts as likeness. Each approach
(the old formant voice with the persona's five numbers, the neural voice stock, its style search
alone, search + envelope EQ) gets its row. Writes report.md, results.json and spectrogram PNGs.
No Django.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import engine_report as report
import numpy as np
from engine_report import spectrogram_png

from personastudio.engine.dsp import measure
from personastudio.engine.dsp.profile import voice_profile
from personastudio.engine.song import render_song
from personastudio.engine.voice import embedding, envelope_transfer, intelligibility, kokoro, reference_speakers
from personastudio.engine.voice.fit import LIKENESS_FLOOR, LIKENESS_GOAL, fit_persona_voice

SR = 44100
WER_GOAL = 0.25
SPEED_GOAL_S_PER_S = 0.25
FIT_GOAL_S = 180.0


def _first_sections(lyrics: str, count: int) -> str:
    """The lyric up to its count-th section tag: a verse and a chorus of the engine report's songs."""
    parts = lyrics.split("\n[")
    return "\n[".join(parts[:count]).rstrip("\n") + "\n"


LYRICS_EN = _first_sections(report.LYRICS_EN, 2)
LYRICS_ZH = _first_sections(report.LYRICS_ZH, 2)
# 8 Harvard sentences; the first 4 were the report's whole set before 2026-12 ("WER4" in results.json).
WER_SENTENCES = intelligibility.REPORT_SENTENCES
APPROACHES = ("formant", "neural-stock", "neural-style", "neural-style+transfer", "neural-full")
_APPROACH_KEYS = {  # which of the persona's fitted data each neural approach sings with
    "neural-stock": (),
    "neural-style": ("style",),
    "neural-style+transfer": ("style", "envelope_bank"),
    "neural-full": ("style", "envelope_bank", "eq_db"),
}
_FITTED = ("style", "envelope_bank", "eq_db")


def _profile_for(approach: str, learned: dict) -> tuple[dict, str]:
    """The persona data an approach sings with, and the singer.

    formant: the old eSpeak NG + WORLD voice with the persona's five numbers; neural-stock: the
    neural voice with no fitted data (register and range only); neural-style: the fitted style
    alone; neural-style+transfer: and the envelope transfer; neural-full: and the EQ (what a
    persona sings with).
    """
    base = {k: v for k, v in learned.items() if k not in _FITTED}
    if approach == "formant":
        return base, "formant"
    return {**base, **{k: learned[k] for k in _APPROACH_KEYS[approach] if learned.get(k) is not None}}, "neural"


def _stock_profile(approach: str, learned: dict) -> tuple[dict, str]:
    """The same singer with no persona data: register and range only."""
    keep = ("median_hz", "low_hz", "high_hz", "register")
    base = {k: learned[k] for k in keep if k in learned}
    return base, ("formant" if approach == "formant" else "neural")


def _vocal(lyrics: str, profile: dict, singer: str, seed: int) -> tuple[np.ndarray, object, float]:
    t0 = time.perf_counter()
    song = render_song(lyrics=lyrics, tags="pop", seed=seed, voice_profile=profile, singer_name=singer, sr=SR)
    return song.vocal, song, time.perf_counter() - t0


def _emb(x: np.ndarray, sr: int = SR) -> np.ndarray:
    return embedding.embed_utterance(x, sr=sr, fixed_level=True)  # loudness is not identity


def wer_of(
    style: np.ndarray | None,
    eq_db,
    register: str,
    *,
    bank: dict | None = None,
    sentences: tuple[str, ...] = WER_SENTENCES,
) -> float:
    """WER of the voice speaking `sentences` through its whole chain (style, envelope transfer, EQ)."""
    style = style if style is not None else kokoro.stock_style(register)
    return intelligibility.voice_wer(np.asarray(style, dtype=np.float32), bank=bank, eq_db=eq_db, sentences=sentences)


def run(out: Path, *, runs: int, speakers_wanted: list[str] | None, quick: bool, log=print) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    speakers = [s for s in reference_speakers.available_speakers() if not speakers_wanted or s.name in speakers_wanted]
    if len(speakers) < 2:
        raise SystemExit("Needs at least two reference speakers (scripts/install_reference_voices.sh).")
    approaches = APPROACHES if not quick else ("neural-stock", "neural-full")
    rows = []
    for run_i in range(runs):
        refs, personas = {}, {}
        for spk in speakers:
            clip = reference_speakers.sung_clip(spk, lines=reference_speakers.FIT_LINES, seed=run_i, sr=SR)
            ref = reference_speakers.sung_clip(spk, lines=reference_speakers.HELDOUT_LINES, seed=100 + run_i, sr=SR)
            other = reference_speakers.sung_clip(
                spk, lines=reference_speakers.OTHER_WORDS_LINES, seed=200 + run_i, sr=SR
            )
            learned = voice_profile(clip, sr=SR).to_dict()
            t0 = time.perf_counter()
            fitted = fit_persona_voice(
                clip,
                sr=SR,
                median_hz=learned["median_hz"],
                register=learned["register"],
                vibrato_rate_hz=learned["vibrato_rate_hz"],
                vibrato_depth_cents=learned["vibrato_depth_cents"],
                seed=run_i,
            )
            fit_s = time.perf_counter() - t0
            learned.update(fitted.to_profile())
            refs[spk.name] = _emb(ref)
            personas[spk.name] = dict(clip=clip, learned=learned, other=_emb(other), fit_s=fit_s, register=spk.register)
            log(f"run {run_i} {spk.name}: fitted in {fit_s:.0f} s, clip likeness {learned['likeness_raw']:+.2f}")
            (out / f"{spk.name}-run{run_i}-persona.json").write_text(json.dumps(learned))  # to render again later
            if run_i == 0:
                (out / f"{spk.name}-clip-spec.png").write_bytes(
                    spectrogram_png(clip[: 8 * SR], SR, width=900, height=200)
                )
        for spk in speakers:
            p = personas[spk.name]
            ref = refs[spk.name]
            for approach in approaches:
                for lang, lyrics in (("en", LYRICS_EN), ("zh", LYRICS_ZH)):
                    if lang == "zh" and approach not in ("formant", "neural-full", "neural-stock"):
                        continue
                    seed = 1000 * run_i + 7
                    prof, singer = _profile_for(approach, p["learned"])
                    vocal, song, render_s = _vocal(lyrics, prof, singer, seed)
                    stock_prof, stock_singer = _stock_profile(approach, p["learned"])
                    stock_vocal, _s, _t = _vocal(lyrics, stock_prof, stock_singer, seed)
                    if prof.get("envelope_bank"):
                        # The fitted song went through WORLD: so does its stock, with no persona data.
                        stock_vocal = envelope_transfer.resynthesise(stock_vocal, sr=SR)
                    e_song, e_stock = _emb(vocal), _emb(stock_vocal)
                    sim_song, sim_stock = (
                        embedding.cosine_similarity(e_song, ref),
                        embedding.cosine_similarity(e_stock, ref),
                    )
                    sim_other = embedding.cosine_similarity(p["other"], ref)
                    likeness = (sim_song - sim_stock) / max(sim_other - sim_stock, 1e-3)
                    nearest = max(refs, key=lambda name: embedding.cosine_similarity(e_song, refs[name]))
                    notes = sorted(measure.note_fields(n) for n in song.score.melody)
                    row = dict(
                        run=run_i,
                        speaker=spk.name,
                        register=p["register"],
                        approach=approach,
                        language=lang,
                        likeness=likeness,
                        sim_song=sim_song,
                        sim_stock=sim_stock,
                        sim_other=sim_other,
                        nearest=nearest,
                        identified=nearest == spk.name,
                        pitch=measure.pitch_accuracy(vocal, sr=SR, melody_notes=notes),
                        lufs=measure.integrated_lufs(song.mix, sr=SR),
                        true_peak=measure.true_peak_dbtp(song.mix, sr=SR),
                        compute_s_per_s=render_s / song.duration_s,
                        fit_s=p["fit_s"],
                    )
                    if lang == "en" and approach.startswith("neural") and run_i == 0:
                        style = prof.get("style")
                        details: list = []
                        row["wer"] = intelligibility.voice_wer(
                            np.asarray(
                                style if style else kokoro.stock_style(prof.get("register", "female")), dtype=np.float32
                            ),
                            bank=prof.get("envelope_bank"),
                            eq_db=prof.get("eq_db"),
                            sentences=WER_SENTENCES,
                            details=details,
                        )
                        row["wer4"] = float(np.mean([d[2] for d in details[:4]]))
                        row["transcripts"] = [d[1] for d in details]
                    rows.append(row)
                    log(
                        f"  {spk.name:5} {approach:17} {lang} L={likeness:+.2f} nearest={nearest} "
                        f"pitch={row['pitch']:.2f} {row['compute_s_per_s']:.3f} s/s"
                        + (f" WER={row['wer']:.2f}" if "wer" in row else "")
                    )
                    if run_i == 0 and approach == approaches[-1] and lang == "en":
                        (out / f"{spk.name}-song-spec.png").write_bytes(
                            spectrogram_png(vocal[: 8 * SR], SR, width=900, height=200)
                        )
    result = {"rows": rows, "speakers": [s.name for s in speakers], "runs": runs}
    (out / "results.json").write_text(json.dumps(result, indent=1, default=float))
    (out / "report.md").write_text(markdown(rows))
    return result


def _spread(values: list[float]) -> str:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:+.2f}"
    return f"{np.mean(values):+.2f} ({min(values):+.2f}…{max(values):+.2f})"


def markdown(rows: list[dict]) -> str:
    lines = [
        "# Likeness report",
        "",
        f"Goals: L ≥ {LIKENESS_GOAL} for every persona (below {LIKENESS_FLOOR} not worth its name), nearest reference "
        f"all correct, pitch ≥ 85 % within 50 cents, WER ≤ {WER_GOAL:.0%} (speech at speaking pitch), "
        f"≤ {SPEED_GOAL_S_PER_S} s compute per s of song, fit ≤ {FIT_GOAL_S:.0f} s, −14 ± 1 LUFS, ≤ −1 dBTP.",
        "",
        "| approach | lang | speaker | L mean (min…max over runs) | identified | pitch | WER 8 (4) | s/s | fit s | LUFS | dBTP |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted(
        {(r["approach"], r["language"], r["speaker"]) for r in rows}, key=lambda k: (APPROACHES.index(k[0]), k[1], k[2])
    )
    for approach, lang, speaker in keys:
        sel = [r for r in rows if (r["approach"], r["language"], r["speaker"]) == (approach, lang, speaker)]
        wer = [(r["wer"], r.get("wer4", r["wer"])) for r in sel if "wer" in r]
        lines.append(
            f"| {approach} | {lang} | {speaker} | {_spread([r['likeness'] for r in sel])} | "
            f"{sum(r['identified'] for r in sel)}/{len(sel)} | {np.mean([r['pitch'] for r in sel]):.2f} | "
            f"{(f'{wer[0][0]:.0%} ({wer[0][1]:.0%})' if wer else '—')} | {np.mean([r['compute_s_per_s'] for r in sel]):.3f} | "
            f"{np.mean([r['fit_s'] for r in sel]):.0f} | {np.mean([r['lufs'] for r in sel]):.1f} | "
            f"{max(r['true_peak'] for r in sel):.1f} |"
        )
    lines.append("")
    lines.append(
        "Sung words cannot be recognised by PocketSphinx (its model is for speech): WER is measured on "
        "the persona's voice speaking 8 Harvard sentences at speaking pitch through the same chain as its "
        "songs (style, envelope transfer, EQ); in brackets the first 4, the report's set before 2026-12."
    )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("likeness-report"))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--speakers", default="")
    parser.add_argument("--quick", action="store_true", help="only the stock and the full neural approach")
    args = parser.parse_args(argv)
    result = run(args.out, runs=args.runs, speakers_wanted=[s for s in args.speakers.split(",") if s], quick=args.quick)
    print((args.out / "report.md").read_text())
    return 0 if result["rows"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
