"""The sing graph run faster: 1D convolutions as 2D ones (kokoro.convs_as_2d), dynamic blocks; the same output, within float rounding."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from personastudio.engine.voice import kokoro  # noqa: E402

# (name, out channels, kernel, dilation, stride, pads, group, bias): the kinds the generator has, and a
# strided, grouped and unevenly padded one.
CONVS = [
    ("/gen/a/Conv", 8, 7, 3, 1, (9, 9), 1, True),
    ("/gen/b/Conv", 8, 3, 1, 2, (1, 2), 2, False),
    ("/gen/c/Conv", 6, 1, 1, 1, (0, 0), 1, True),
    ("/other/d/Conv", 6, 5, 1, 1, (2, 2), 1, True),
]


def _model() -> "onnx.ModelProto":
    rng = np.random.default_rng(3)
    nodes, inits, x, ch = [], [], "x", 4
    for name, out, k, dil, stride, pads, group, bias in CONVS:
        w = numpy_helper.from_array(rng.normal(size=(out, ch // group, k)).astype(np.float32), f"{name}.w")
        inputs = [x, w.name]
        inits.append(w)
        if bias:
            inits.append(numpy_helper.from_array(rng.normal(size=out).astype(np.float32), f"{name}.b"))
            inputs.append(f"{name}.b")
        nodes.append(
            helper.make_node(
                "Conv",
                inputs,
                [f"{name}.y"],
                name=name,
                kernel_shape=[k],
                dilations=[dil],
                strides=[stride],
                pads=list(pads),
                group=group,
            )
        )
        nodes.append(helper.make_node("Sin", [f"{name}.y"], [f"{name}.s"], name=f"{name}_sin"))
        x, ch = f"{name}.s", out
    graph = helper.make_graph(
        nodes,
        "convs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "n"])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, ch, "m"])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, x: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def test_convs_as_2d_give_the_same_output():
    x = np.random.default_rng(4).normal(size=(1, 4, 301)).astype(np.float32)
    model = _model()
    before = _run(model, x)
    changed = onnx.ModelProto()
    changed.CopyFrom(model)
    assert kokoro.convs_as_2d(changed, prefix="/gen/") == 3
    onnx.checker.check_model(changed)
    convs = {n.name: n for n in changed.graph.node if n.op_type == "Conv"}
    assert set(convs) == {"/gen/a/Conv_2d", "/gen/b/Conv_2d", "/gen/c/Conv_2d", "/other/d/Conv"}
    weights_1d = {i.name for i in changed.graph.initializer if len(i.dims) == 3}
    assert weights_1d == {"/other/d/Conv.w"}  # the replaced 1D weights are gone
    after = _run(changed, x)
    assert after.shape == before.shape
    # the same sums in another order: float rounding (a lost dilation or a wrong pad differs by ~1)
    np.testing.assert_allclose(after, before, rtol=0, atol=3e-4)


def test_the_sing_graph_with_2d_convs_sings_the_same_samples(kokoro_styles, sing_graphs_one_phrase):
    """The cached graphs with and without 2D convs: the same phrase within float rounding (SNR > 80 dB)."""
    paths = [kokoro._graph_files(convs_2d=flag)[0] for flag in (False, True)]
    outs, samples = sing_graphs_one_phrase(paths, register="female", f0_hz=220.0)
    old, new = (out.astype(np.float64) for out in outs)
    assert len(old) == len(new) == samples
    snr_db = 10 * np.log10(np.sum(old**2) / max(np.sum((new - old) ** 2), 1e-30))
    assert snr_db > 80.0


def test_dynamic_blocks_sing_the_same_samples(kokoro_styles, monkeypatch):
    """onnxruntime's dynamic blocks (kokoro.DYNAMIC_BLOCK_BASE) share the work out differently, not the sums."""
    style = kokoro.stock_style("male")
    ids = kokoro._token_ids(kokoro._tokens(kokoro.syllabify("hold on", "en")))  # short: the sums are the subject
    natural = kokoro._natural(ids, style)
    outs = []
    for base in (0, 4):
        monkeypatch.setattr(kokoro, "DYNAMIC_BLOCK_BASE", base)
        outs.append(kokoro._render(ids, style, natural))
    assert kokoro._SESSIONS.keys() >= {
        (kokoro.DEFAULT_THREADS, kokoro.FLOAT_DECODER, kokoro.CONVS_AS_2D, b) for b in (0, 4)
    }
    assert len(outs[0]) == kokoro.FRAME_SAMPLES * int(natural.durations.sum())
    np.testing.assert_allclose(outs[1], outs[0], rtol=0, atol=1e-5)
