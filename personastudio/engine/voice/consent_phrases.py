"""The phrases a person reads aloud to agree that a persona may be made of their voice.

A phrase is picked at random and carries today's date, so a recording made for one day (or lifted
from somewhere else) is less likely to fit. No Django here: the studio's persona form and the
engine's ``GET music/persona/phrase`` both call ``consent_phrase``.
"""

from __future__ import annotations

import datetime
import random

LANGUAGES = ("en", "zh")

# 8–12 words each before the date (in Chinese, about as long to sing), each a plain statement of consent.
_PHRASES = {
    "en": (
        "I agree that my own voice may sing in Persona Studio, {date}.",
        "This is my voice, and I allow a singer made from it, {date}.",
        "I am recording this myself to let my voice become a persona, {date}.",
        "My voice is mine to share, and today I share it, {date}.",
        "I give my consent for this singing voice to be learned, {date}.",
        "I confirm that the voice in this clip is my own, {date}.",
        "Yes, you may learn my voice and let it sing songs, {date}.",
        "I am the person singing in this clip, and I agree, {date}.",
    ),
    "zh": (
        "我同意用我自己的声音在 Persona Studio 里唱歌，{date}。",
        "这是我的声音，我允许用它来做一位歌手，{date}。",
        "我亲自录下这句话，同意把我的声音做成歌手，{date}。",
        "这段录音里唱歌的人就是我，我表示同意，{date}。",
        "我确认这个片段里的声音是我本人的，{date}。",
        "我同意学习我的歌声，让它来唱我的歌，{date}。",
    ),
}

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def language_of(code: str | None) -> str:
    """'zh-hans', 'zh' -> 'zh'; anything else -> 'en'."""
    return "zh" if (code or "").lower().startswith("zh") else "en"


def spoken_date(day: datetime.date, language: str) -> str:
    """The date as it is read aloud: '2 December 2026', '2026年12月2日'."""
    if language_of(language) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def consent_phrase(language: str, *, today: datetime.date, rng: random.Random | None = None) -> str:
    """One phrase, picked at random, with today's date in it."""
    phrases = _PHRASES[language_of(language)]
    template = (rng or random.SystemRandom()).choice(phrases)
    return template.format(date=spoken_date(today, language))
