"""Quality report of the built-in music engine: render a fixed set of songs and measure them.

    .venv/bin/python scripts/engine_report.py [--out DIR] [--quick]

Renders English and Chinese songs in several genres, with and without a
persona (a LOW and a HIGH register, learned by ``profile.voice_profile`` from
synthetic sung lines made here), measures each with
:mod:`personastudio.engine.dsp.measure` and writes into DIR (default
``engine-report/``):

* ``report.md`` – one table row per song with PASS/FAIL against the targets;
* ``results.json`` – the same figures, machine-readable;
* per song ``<slug>.mp3``, ``<slug>-f0.svg`` (vocal F0 over the melody notes)
  and ``<slug>-spec.png`` (mel spectrogram of the mix).

Plots are hand-made (SVG polylines and a tiny PNG writer) so the report needs
no plotting library. No Django is needed.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# The tests' synthetic voices (tests/synth.py) are the report's personas too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synth import synth_sung_line  # noqa: E402

from personastudio.engine.dsp import measure
from personastudio.engine.dsp.audio_io import encode_mp3
from personastudio.engine.dsp.lyrics import detect_language, parse_lyrics
from personastudio.engine.dsp.profile import hz_to_midi, voice_profile
from personastudio.engine.song import render_song

# --------------------------------------------------------------------------- targets

PITCH_MIN = 0.85  # share of voiced in-note frames within 50 cents
PERSONA_MAX_ST = 2.0  # |median F0 - persona median| in semitones
ONSET_TOL = 0.15  # |onsets - syllables| / syllables
TEMPO_TOL = 0.04
LUFS_TARGET, LUFS_TOL = -14.0, 1.0
TRUE_PEAK_MAX = -1.0

# --------------------------------------------------------------------------- lyrics

LYRICS_EN = """[Verse]
Morning light is falling on the floor
I can hear the city through the door
[Chorus]
Hold on, we are running out of night
Sing it till the windows turn to white
[Verse 2]
Every step I take is coming home
Every road I walk I walk alone
[Chorus]
Hold on, we are running out of night
Sing it till the windows turn to white
[Bridge]
If the river carries us away
I will find the words I want to say
[Chorus]
Hold on, we are running out of night
Sing it till the windows turn to white
"""

LYRICS_ZH = """[主歌]
清晨的光洒在窗台
我听见城市慢慢醒来
[副歌]
别放手 我们还有今夜
唱到天边泛起了白雪
[主歌]
每一步都走向回家
每条路我独自出发
[副歌]
别放手 我们还有今夜
唱到天边泛起了白雪
[桥段]
如果河流带我们走远
我会找到想说的语言
[副歌]
别放手 我们还有今夜
唱到天边泛起了白雪
"""

LYRICS_GUFENG = """[主歌]
青石板上落花轻
古道长亭送君行
[副歌]
一曲离歌唱到天明
月下相思寄白云
[主歌]
江南烟雨湿罗衣
孤舟远去水无声
[副歌]
一曲离歌唱到天明
月下相思寄白云
[桥段]
千年风雨多少事
都付笑谈一杯中
[副歌]
一曲离歌唱到天明
月下相思寄白云
"""


@dataclass(frozen=True)
class SongSpec:
    slug: str
    lyrics: str
    tags: str
    genre: str
    persona: str | None  # "low" | "high" | None
    seed: int


SONGS = [
    SongSpec("en-pop", LYRICS_EN, "pop, upbeat", "pop", None, 11),
    SongSpec("zh-ballad", LYRICS_ZH, "抒情, 伤感", "ballad", None, 12),
    SongSpec("en-pop-low", LYRICS_EN, "pop", "pop", "low", 13),
    SongSpec("zh-pop", LYRICS_ZH, "流行", "pop", None, 14),
    SongSpec("en-rock", LYRICS_EN, "rock, energetic", "rock", None, 15),
    SongSpec("en-ballad-high", LYRICS_EN, "ballad, romantic", "ballad", "high", 16),
    SongSpec("en-electronic", LYRICS_EN, "electronic, dance", "electronic", None, 17),
    SongSpec("zh-folk-low", LYRICS_ZH, "民谣", "folk", "low", 18),
    SongSpec("zh-gufeng", LYRICS_GUFENG, "古风, 中国风", "古风", None, 19),
    SongSpec("zh-gufeng-high", LYRICS_GUFENG, "中国风", "古风", "high", 20),
]
QUICK = ("en-pop", "zh-ballad", "en-pop-low")

# --------------------------------------------------------------------------- personas

#: MIDI notes of the synthetic sung lines a persona is learned from.
PERSONA_LINES = {
    "low": [45, 47, 48, 50, 52, 50, 48, 47, 45, 43, 45, 48, 52, 53, 52, 50, 48, 47, 48, 45],  # A2..F3, baritone
    "high": [69, 71, 72, 74, 76, 74, 72, 71, 69, 67, 69, 72, 76, 77, 76, 74, 72, 71, 72, 69],  # A4..F5, soprano
}


def persona_profiles(sr: int = 44100) -> dict[str, dict]:
    """VoiceProfile dicts of the LOW and HIGH personas (learned from synthetic lines, ~19 s each)."""
    out = {}
    for i, (name, notes) in enumerate(PERSONA_LINES.items()):
        clip = synth_sung_line(notes, sr=sr, note_s=0.9, seed=i)
        out[name] = voice_profile(clip, sr=sr).to_dict()
    return out


def render_kwargs(profile: dict | None) -> dict:
    """How to hand a persona to ``render_song``."""
    return {"voice_profile": profile} if profile else {}


# --------------------------------------------------------------------------- plots


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def f0_svg(
    times: np.ndarray,
    f0: np.ndarray,
    notes,
    section_spans,
    duration_s: float,
    title: str,
    width: int = 1400,
    height: int = 360,
) -> str:
    """SVG: melody notes as grey bars, the measured vocal F0 as a red line, sections labelled."""
    ml, mr, mt, mb = 46, 10, 24, 22
    midis = [n[2] for n in notes]
    voiced = f0 > 0
    f0_midi = np.where(voiced, 69 + 12 * np.log2(np.maximum(f0, 1e-6) / 440.0), np.nan)
    vals = midis + (list(f0_midi[voiced]) if np.any(voiced) else [])
    lo = math.floor(min(vals) - 2) if vals else 48
    hi = math.ceil(max(vals) + 2) if vals else 84
    dur = max(duration_s, 1e-3)

    def X(t):
        return ml + (width - ml - mr) * t / dur

    def Y(m):
        return mt + (height - mt - mb) * (hi - m) / max(hi - lo, 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{ml}" y="15" font-size="13">{_esc(title)}</text>',
    ]
    for m in range(lo, hi + 1):
        if m % 12 == 0:
            out.append(f'<line x1="{ml}" x2="{width - mr}" y1="{Y(m):.1f}" y2="{Y(m):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="4" y="{Y(m) + 4:.1f}">C{m // 12 - 1}</text>')
    for kind, s, _e in section_spans:
        out.append(
            f'<line x1="{X(s):.1f}" x2="{X(s):.1f}" y1="{mt}" y2="{height - mb}" stroke="#bbb" stroke-dasharray="3,3"/>'
        )
        out.append(f'<text x="{X(s) + 2:.1f}" y="{height - 8}" fill="#666">{_esc(kind)}</text>')
    for s, d, m in notes:
        out.append(
            f'<rect x="{X(s):.1f}" y="{Y(m + 0.4):.1f}" width="{max(X(s + d) - X(s), 1):.1f}" '
            f'height="{Y(m - 0.4) - Y(m + 0.4):.1f}" fill="#9ab" opacity="0.7"/>'
        )
    # F0 as one path, broken at unvoiced frames
    path, pen = [], False
    for t, m in zip(times, f0_midi):
        if np.isnan(m):
            pen = False
            continue
        path.append(f"{'L' if pen else 'M'}{X(t):.1f},{Y(m):.1f}")
        pen = True
    if path:
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="#d22" stroke-width="1.2"/>')
    for sec in range(0, int(dur) + 1, 10):
        out.append(f'<text x="{X(sec):.1f}" y="{mt - 2}" fill="#888">{sec}s</text>')
    out.append("</svg>")
    return "\n".join(out)


_CMAP = np.array(
    [
        [0, 0, 4],
        [40, 11, 84],
        [101, 21, 110],
        [159, 42, 99],
        [212, 72, 66],
        [245, 125, 21],
        [250, 193, 39],
        [252, 255, 164],
    ],
    dtype=float,
)  # inferno-like anchors


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 image as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def spectrogram_png(mix: np.ndarray, sr: int, width: int = 1400, height: int = 256) -> bytes:
    """Mel spectrogram (0-11 kHz, 80 dB range) of the mono mix as a PNG."""
    import librosa

    x = np.asarray(mix, dtype=np.float32)
    x = x.mean(axis=1) if x.ndim == 2 else x
    y = librosa.resample(x, orig_sr=sr, target_sr=22050, res_type="polyphase") if sr != 22050 else x
    hop = max(256, int(len(y) / width))
    S = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=2048, hop_length=hop, n_mels=height)
    db = librosa.power_to_db(S, ref=np.max, top_db=80.0)
    v = np.clip((db + 80.0) / 80.0, 0, 1)[::-1]  # low frequencies at the bottom
    pos = v * (len(_CMAP) - 1)
    i = np.minimum(pos.astype(int), len(_CMAP) - 2)
    frac = (pos - i)[..., None]
    rgb = (_CMAP[i] * (1 - frac) + _CMAP[i + 1] * frac).astype(np.uint8)
    return png_bytes(np.ascontiguousarray(rgb))


# --------------------------------------------------------------------------- measuring one song


def measure_song(song, *, lyrics: str, persona: dict | None) -> dict:
    """All figures of one rendered song (a RenderedSong) as a dict."""
    sr = song.sr
    notes = sorted(measure.note_fields(n) for n in song.score.melody)  # every sung note, melismas included
    track = measure.f0_track(song.vocal, sr=sr)
    lyric_syllables = sum(ln.syllables for sec in parse_lyrics(lyrics) for ln in sec.lines)
    # one sung note per syllable when the engine reports sung lines (the singer may count differently)
    syllables = len(measure.sung_notes(song.score)) if getattr(song.score, "sung_lines", None) else lyric_syllables
    onsets = measure.syllable_onsets(song.vocal, sr=sr, track=track)
    med = measure.median_f0_midi(song.vocal, sr=sr, track=track)
    cc, cv = measure.chorus_similarity(song.mix, sr=sr, section_spans=song.score.section_spans)
    tempo = measure.tempo_bpm(song.mix, sr=sr)
    target_tempo = float(song.score.style.tempo_bpm)
    persona_midi = hz_to_midi(persona["median_hz"]) if persona and persona.get("median_hz") else None
    return {
        "pitch_accuracy": measure.pitch_accuracy(song.vocal, sr=sr, melody_notes=notes, track=track),
        "median_f0_midi": med,
        "persona_median_midi": persona_midi,
        "persona_delta_st": (med - persona_midi) if persona_midi is not None and not math.isnan(med) else None,
        "syllables": syllables,
        "lyric_syllables": lyric_syllables,
        "onsets": onsets,
        "onset_error": (onsets - syllables) / syllables if syllables else None,
        "tempo_measured": tempo,
        "tempo_target": target_tempo,
        "tempo_ok": measure.tempo_matches(tempo, target_tempo, TEMPO_TOL),
        "chorus_vs_chorus": cc,
        "chorus_vs_verse": cv,
        "lufs": measure.integrated_lufs(song.mix, sr=sr),
        "true_peak": measure.true_peak_dbtp(song.mix, sr=sr),
        "_track": track,
        "_notes": notes,
    }


def verdicts(m: dict) -> dict[str, bool | None]:
    """PASS (True) / FAIL (False) / not applicable (None) per target."""

    def finite(v):
        return v is not None and not (isinstance(v, float) and math.isnan(v))

    return {
        "pitch": finite(m["pitch_accuracy"]) and m["pitch_accuracy"] >= PITCH_MIN,
        "persona": (abs(m["persona_delta_st"]) <= PERSONA_MAX_ST) if finite(m["persona_delta_st"]) else None,
        "onsets": (abs(m["onset_error"]) <= ONSET_TOL) if finite(m["onset_error"]) else None,
        "tempo": bool(m["tempo_ok"]),
        "chorus": (
            finite(m["chorus_vs_chorus"])
            and finite(m["chorus_vs_verse"])
            and m["chorus_vs_chorus"] > m["chorus_vs_verse"]
        ),
        "lufs": abs(m["lufs"] - LUFS_TARGET) <= LUFS_TOL,
        "peak": m["true_peak"] <= TRUE_PEAK_MAX,
    }


# --------------------------------------------------------------------------- report


def _pf(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "**FAIL**")


def _note_name(midi: float) -> str:
    if midi is None or math.isnan(midi):
        return "?"
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    r = int(round(midi))
    return f"{names[r % 12]}{r // 12 - 1}"


def render_report(out: Path, specs, *, sr: int = 44100, log=print) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    personas = persona_profiles(sr)
    persona_s = time.perf_counter() - t0
    rows = []
    for spec in specs:
        profile = personas.get(spec.persona) if spec.persona else None
        kwargs = render_kwargs(profile)
        t = time.perf_counter()
        song = render_song(lyrics=spec.lyrics, tags=spec.tags, seed=spec.seed, sr=sr, **kwargs)
        render_s = time.perf_counter() - t
        t = time.perf_counter()
        m = measure_song(song, lyrics=spec.lyrics, persona=profile)
        measure_s = time.perf_counter() - t
        track, notes = m.pop("_track"), m.pop("_notes")
        (out / f"{spec.slug}.mp3").write_bytes(encode_mp3(song.mix, sr=sr))
        title = (
            f"{spec.slug}: vocal F0 (red) over the sung notes (blue-grey), "
            f"{song.score.style.tempo_bpm:.0f} BPM, {song.score.style.genre}"
        )
        (out / f"{spec.slug}-f0.svg").write_text(
            f0_svg(track[0], track[1], notes, song.score.section_spans, song.duration_s, title), encoding="utf-8"
        )
        (out / f"{spec.slug}-spec.png").write_bytes(spectrogram_png(song.mix, sr))
        row = {
            "slug": spec.slug,
            "language": detect_language(spec.lyrics),
            "genre": spec.genre,
            "tags": spec.tags,
            "persona": spec.persona or "",
            "seed": spec.seed,
            "duration_s": song.duration_s,
            "render_s": render_s,
            "measure_s": measure_s,
            "s_per_s": render_s / max(song.duration_s, 1e-9),
            "engine_genre": song.score.style.genre,
            "sung_lines": bool(getattr(song.score, "sung_lines", None)),
            **m,
        }
        row["verdicts"] = verdicts(m)
        rows.append(row)
        log(
            f"{spec.slug:16s} {song.duration_s:5.1f}s render {render_s:5.2f}s  "
            + " ".join(f"{k}:{_pf(v)}" for k, v in row["verdicts"].items())
        )
    meta = {"personas": personas, "persona_learning_s": persona_s}
    write_markdown(out / "report.md", rows, meta)
    (out / "results.json").write_text(
        json.dumps({"meta": meta, "songs": rows}, indent=1, ensure_ascii=False, default=float), encoding="utf-8"
    )
    return rows


def write_markdown(path: Path, rows: list[dict], meta: dict) -> None:
    lines = [
        "# Music engine quality report",
        "",
        f"Generated by `.venv/bin/python scripts/engine_report.py` on {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "Targets: pitch ≥ 85 % of voiced in-note frames within 50 cents · persona median within 2 semitones · "
        "syllable onsets within 15 % of the lyric syllables · tempo within 4 % (or double/half) · "
        "chorus-vs-chorus chroma similarity > chorus-vs-verse · −14 ± 1 LUFS · true peak ≤ −1 dBTP.",
        "",
        "| song | lang | genre | persona | dur s | render s | s/s | pitch ≤50¢ | median F0 vs persona (st) "
        "| onsets / syllables | tempo meas / chosen | chorus·chorus / chorus·verse | LUFS | true peak dBTP | plots |",
        "|---|---|---|---|---:|---:|---:|---|---|---|---|---|---|---|---|",
    ]
    fails = 0
    for r in rows:
        v = r["verdicts"]
        fails += sum(1 for x in v.values() if x is False)
        if r["persona_delta_st"] is not None:
            persona = (
                f"{_note_name(r['median_f0_midi'])} vs {_note_name(r['persona_median_midi'])}: "
                f"{r['persona_delta_st']:+.1f} {_pf(v['persona'])}"
            )
        else:
            persona = f"{_note_name(r['median_f0_midi'])} —"
        onset = (
            f"{r['onsets']} / {r['syllables']} ({100 * r['onset_error']:+.0f} %) {_pf(v['onsets'])}"
            if r["onset_error"] is not None
            else "—"
        )
        lines.append(
            f"| [{r['slug']}]({r['slug']}.mp3) | {r['language']} | {r['genre']} | {r['persona'] or '—'} "
            f"| {r['duration_s']:.1f} | {r['render_s']:.2f} | {r['s_per_s']:.3f} "
            f"| {100 * r['pitch_accuracy']:.1f} % {_pf(v['pitch'])} | {persona} | {onset} "
            f"| {r['tempo_measured']:.1f} / {r['tempo_target']:.1f} {_pf(v['tempo'])} "
            f"| {r['chorus_vs_chorus']:.3f} / {r['chorus_vs_verse']:.3f} {_pf(v['chorus'])} "
            f"| {r['lufs']:.2f} {_pf(v['lufs'])} | {r['true_peak']:.2f} {_pf(v['peak'])} "
            f"| [F0]({r['slug']}-f0.svg) · [spec]({r['slug']}-spec.png) |"
        )
    lines += ["", f"**{fails} failed check(s)** over {len(rows)} song(s).", "", "## Personas", ""]
    lines.append(
        f"Learned with `profile.voice_profile` from synthetic sung lines in {meta['persona_learning_s']:.2f} s (both)."
    )
    lines.append("")
    for name, p in meta["personas"].items():
        lines.append(
            f"* **{name}**: median {p['median_hz']:.1f} Hz ({_note_name(hz_to_midi(p['median_hz']))}), "
            f"range {p['low_hz']:.1f}–{p['high_hz']:.1f} Hz, vibrato {p['vibrato_rate_hz']} Hz / "
            f"{p['vibrato_depth_cents']} cents"
        )
    lines += [
        "",
        "## How the figures are measured",
        "",
        "* pitch: WORLD DIO+StoneMask F0 at 16 kHz (loudness- and periodicity-gated) of the vocal stem; frames "
        "inside a sung note, minus its first 50 ms and last 20 ms (glide / consonant / release); octave errors "
        "are misses.",
        "* onsets: syllable nuclei on the vocal stem (de Jong & Wempe 2009: voiced intensity peaks ≥ 4 dB "
        "above the dips around them, 64 ms windows); "
        "syllables from `lyrics.count_syllables`.",
        "* tempo: `librosa.beat.beat_track` on the mix vs. the style tempo the engine chose.",
        "* chorus similarity: mean frame cosine of 0.5 s-smoothed chroma (chroma_stft), sections aligned at their starts.",
        "* loudness / peak: `mix.integrated_lufs` (BS.1770) and `mix.true_peak_dbtp` (4× oversampled).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def band_comparison(out: Path, *, sr: int = 44100, log=print) -> list[dict]:
    """Each genre's band alone, on the sampled instruments and on the old oscillators: a spectrogram PNG of
    each (`band-<genre>-sampled.png`, `band-<genre>-oscillators.png`) and the compute per second of audio."""
    from .dsp.band import band_stems, oscillator_parts
    from .dsp.composer import GENRES, compose, style_from_tags
    from .instruments import soundfont
    from .instruments.band import sampled_parts

    out.mkdir(parents=True, exist_ok=True)
    lyrics = (
        "[Verse]\nSilver rain on the harbour wall\nLanterns swinging slow\n[Chorus]\nSing it out sing it out tonight"
    )
    rows = []
    for genre in GENRES:
        score = compose(parse_lyrics(lyrics), style_from_tags(genre, 11), seed=11)
        renderers = {"oscillators": lambda score=score: oscillator_parts(score, sr=sr, seed=11, play_melody=True)}
        if soundfont.available():
            renderers["sampled"] = lambda score=score: sampled_parts(score, sr=sr, play_melody=True)
        for name, render in renderers.items():
            started = time.perf_counter()
            band = sum(band_stems(render(), score, sr=sr).values())
            seconds = time.perf_counter() - started
            (out / f"band-{genre}-{name}.png").write_bytes(spectrogram_png(band, sr))
            rows.append(
                {
                    "genre": genre,
                    "band": name,
                    "audio_s": score.duration_s,
                    "compute_s_per_audio_s": seconds / score.duration_s,
                }
            )
            log(
                f"{genre:10s} {name:11s} {score.duration_s:5.1f} s of band in {seconds:5.2f} s "
                f"({seconds / score.duration_s:.3f} s per second)"
            )
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog=".venv/bin/python scripts/engine_report.py", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="engine-report", help="output directory (default: engine-report/)")
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--only", nargs="*", help="render only these song slugs")
    ap.add_argument("--bands", action="store_true", help="only compare the sampled band with the oscillator band")
    args = ap.parse_args(argv)
    if args.bands:
        band_comparison(Path(args.out))
        return 0
    specs = [s for s in SONGS if (not args.quick or s.slug in QUICK) and (not args.only or s.slug in args.only)]
    out = Path(args.out)
    t = time.perf_counter()
    rows = render_report(out, specs)
    fails = sum(1 for r in rows for v in r["verdicts"].values() if v is False)
    print(f"wrote {out / 'report.md'} ({len(rows)} songs, {fails} failed checks) in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
