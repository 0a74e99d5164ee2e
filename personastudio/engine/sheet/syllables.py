"""The text under each sung note: one syllable per note, as a lead sheet and a MIDI lyric show it.

English words are split at their hyphenation points (pyphen's en_US dictionary) into as many parts
as the engine sang syllables; a word the dictionary cannot split that far is cut into equal runs of
letters. Chinese is one character per note, with its pinyin (tone marks) as a second line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..dsp import lyrics


@dataclass(frozen=True)
class SungSyllable:
    text: str
    syllabic: str  # MusicXML's: "single" | "begin" | "middle" | "end"
    pinyin: str = ""  # Chinese only: the reading with its tone mark


@cache
def _hyphenator():
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def _split_word(word: str, parts: int) -> list[str]:
    if parts <= 1:
        return [word]
    pieces = _hyphenator().inserted(word, hyphen="\x00").split("\x00")
    while len(pieces) > parts:  # fewer breaks than the dictionary offers: join the shortest neighbours
        i = min(range(len(pieces) - 1), key=lambda k: len(pieces[k]) + len(pieces[k + 1]))
        pieces[i : i + 2] = [pieces[i] + pieces[i + 1]]
    if len(pieces) < parts:
        pieces = _split_at_vowels(word, parts)
    return pieces


_VOWELS = set("aeiouyAEIOUY")


def _split_at_vowels(word: str, parts: int) -> list[str]:
    """A word the dictionary does not split: cut before the consonant that opens each later vowel
    group ("to-night"), or into equal runs of letters when it has too few vowel groups."""
    starts = [i for i in range(1, len(word)) if word[i] in _VOWELS and word[i - 1] not in _VOWELS]
    cuts = [i - 1 for i in starts if i - 1 > 0]
    if len(cuts) >= parts - 1:
        chosen = (
            [cuts[round(k * (len(cuts) - 1) / max(parts - 2, 1))] for k in range(parts - 1)] if parts > 2 else [cuts[0]]
        )
        edges = [0, *sorted(set(chosen)), len(word)]
        if len(edges) == parts + 1:
            return [word[a:b] for a, b in zip(edges, edges[1:])]
    step = len(word) / parts
    edges = [round(step * k) for k in range(parts + 1)]
    return [word[edges[k] : edges[k + 1]] or word[-1] for k in range(parts)]


def _pinyin_marks(han: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    marks = lazy_pinyin(han, style=Style.TONE, errors="default")
    return marks if len(marks) == len(han) else [""] * len(han)


def line_syllables(text: str, language: str) -> list[SungSyllable]:
    """The syllables of one sung line, in the order and number the composer gave it notes."""
    out: list[SungSyllable] = []
    units = lyrics._units(text, language)
    han = "".join(u for u, _n in units if lyrics._HAN_RE.fullmatch(u))
    readings = iter(_pinyin_marks(han)) if han else iter(())
    for unit, count in units:
        if lyrics._HAN_RE.fullmatch(unit):
            out.append(SungSyllable(unit, "single", next(readings, "")))
            continue
        parts = _split_word(unit, count)
        if len(parts) == 1:
            out.append(SungSyllable(parts[0], "single"))
        else:
            out.extend(
                SungSyllable(p, "begin" if k == 0 else "end" if k == len(parts) - 1 else "middle")
                for k, p in enumerate(parts)
            )
    return out
