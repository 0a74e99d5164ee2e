"""Test voices of real speakers (MBROLA diphone voices, made to sing) for the consent check.

Each speaker's sung clip and spoken phrase is made once per test session. Tests that need them skip
when the voices are not installed (`make reference-voices`)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from personastudio.engine.voice import reference_speakers

SR = 22050
PHRASE_EN = "I agree that my own voice may sing in Persona Studio, 2 December 2026."


def need_speakers(*names: str) -> None:
    installed = {s.name for s in reference_speakers.available_speakers()}
    missing = [name for name in names if name not in installed]
    if missing:
        pytest.skip(f"MBROLA voices {', '.join(missing)} are not installed (make reference-voices)")


@functools.cache
def sung(name: str, *, seed: int = 0) -> np.ndarray:
    """`name` singing the persona lines: about 30 s."""
    need_speakers(name)
    return reference_speakers.sung_clip(
        reference_speakers.speaker(name), lines=reference_speakers.FIT_LINES, seed=seed, sr=SR
    )


@functools.cache
def phrase(name: str, text: str = PHRASE_EN) -> np.ndarray:
    """`name` singing a consent phrase to a short tune, as the persona form asks."""
    need_speakers(name)
    return reference_speakers.sung_clip(reference_speakers.speaker(name), lines=[text], seed=7, sr=SR)
