"""How well the consent check tells voices apart: false accepts and false rejects, measured.

    .venv/bin/python scripts/voice_check_report.py [--seeds 2]

Every installed reference speaker (MBROLA diphone voices of real people, test data only) sings
the persona lines (the clip) and three dated consent phrases, once spoken and once sung to a short
tune. Each clip is compared with every phrase through ``verification.voice_check``: the same
speaker's phrase is a target pair, another speaker's an impostor pair. For each protocol it prints
the pair counts, false accept and false reject at the chosen threshold, the equal error rate and
the trade-off curve. No Django.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from personastudio.engine.voice import reference_speakers, verification

SR_HZ = 22050
PHRASES = [
    "I agree that my own voice may sing in Persona Studio, 2 December 2026.",
    "I confirm that the voice in this clip is my own, 3 December 2026.",
    "I give my consent for this singing voice to be learned, 4 December 2026.",
]


def _rates(target: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:
    return float(np.mean(impostor >= threshold)), float(np.mean(target < threshold))


def _equal_error_rate(target: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    thresholds = np.unique(np.concatenate([target, impostor]))
    gaps = [abs(np.subtract(*_rates(target, impostor, t))) for t in thresholds]
    best = thresholds[int(np.argmin(gaps))]
    fa, fr = _rates(target, impostor, best)
    return (fa + fr) / 2, float(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2, help="sung clips per speaker (different tunes)")
    args = parser.parse_args()
    speakers = reference_speakers.available_speakers()
    if len(speakers) < 2:
        raise SystemExit("Needs at least two MBROLA reference voices (make reference-voices).")
    started = time.perf_counter()
    clips = {
        s.name: [
            reference_speakers.sung_clip(s, lines=reference_speakers.FIT_LINES, seed=k, sr=SR_HZ)
            for k in range(args.seeds)
        ]
        for s in speakers
    }
    protocols = {
        "spoken": {s.name: [reference_speakers.spoken_clip(s, text=p, sr=SR_HZ) for p in PHRASES] for s in speakers},
        "sung": {
            s.name: [reference_speakers.sung_clip(s, lines=[p], seed=7 + i, sr=SR_HZ) for i, p in enumerate(PHRASES)]
            for s in speakers
        },
    }
    print(
        f"speakers: {', '.join(s.name for s in speakers)}; {args.seeds} clips and {len(PHRASES)} phrases each; "
        f"threshold {verification.VOICE_CHECK_THRESHOLD}, protocol in use: {verification.VOICE_CHECK_PROTOCOL}"
    )
    for protocol, phrases in protocols.items():
        target, impostor, checks_s = [], [], []
        for clip_speaker, speaker_clips in clips.items():
            for clip in speaker_clips:
                for phrase_speaker, speaker_phrases in phrases.items():
                    for phrase in speaker_phrases:
                        t0 = time.perf_counter()
                        score = verification.voice_check(
                            clip, voice_sr=SR_HZ, phrase_samples=phrase, phrase_sr=SR_HZ
                        ).similarity
                        checks_s.append(time.perf_counter() - t0)
                        (target if clip_speaker == phrase_speaker else impostor).append(score)
        target, impostor = np.array(target), np.array(impostor)
        fa, fr = _rates(target, impostor, verification.VOICE_CHECK_THRESHOLD)
        eer, eer_at = _equal_error_rate(target, impostor)
        print(
            f"\n{protocol} phrase vs sung clip: {len(target)} target pairs ({target.min():.2f}–{target.max():.2f}), "
            f"{len(impostor)} impostor pairs (max {impostor.max():.2f}); {np.median(checks_s):.2f} s per check"
        )
        print(
            f"  at {verification.VOICE_CHECK_THRESHOLD}: false accept {100 * fa:.1f} %, false reject {100 * fr:.1f} %;"
            f" EER {100 * eer:.1f} % at {eer_at:.3f}"
        )
        print("  threshold  false accept  false reject")
        for threshold in np.round(np.arange(0.50, 0.991, 0.02), 2):
            fa_t, fr_t = _rates(target, impostor, threshold)
            print(f"  {threshold:9.2f}  {100 * fa_t:10.1f} %  {100 * fr_t:10.1f} %")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
