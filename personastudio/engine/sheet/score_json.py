"""The composer's Score as JSON, so each generated track keeps the exact notes it was rendered from."""

from __future__ import annotations

from dataclasses import asdict

from ..dsp.composer import Note, Score, Style, SungLine
from ..dsp.lyrics import Line, Section

SCORE_FORMAT = 1  # bump when the shape changes; older records are read by their own version


def score_to_json(score: Score) -> dict:
    """A JSON-ready dict of `score` (tuples become lists)."""
    return {"format": SCORE_FORMAT, **asdict(score)}


def score_from_json(data: dict) -> Score:
    """The Score that `score_to_json` wrote."""
    if data.get("format") != SCORE_FORMAT:
        raise ValueError(f"unknown score format {data.get('format')!r}")
    style = dict(data["style"])
    style["tags"] = tuple(style.get("tags", ()))
    return Score(
        style=Style(**style),
        sections=[Section(kind=s["kind"], lines=[Line(**line) for line in s["lines"]]) for s in data["sections"]],
        chords=[(float(t), float(d), [int(m) for m in ms]) for t, d, ms in data["chords"]],
        melody=[Note(**n) for n in data["melody"]],
        bass=[Note(**n) for n in data["bass"]],
        drum_hits=[(float(t), str(name), float(v)) for t, name, v in data["drum_hits"]],
        duration_s=float(data["duration_s"]),
        line_spans=[(float(a), float(b)) for a, b in data["line_spans"]],
        section_spans=[(str(k), float(a), float(b)) for k, a, b in data["section_spans"]],
        counter=[Note(**n) for n in data["counter"]],
        sung_lines=[
            SungLine(
                text=s["text"],
                language=s["language"],
                backing=s["backing"],
                notes=[(float(a), float(b), float(m)) for a, b, m in s["notes"]],
                kind=s["kind"],
            )
            for s in data["sung_lines"]
        ],
    )
