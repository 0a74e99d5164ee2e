"""Rule-based song writer: a short description → title, tags and lyrics.

Rules
-----
* **Language** – :func:`~.lyrics.detect_language` on the description
  (Chinese when CJK characters dominate), English otherwise.
* **Subject** – English: known subject nouns found in the description
  (``SUBJECTS_EN``), else the longest content words (stop words removed), else
  a seeded pick from the bank.  Chinese: known nouns such as 夏天 海 雨 夜 城市
  爱 梦 星 … found in the description (longest match first), else a seeded pick.
* **Title** – a seeded title template filled with the main subject.
* **Tags** – every genre/mood/tempo word of the composer's ``STYLE_TABLE``
  found in the description, in order; fallback ``"pop, warm"`` /
  ``"流行, 温暖"``.
* **Structure** – ``[Verse] [Chorus] [Verse 2] [Chorus] [Bridge] [Chorus]``
  (Chinese: ``[主歌] [副歌] [主歌 2] [副歌] [桥段] [副歌]``), four lines each;
  the chorus text is identical every time.
* **Rhyme** – each line is an opening phrase (mentioning a subject) plus a line
  ending drawn from a rhyme family.  English families group endings by their
  final rhyme sound (-ight, -ay, -art, -ain, -ee, -ong, -ire, -ound); Chinese
  families group endings whose last character shares a final vowel group
  (-ang, -an, -ai, -ing, -ou, -i, -a).  Verses and the bridge rhyme AABB,
  the chorus rhymes AAAA.
* **Determinism** – every choice comes from ``random.Random`` seeded with the
  seed and the description, so the same input always yields the same song.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .composer import STYLE_TABLE, _find_tag_words
from .lyrics import detect_language


@dataclass
class InspiredSong:
    title: str
    tags: str
    lyrics: str
    language: str


# --------------------------------------------------------------------------- English bank

SUBJECTS_EN = [
    "summer",
    "sea",
    "ocean",
    "rain",
    "night",
    "city",
    "love",
    "dream",
    "dreams",
    "star",
    "stars",
    "moon",
    "sun",
    "river",
    "road",
    "home",
    "heart",
    "fire",
    "winter",
    "spring",
    "autumn",
    "snow",
    "sky",
    "wind",
    "morning",
    "midnight",
    "highway",
    "train",
    "coffee",
    "friend",
    "friends",
    "memory",
    "memories",
    "youth",
    "mountain",
    "garden",
    "storm",
    "light",
    "shadow",
    "window",
]

_STOP_EN = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "about",
        "from",
        "by",
        "into",
        "over",
        "under",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "him",
        "her",
        "us",
        "them",
        "my",
        "your",
        "his",
        "its",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "song",
        "songs",
        "music",
        "write",
        "make",
        "want",
        "like",
        "very",
        "really",
        "some",
        "any",
        "just",
        "so",
        "as",
        "up",
        "down",
        "out",
        "about",
        "please",
        "can",
        "could",
        "would",
        "should",
        "will",
        "lyrics",
        "lyric",
        "something",
        "thing",
        "things",
        "one",
        "two",
        "there",
        "here",
        "what",
        "when",
        "where",
        "who",
        "why",
        "how",
        "not",
        "no",
        "yes",
        "all",
        "more",
        "most",
        "feel",
        "feeling",
        "feels",
        "kind",
        "sort",
        "track",
        "tune",
    ]
)

RHYMES_EN: dict[str, list[str]] = {
    "ight": [
        "into the night",
        "holding on tight",
        "burning so bright",
        "under the light",
        "everything's right",
        "taking the flight",
        "out of my sight",
        "ready to fight",
    ],
    "ay": [
        "never away",
        "here we will stay",
        "find our own way",
        "dancing all day",
        "words we could say",
        "come what may",
        "skies turning gray",
        "the break of the day",
    ],
    "art": [
        "close to my heart",
        "right from the start",
        "never apart",
        "a brand new start",
        "torn all apart",
        "a work of art",
    ],
    "ain": [
        "dancing in rain",
        "calling again",
        "easing the pain",
        "down memory lane",
        "out on the plain",
        "riding the train",
    ],
    "ee": ["you and me", "wild and free", "out by the sea", "meant to be", "all we can see", "where I want to be"],
    "ong": [
        "singing our song",
        "where we belong",
        "all night long",
        "holding on strong",
        "carried along",
        "nothing is wrong",
    ],
    "ire": [
        "hearts on fire",
        "rising higher",
        "burning desire",
        "never tire",
        "sparks from the wire",
        "all we require",
    ],
    "ound": [
        "lost and found",
        "spinning around",
        "no one around",
        "the only sound",
        "feet off the ground",
        "homeward bound",
    ],
}

OPENINGS_EN = [
    "I remember the {s}",
    "We were chasing the {s}",
    "Every little {s}",
    "Dreaming of the {s}",
    "Your voice is like the {s}",
    "Walking with the {s}",
    "Hold on to the {s}",
    "All the {s} we knew",
    "Underneath the {s}",
    "Tell me about the {s}",
    "Here comes the {s}",
    "Whisper of the {s}",
]
CHORUS_OPENINGS_EN = [
    "Oh {s}",
    "Sing it for the {s}",
    "We are the {s}",
    "Take me to the {s}",
    "Na na, the {s}",
    "This is our {s}",
]
TITLES_EN = [
    "{S}",
    "{S} Song",
    "Under the {S}",
    "{S} Tonight",
    "Chasing {S}",
    "Our {S}",
    "{S} and Me",
    "Letters to the {S}",
]

# --------------------------------------------------------------------------- Chinese bank

SUBJECTS_ZH = [
    "夏天",
    "春天",
    "秋天",
    "冬天",
    "海边",
    "大海",
    "海",
    "雨",
    "夜晚",
    "夜",
    "城市",
    "爱情",
    "爱",
    "梦想",
    "梦",
    "星空",
    "星星",
    "星",
    "月亮",
    "月光",
    "月",
    "风",
    "花",
    "雪",
    "青春",
    "故乡",
    "远方",
    "时光",
    "回忆",
    "天空",
    "阳光",
    "山",
    "河",
    "路",
    "家",
    "朋友",
    "少年",
    "江南",
    "烟火",
]

RHYMES_ZH: dict[str, list[str]] = {
    "ang": ["洒满了月光", "在我心上", "飞向远方", "轻轻地歌唱", "不再迷茫", "是我的天堂", "照亮了故乡", "慢慢地成长"],
    "an": ["走过了这些年", "在你的身边", "看不见终点", "像蓝色的天", "停在那一天", "写满了思念", "一直到永远"],
    "ai": ["等你回来", "花儿盛开", "像一片海", "藏在心怀", "一直都在", "等待未来"],
    "ing": ["满天的星", "温柔的心情", "轻轻地倾听", "雨过天晴", "不会再停", "照亮眼睛"],
    "ou": ["牵着你的手", "不愿意放手", "陪你一起走", "留在心头", "等了好久", "在风中停留"],
    "i": ["藏在心里", "想起了你", "风吹过大地", "写进日记", "慢慢地升起", "不再分离"],
    "a": ["开满了花", "我们的家", "想对你说的话", "落在天涯", "漫天的晚霞", "轻轻地落下"],
}
OPENINGS_ZH = [
    "那年的{s}",
    "我想起{s}",
    "你说{s}",
    "穿过{s}",
    "{s}的风",
    "在{s}里",
    "每一个{s}",
    "关于{s}",
    "追着{s}",
    "看着{s}",
]
CHORUS_OPENINGS_ZH = ["啊 {s}", "我们的{s}", "唱给{s}", "带我去{s}", "这就是{s}"]
TITLES_ZH = ["{s}", "{s}之歌", "{s}的夜晚", "致{s}", "关于{s}", "{s}里的我们", "追{s}"]


def _last_cjk(text: str) -> str:
    chars = re.findall(r"[\u4e00-\u9fff]", text)
    return chars[-1] if chars else ""


def rhyme_family(line: str, language: str) -> str | None:
    """Name the rhyme family of a line ending produced by this module.

    Parameters
    ----------
    line : str
        A lyric line written by :func:`write_song`.
    language : str
        "en" or "zh"; for "zh" the last Han character decides.

    Returns
    -------
    str or None
        The family's key in ``RHYMES_EN`` / ``RHYMES_ZH``; None when the ending is not one of ours.
    """
    if language == "zh":
        last = _last_cjk(line)
        for fam, endings in RHYMES_ZH.items():
            if any(e[-1] == last for e in endings):
                return fam
        return None
    low = line.lower().strip(" ,.!?")
    for fam, endings in RHYMES_EN.items():
        if any(low.endswith(e.lower()) for e in endings):
            return fam
    return None


def _subjects_en(desc: str, rng: random.Random) -> list[str]:
    words = re.findall(r"[a-z']+", desc.lower())
    known = [w for w in words if w in SUBJECTS_EN]
    subj = list(dict.fromkeys(known))
    if not subj:
        content = [w for w in words if w not in _STOP_EN and len(w) >= 4 and w not in STYLE_TABLE]
        subj = list(dict.fromkeys(sorted(content, key=len, reverse=True)))[:3]
    while len(subj) < 2:
        cand = rng.choice(SUBJECTS_EN)
        if cand not in subj:
            subj.append(cand)
    return subj


def _subjects_zh(desc: str, rng: random.Random) -> list[str]:
    found: list[tuple[int, str]] = []
    taken = [False] * len(desc)
    for noun in sorted(SUBJECTS_ZH, key=len, reverse=True):
        for m in re.finditer(re.escape(noun), desc):
            if not any(taken[m.start() : m.end()]):
                found.append((m.start(), noun))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    subj = list(dict.fromkeys(n for _, n in sorted(found)))
    while len(subj) < 2:
        cand = rng.choice(SUBJECTS_ZH)
        if cand not in subj:
            subj.append(cand)
    return subj


def _tags(desc: str, language: str) -> str:
    words = [w for _, w in _find_tag_words(desc)]
    if not words:
        return "流行, 温暖" if language == "zh" else "pop, warm"
    return ", ".join(dict.fromkeys(words))


def _section(
    rng: random.Random,
    openings: list[str],
    rhymes: dict[str, list[str]],
    subjects: list[str],
    scheme: str,
    language: str,
    used_fams: set[str],
) -> list[str]:
    fams = [f for f in rhymes if f not in used_fams] or list(rhymes)
    fa = rng.choice(fams)
    fb = rng.choice([f for f in fams if f != fa] or fams)
    used_fams.update({fa, fb} if scheme != "AAAA" else {fa})
    pool = {fa: rng.sample(rhymes[fa], len(rhymes[fa])), fb: rng.sample(rhymes[fb], len(rhymes[fb]))}
    opens = rng.sample(openings, len(openings))
    lines = []
    for i, letter in enumerate(scheme):
        fam = fa if letter == "A" else fb
        ending = pool[fam].pop() if pool[fam] else rng.choice(rhymes[fam])
        subject = subjects[i % len(subjects)]
        opening = opens[i % len(opens)].format(s=subject)
        if language == "zh":
            lines.append(f"{opening} {ending}")
        else:
            lines.append(f"{opening}, {ending}")
    return lines


def write_song(description: str, *, seed: int) -> InspiredSong:
    """Write a song from a free description (see module docstring).

    Parameters
    ----------
    description : str
        What the song is about, in English or Chinese (the language of the song follows it).
    seed : int
        With the description, picks the title, subjects and rhymes: the same pair gives the same song.

    Returns
    -------
    InspiredSong
        Title, style tags, tagged lyrics (verse, chorus, verse 2, chorus, bridge, chorus) and language.
    """
    description = description or ""
    language = detect_language(description) if description.strip() else "en"
    rng = random.Random(f"inspiration|{seed}|{description}")
    if language == "zh":
        subjects = _subjects_zh(description, rng)
        title = rng.choice(TITLES_ZH).format(s=subjects[0])
        openings, chorus_openings, rhymes = OPENINGS_ZH, CHORUS_OPENINGS_ZH, RHYMES_ZH
        tags_names = ("[主歌]", "[副歌]", "[主歌 2]", "[桥段]")
    else:
        subjects = _subjects_en(description, rng)
        title = rng.choice(TITLES_EN).format(S=subjects[0].title())
        openings, chorus_openings, rhymes = OPENINGS_EN, CHORUS_OPENINGS_EN, RHYMES_EN
        tags_names = ("[Verse]", "[Chorus]", "[Verse 2]", "[Bridge]")
    used: set[str] = set()
    verse1 = _section(rng, openings, rhymes, subjects, "AABB", language, used)
    chorus = _section(rng, chorus_openings, rhymes, subjects[:1] + subjects[1:2], "AAAA", language, used)
    verse2 = _section(rng, openings, rhymes, subjects[::-1], "AABB", language, used)
    bridge = _section(rng, openings, rhymes, subjects[1:] + subjects[:1], "AABB", language, used)
    v, c, v2, b = tags_names
    blocks = [(v, verse1), (c, chorus), (v2, verse2), (c, chorus), (b, bridge), (c, chorus)]
    lyrics = "\n\n".join(tag + "\n" + "\n".join(lines) for tag, lines in blocks) + "\n"
    return InspiredSong(title=title, tags=_tags(description, language), lyrics=lyrics, language=language)
