"""Drawing a persona: an avatar, its range on a piano keyboard, its pitch histogram, its voice type.

Everything is server-rendered inline SVG (no script), built from numbers only; the one piece of
user text (the initials in the avatar) is escaped.
"""

from __future__ import annotations

import colorsys
import hashlib

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from personastudio.engine.dsp.pitch import NOTE_NAMES, VoiceProfile, hz_to_midi
from personastudio.personas import services

register = template.Library()

# Voice types, lowest first: (English, Chinese). Thresholds are on the voice's centre in MIDI
# (median weighted twice, plus the bottom and top of the range), taken from the usual tessituras.
MALE_TYPES = (("bass", "男低音"), ("baritone", "男中音"), ("tenor", "男高音"))
FEMALE_TYPES = (("alto", "女低音"), ("mezzo-soprano", "女中音"), ("soprano", "女高音"))
MALE_SPLITS = (48.5, 53.5)  # below C#3: bass; below F#3: baritone; else tenor
FEMALE_SPLITS = (61.5, 66.5)  # below D4: alto; below G4: mezzo-soprano; else soprano
REGISTER_SPLIT = 58.5  # when the profile did not say male or female: below A#3/B3 sings like a man

WHITE_PCS = (0, 2, 4, 5, 7, 9, 11)
KEY_W, KEY_H, BLACK_W, BLACK_H = 10, 48, 6, 30
MIN_KEYS = 25  # two octaves and one note at least
PIANO_LOW, PIANO_HIGH = 21, 108  # A0..C8


def _voice(value) -> VoiceProfile | None:
    """A persona, a VoiceProfile or a profile dict -> a VoiceProfile with a measured pitch, else None."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = VoiceProfile.from_dict(value) if value else None
    elif not isinstance(value, VoiceProfile):
        value = getattr(value, "voice", None)
    if value is None or value.median_hz <= 0 or value.low_hz <= 0 or value.high_hz <= 0:
        return None
    return value


def note_name(midi: int) -> str:
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def voice_type_of(low_hz: float, median_hz: float, high_hz: float, register: str = "") -> tuple[str, str]:
    """('mezzo-soprano', '女中音') from where a voice sits; ('', '') when nothing was measured."""
    if min(low_hz, median_hz, high_hz) <= 0:
        return "", ""
    centre = (2 * hz_to_midi(median_hz) + hz_to_midi(low_hz) + hz_to_midi(high_hz)) / 4
    if register not in ("male", "female"):
        register = "male" if centre < REGISTER_SPLIT else "female"
    types, splits = (MALE_TYPES, MALE_SPLITS) if register == "male" else (FEMALE_TYPES, FEMALE_SPLITS)
    index = sum(centre >= split for split in splits)
    return types[index]


@register.filter
def voice_type(value) -> str:
    """ "Mezzo-soprano (女中音)" for a persona or profile; "" before it is learned."""
    voice = _voice(value)
    if voice is None:
        return ""
    english, chinese = voice_type_of(voice.low_hz, voice.median_hz, voice.high_hz, voice.register)
    if not english:
        return ""
    # The Chinese UI names the voice in Chinese only; the English one keeps the Chinese word beside it.
    return chinese if (get_language() or "").startswith("zh") else f"{english.capitalize()} ({chinese})"


@register.filter
def minsec(seconds) -> str:
    """83.4 -> '1:23'; '' for nothing."""
    if seconds is None or seconds == "":
        return ""
    try:
        total = max(0, int(round(float(seconds))))
    except (TypeError, ValueError):
        return ""
    return f"{total // 60}:{total % 60:02d}"


def initials(name: str) -> str:
    words = (name or "").split()
    if not words:
        return "?"
    first = words[0][0]
    if not first.isascii():  # 我的歌手 -> 我: one CJK character is already a whole name's worth
        return first
    letters = [w[0] for w in words[:2] if w[0].isalnum()]
    return ("".join(letters) or first).upper()


def avatar_colour(seed) -> str:
    """A stable, readable colour for an id: the hue comes from its hash; white text stays legible on it."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    r, g, b = colorsys.hls_to_rgb(hue / 360, 0.40, 0.55)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


@register.simple_tag
def persona_avatar(persona, size: int = 48) -> SafeString:
    colour = avatar_colour(persona.id)
    text = initials(persona.name)
    return format_html(
        '<svg class="avatar" width="{size}" height="{size}" viewBox="0 0 48 48" role="img" aria-hidden="true" '
        'data-colour="{colour}"><circle cx="24" cy="24" r="24" fill="{colour}"/>'
        '<text x="24" y="24" dy=".35em" text-anchor="middle" font-size="{font}" font-weight="600" fill="#fff" '
        'font-family="system-ui, sans-serif">{text}</text></svg>',
        size=int(size),
        colour=colour,
        text=text,
        font=18 if len(text) > 1 else 22,
    )


def keyboard_span(low: int, high: int) -> tuple[int, int]:
    """The keys to draw: the range with a few notes either side, at least two octaves, whole octaves C..B."""
    start, end = low - 3, high + 3
    short = MIN_KEYS - (end - start + 1)
    if short > 0:
        start -= short // 2
        end += short - short // 2
    start, end = start - start % 12, end + (11 - end % 12)
    return max(PIANO_LOW, start), min(PIANO_HIGH, end)


