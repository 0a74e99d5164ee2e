"""Shared by the neural-voice tests: the model loaded once, or a skip naming the missing package (outside CI)."""

import os

import numpy as np
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


@pytest.fixture
def sing_graphs_one_phrase():
    """A function that runs sing graphs (file paths or serialised models) on the same short phrase.

    ``sing(graphs, register=..., f0_hz=...)`` returns each graph's samples (1-D) and the number the
    phrase's durations ask for, so graph rewrites can be compared on the same feed.
    """
    import onnxruntime as ort

    def sing(graphs, *, register: str, f0_hz: float):
        style = kokoro.stock_style(register)
        # Two words (1 s; "sing it to the morning" took 1.9 s of CPU a graph, this 1.1): a lost dilation or a
        # wrong pad changes every sample, and the int8 / float voices correlate as on the longer phrase (0.976).
        ids = kokoro._token_ids(kokoro._tokens(kokoro.syllabify("sing it", "en")))
        natural = kokoro._natural(ids, style)
        feed = {
            "tokens": ids,
            "style": style.reshape(1, 256),
            "durations": natural.durations.reshape(1, -1),
            "f0_hz": np.full((1, len(natural.f0_hz)), f0_hz, np.float32),
            "energy": natural.energy.reshape(1, -1),
        }
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        outs = [
            ort.InferenceSession(g, opts, providers=["CPUExecutionProvider"]).run(None, feed)[0].ravel() for g in graphs
        ]
        return outs, kokoro.FRAME_SAMPLES * int(natural.durations.sum())

    return sing
