"""Shared by the neural-voice tests: the model loaded once, or a skip naming the missing package (outside CI)."""

import os

import pytest

from personastudio.engine.voice import kokoro, weights


@pytest.fixture(scope="session")
def kokoro_styles():
    """Every installed Kokoro style (name -> (256,) vector), with the model's sessions built."""
    try:
        kokoro.session()
        return kokoro.load_styles()
    except weights.WeightsMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