@register.simple_tag
def range_keyboard(value) -> SafeString:
    """The learned range on a piano keyboard: keys in the range highlighted, the median marked."""
    voice = _voice(value)
    if voice is None:
        return mark_safe("")
    low, high = round(hz_to_midi(voice.low_hz)), round(hz_to_midi(voice.high_hz))
    median = round(hz_to_midi(voice.median_hz))
    start, end = keyboard_span(low, high)
    whites, blacks, x_of = [], [], {}
    x = 0
    for midi in range(start, end + 1):
        if midi % 12 in WHITE_PCS:
            x_of[midi] = x
            x += KEY_W
        else:
            x_of[midi] = x - BLACK_W / 2
    width = x
    for midi in range(start, end + 1):
        white = midi % 12 in WHITE_PCS
        classes = ["key", "white" if white else "black"]
        if low <= midi <= high:
            classes.append("in-range")
        if midi == median:
            classes.append("median")
        fill = (
            ("#8fc1ff" if low <= midi <= high else "#ffffff")
            if white
            else ("#1f5fa8" if low <= midi <= high else "#222222")
        )
        rect = (
            f'<rect class="{" ".join(classes)}" data-midi="{midi}" x="{x_of[midi]:g}" y="0" '
            f'width="{KEY_W if white else BLACK_W}" height="{KEY_H if white else BLACK_H}" fill="{fill}" '
            f'stroke="#555" stroke-width=".5"><title>{note_name(midi)}</title></rect>'
        )
        (whites if white else blacks).append(rect)
    labels = [
        f'<text class="key-label" x="{x_of[m] + KEY_W / 2:g}" y="{KEY_H - 4}" text-anchor="middle" '
        f'font-size="6" fill="#333">{note_name(m)}</text>'
        for m in range(start, end + 1)
        if m % 12 == 0
    ]
    white_median = median % 12 in WHITE_PCS
    cx = x_of.get(median, 0) + (KEY_W if white_median else BLACK_W) / 2
    cy = KEY_H - 14 if white_median else BLACK_H - 6
    median_title = gettext("Median {note}").format(note=note_name(median))
    marker = (
        (
            f'<circle class="median-dot" cx="{cx:g}" cy="{cy}" r="2.6" fill="#e8590c" stroke="#fff" '
            f'stroke-width=".6"><title>{escape(median_title)}</title></circle>'
        )
        if start <= median <= end
        else ""
    )
    label = gettext("Range {low} to {high}, median {median}, on a piano keyboard").format(
        low=note_name(low), high=note_name(high), median=note_name(median)
    )
    return mark_safe(
        f'<svg class="keyboard" viewBox="0 0 {width} {KEY_H}" role="img" aria-label="{escape(label)}" '
        f'data-low="{low}" data-high="{high}" data-median-midi="{median}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{''.join(whites)}{''.join(labels)}{''.join(blacks)}{marker}</svg>"
    )


@register.simple_tag
def pitch_histogram(value) -> SafeString:
    """How long the voice spent on each note: one bar per semitone, the median's bar marked."""
    voice = _voice(value)
    counts = {}
    for key, frames in (voice.histogram or {}).items() if voice else ():
        try:
            counts[int(key)] = int(frames)
        except (TypeError, ValueError):
            continue
    counts = {m: c for m, c in counts.items() if c > 0}
    if not counts:
        return mark_safe("")
    median = round(hz_to_midi(voice.median_hz))
    first, last = min(counts) - 1, max(counts) + 1
    n = last - first + 1
    bar_w, height, top = 12, 80, max(counts.values())
    bars, labels = [], []
    for i, midi in enumerate(range(first, last + 1)):
        frames = counts.get(midi, 0)
        h = 0 if not frames else max(1.0, height * frames / top)
        classes = "bar median" if midi == median else "bar"
        fill = "#e8590c" if midi == median else "#4c8bd6"
        bars.append(
            f'<rect class="{classes}" data-midi="{midi}" data-frames="{frames}" x="{i * bar_w + 1}" '
            f'y="{height - h:.1f}" width="{bar_w - 2}" height="{h:.1f}" fill="{fill}">'
            f"<title>{note_name(midi)}: {frames / 100:.1f} s</title></rect>"
        )
        if midi % 12 == 0 or midi == median:
            labels.append(
                f'<text x="{i * bar_w + bar_w / 2:g}" y="{height + 11}" text-anchor="middle" '
                f'font-size="8" fill="currentColor">{note_name(midi)}</text>'
            )
    label = gettext("Pitch histogram: time spent on each note from {low} to {high}, most around {most}").format(
        low=note_name(first + 1), high=note_name(last - 1), most=note_name(max(counts, key=counts.get))
    )
    return mark_safe(
        f'<svg class="histogram" viewBox="0 0 {n * bar_w} {height + 14}" role="img" aria-label="{escape(label)}">'
        f'<title>{escape(label)}</title><line x1="0" y1="{height}" x2="{n * bar_w}" y2="{height}" '
        f'stroke="currentColor" stroke-width=".5"/>{"".join(bars)}{"".join(labels)}</svg>'
    )


@register.simple_tag
def persona_region_limits() -> dict:
    """The persona's region limits for a page of another app (the clip page's region panel):
    ``{% persona_region_limits as persona_region %}``, without that app importing the personas app."""
    return services.persona_region_limits()
