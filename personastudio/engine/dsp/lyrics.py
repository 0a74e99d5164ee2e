"""Lyric parsing for the built-in music engine.

``parse_lyrics`` turns free lyric text into a list of :class:`Section` objects.

Rules
-----
* A section tag is a line of its own in square brackets.  English tags
  ``[Intro] [Verse] [Verse 2] [Pre-Chorus] [Chorus] [Bridge] [Outro]
  [Instrumental]`` and Chinese tags ``[前奏] [主歌] [预副歌] [副歌] [桥段] [尾奏]
  [间奏]`` are recognised (case, numbering and punctuation are ignored);
  unknown tags become ``verse``.
* Text that carries no tags at all is split into stanzas at blank lines; each
  stanza is a verse, except that a stanza whose text repeats an earlier stanza
  turns into a chorus (both the first and every later occurrence).
* A line wrapped in parentheses, ``(ooh)``, is a backing line.
* ``count_syllables`` counts one syllable per CJK character and uses a
  vowel-group heuristic for English words (silent trailing ``e``, at least one
  per word); digits are read as number words; punctuation is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECTION_KINDS = ("intro", "verse", "prechorus", "chorus", "bridge", "outro", "instrumental")


@dataclass
class Line:
    text: str
    syllables: int
    backing: bool = False


@dataclass
class Section:
    kind: str
    lines: list[Line] = field(default_factory=list)


_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_TAG_RE = re.compile(r"^\s*[\[【](.+?)[\]】]\s*$")
_WORD_RE = re.compile(r"[A-Za-z']+|\d+")

_TAG_WORDS = [
    # order matters: more specific first
    ("prechorus", ("pre-chorus", "prechorus", "pre chorus", "pre", "build", "lift", "预副歌", "导歌", "预")),
    ("instrumental", ("instrumental", "interlude", "solo", "break", "间奏", "器乐")),
    ("chorus", ("chorus", "refrain", "hook", "副歌")),
    ("bridge", ("bridge", "middle 8", "桥段", "桥")),
    ("intro", ("intro", "前奏", "引子")),
    ("outro", ("outro", "ending", "end", "coda", "尾奏", "尾声", "结尾")),
    ("verse", ("verse", "主歌")),
]


def _tag_kind(tag: str) -> str:
    t = tag.strip().lower()
    t = re.sub(r"[\d:：.\-_ ]+$", "", t).strip()  # drop trailing numbering like "Verse 2"
    for kind, words in _TAG_WORDS:
        for w in words:
            if t == w or t.startswith(w):
                return kind
    return "verse"


# --- syllables -------------------------------------------------------------

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (_number_words(n % 100) if n % 100 else [])
    if n < 10000 and n % 100 and 1100 <= n < 2100:  # years like 1999 → nineteen ninety-nine
        return _number_words(n // 100) + _number_words(n % 100)
    if n < 1_000_000:
        return _number_words(n // 1000) + ["thousand"] + (_number_words(n % 1000) if n % 1000 else [])
    # long digit strings: read digit by digit
    return [_ONES[int(d)] for d in str(n)]


def _english_word_syllables(word: str) -> int:
    w = word.lower().strip("'")
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    w = re.sub(r"'s$", "", w)
    groups = re.findall(r"[aeiouy]+", w)
    n = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1  # silent trailing e: "love", "time"
    elif w.endswith("es") and not w.endswith(("ses", "zes", "ches", "shes", "ges", "ces", "xes")) and n > 1:
        n -= 1  # "times", "lives"
    elif w.endswith("ed") and not w.endswith(("ted", "ded")) and n > 1:
        n -= 1  # "loved", "walked"
    if w.endswith("le") and len(w) > 2 and w[-3] not in "aeiouy" and n < 1:
        n += 1
    return max(1, n)


def count_syllables(line: str) -> int:
    """Approximate number of sung syllables of a lyric line."""
    n = len(_CJK_RE.findall(line))
    rest = _CJK_RE.sub(" ", line)
    for tok in _WORD_RE.findall(rest):
        if tok.isdigit():
            for w in _number_words(int(tok[:12])):
                n += _english_word_syllables(w)
        else:
            n += _english_word_syllables(tok)
    return n


def detect_language(text: str) -> str:
    """``"zh"`` when CJK characters dominate Latin letters, else ``"en"``."""
    cjk = len(_CJK_RE.findall(text or ""))
    latin = len(_LATIN_RE.findall(text or ""))
    # one CJK char carries about as much as a short English word (~3-4 letters)
    return "zh" if cjk > 0 and cjk * 3 >= latin else "en"


# --- parsing ---------------------------------------------------------------

def _make_line(raw: str) -> Line | None:
    s = raw.strip()
    if not s:
        return None
    backing = False
    if (s.startswith("(") and s.endswith(")")) or (s.startswith("（") and s.endswith("）")):
        backing = True
        s_inner = s[1:-1].strip()
    else:
        s_inner = s
    syl = count_syllables(s_inner)
    if syl == 0:
        return None
    return Line(text=s, syllables=syl, backing=backing)


def _norm_stanza(lines: list[str]) -> str:
    return "\n".join(re.sub(r"[^\w]+", " ", l.lower()).strip() for l in lines if l.strip())


def parse_lyrics(text: str) -> list[Section]:
    """Parse lyric text into sections (see module docstring)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    has_tags = any(_TAG_RE.match(l) for l in raw_lines)

    if has_tags:
        sections: list[Section] = []
        current: Section | None = None
        for raw in raw_lines:
            m = _TAG_RE.match(raw)
            if m:
                current = Section(kind=_tag_kind(m.group(1)), lines=[])
                sections.append(current)
                continue
            line = _make_line(raw)
            if line is None:
                continue
            if current is None:
                current = Section(kind="verse", lines=[])
                sections.append(current)
            current.lines.append(line)
        # drop empty lyric sections that are not band-only kinds
        return [s for s in sections if s.lines or s.kind in ("intro", "outro", "instrumental", "bridge")]

    # untagged: stanzas at blank lines
    stanzas: list[list[str]] = []
    cur: list[str] = []
    for raw in raw_lines:
        if raw.strip():
            cur.append(raw)
        elif cur:
            stanzas.append(cur)
            cur = []
    if cur:
        stanzas.append(cur)
    keys = [_norm_stanza(s) for s in stanzas]
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    sections = []
    for st, k in zip(stanzas, keys):
        lines = [l for l in (_make_line(r) for r in st) if l is not None]
        if not lines:
            continue
        kind = "chorus" if counts[k] > 1 else "verse"
        sections.append(Section(kind=kind, lines=lines))
    return sections
