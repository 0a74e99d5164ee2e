"""Titles and names are one line of text."""

import unicodedata

from django import forms

_LINE_BREAKING = {"Cc", "Zl", "Zp"}  # control characters (tab, newline, escapes…) and line/paragraph separators


def one_line(text: str) -> str:
    """Control characters become spaces, runs of spaces one space, and the ends are trimmed."""
    spaced = "".join(" " if unicodedata.category(ch) in _LINE_BREAKING else ch for ch in text or "")
    return " ".join(spaced.split())


class OneLineField(forms.CharField):
    """A title or a name: what was pasted with a newline or a stray control character reads as one line."""

    def to_python(self, value):
        return one_line(super().to_python(value))
