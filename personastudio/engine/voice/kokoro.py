"""Kokoro-82M (int8 ONNX) made to sing: the caller gives the durations and the F0.

1. ``_graphs`` loads the model (``weights.kokoro_model_path``) with the ``onnx``
   package and makes two graphs, once per process:

   - *sing*: the per-token durations (input 0 of ``/encoder/Gather``, the tensor
     ``/encoder/Cast_output_0``) and the F0 curve in Hz (input 0 of
     ``/decoder/decoder/Unsqueeze``, ``/encoder/Reshape_output_0``) become graph
     inputs ``durations`` (int64 (1, n_tokens), frames per token) and ``f0_hz``
     (float32 (1, 2 * n_frames)); the duration predictor, ``speed`` and the F0
     head become dead and are removed. Inputs: tokens, style, durations, f0_hz.
   - *predict*: the encoder and prosody predictor only: natural durations and
     natural F0 for given tokens + style + speed (no decoder: ~20x cheaper).

   One frame is 25 ms (600 samples at 24 kHz) and carries two F0 values.
2. Tokens: eSpeak NG (the ``espeakng-loader`` wheel, through the library handle
   of ``dsp.voice``) gives American English IPA, mapped to Kokoro's symbols as
   kokoro-onnx/misaki's espeak fallback does (``ɚ`` -> ``əɹ``, ``r`` -> ``ɹ``,
   ``ɐ`` -> ``ə``, ``ʲ`` dropped, diphthongs to ``A I O W Y``). Mandarin comes
   from pypinyin (already a project dependency) with a pinyin -> IPA table in
   the symbols Kokoro's Mandarin was trained on (``ꭧ ʦ ʨ ʰ ɕ ʂ ɻ ɨ ɤ``), tones
   dropped since the melody sets F0. eSpeak's own ``cmn`` IPA was tried first:
   it writes tone 3 as ``ɜ`` (a vowel symbol), retroflexes as ``t^s.``, uses
   ``ʐ`` (not in the vocabulary) and misreads many characters.
3. Syllables: every vowel token is one nucleus (Mandarin: one syllable per Han
   character, whose later vowels -- the ``i`` of ``ai`` -- are an off-glide);
   consonants between two nuclei of a word are split by the longest legal
   English onset; a word boundary ends the coda. ``syllable_count`` and
   ``sing_line`` use the same ``syllabify``.
4. ``sing_line`` places each syllable on its notes: onset consonants at their
   predicted length just before the note, the vowel filling the note (legato up
   to the next onset), coda consonants at its end; the F0 is the melody with
   ~70 ms glides and vibrato ramped in after 150 ms, 0 on unvoiced consonants.
   Rests (>= 0.25 s at a word boundary) split a line into phrases rendered
   separately, so they are silent and cost nothing.

No Django here: numpy, scipy, onnx, onnxruntime and pypinyin only (eSpeak NG through dsp.espeak).
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import json
import logging
import math
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from ..dsp import espeak
from ..dsp.audio_io import resample
from . import weights

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24000
FRAME_S = 0.025  # one duration unit of the model
FRAME_SAMPLES = 600
F0_PER_FRAME = 2
MAX_TOKENS = 510  # the style tables and the model's position embeddings stop at 512 with the pads
DEFAULT_THREADS = max(1, int(os.environ.get("PERSONASTUDIO_VOICE_THREADS", "2") or 2))

# A style table has one row per token count (row k for k + 1 tokens). Sung lines are 20-80
# tokens; row 49 (50 tokens) is within 0.15 of the mean of rows 20..100 for every voice,
# while rows below 10 or above 150 drift away (their prosody half is louder / slower).
STYLE_TOKENS = 50
# kokoro-js's voice styles read from the npm tarball (weights.voice_pack_styles): American (a) and
# British (b) English, Mandarin (z), each female (f) and male (m); the Japanese (j) come from the wheel.
VOICE_PACK_PREFIXES = ("af_", "am_", "bf_", "bm_", "zf_", "zm_")
# The stock voice of each register: the first installed of its list. Chosen by PocketSphinx's WER on
# the 8 Harvard sentences spoken (intelligibility.REPORT_SENTENCES; 2026-12), then by Kokoro's own
# quality grade among those within 5 points of the best: female af_alloy 17 % (grade C), af_kore
# 21 % (C+), af_sky 24 %, af_nova 25 %, af_heart 35 %; male am_adam and am_echo 21 % (F+, D),
# am_fenrir 24 % (C+), am_michael 27 %. The Japanese styles (the only ones before the npm pack):
# jm_kumo 32 %, jf_gongitsune 50 %, jf_nezumi 57 %, jf_tebukuro 84 %, jf_alpha 92 %.
STOCK_STYLES = {"female": ("af_kore", "jf_gongitsune"), "male": ("am_fenrir", "jm_kumo")}
# (lowest, highest) MIDI note each style sings in tune: a held "ah", harvest within 50 cents on 95 %
# of its frames (scripts/measure_style_ranges.py, 2026-12). Above the ceiling the output collapses to
# noise or the octave below: the decoder's harmonic source gives out, not the F0 conditioning
# (clamping that changed nothing). Phrases that go higher are sung transposed down and resampled up.
STYLE_RANGES_MIDI = {
    "af_alloy": (33.0, 66.0),
    "af_aoede": (38.0, 66.0),
    "af_bella": (41.0, 65.0),
    "af_heart": (39.0, 66.0),
    "af_jessica": (37.0, 66.0),
    "af_kore": (32.0, 66.0),
    "af_nicole": (55.0, 55.0),
    "af_nova": (35.0, 66.0),
    "af_river": (32.0, 66.0),
    "af_sarah": (37.0, 66.0),
    "af_sky": (33.0, 64.0),
    "am_adam": (34.0, 63.0),
    "am_echo": (33.0, 62.0),
    "am_eric": (32.0, 61.0),
    "am_fenrir": (33.0, 66.0),
    "am_liam": (32.0, 63.0),
    "am_michael": (34.0, 60.0),
    "am_onyx": (32.0, 64.0),
    "am_puck": (33.0, 64.0),
    "am_santa": (35.0, 67.0),
    "bf_alice": (38.0, 67.0),
    "bf_emma": (36.0, 66.0),
    "bf_isabella": (41.0, 66.0),
    "bf_lily": (32.0, 67.0),
    "bm_daniel": (32.0, 66.0),
    "bm_fable": (37.0, 64.0),
    "bm_george": (34.0, 59.0),
    "bm_lewis": (44.0, 58.0),
    "jf_alpha": (49.0, 67.0),
    "jf_gongitsune": (38.0, 66.0),
    "jf_nezumi": (40.0, 67.0),
    "jf_tebukuro": (43.0, 70.0),
    "jm_kumo": (32.0, 65.0),
    "zf_xiaobei": (44.0, 67.0),
    "zf_xiaoni": (45.0, 67.0),
    "zf_xiaoxiao": (40.0, 67.0),
    "zf_xiaoyi": (48.0, 67.0),
    "zm_yunjian": (32.0, 66.0),
    "zm_yunxi": (32.0, 66.0),
    "zm_yunxia": (42.0, 67.0),
    "zm_yunyang": (34.0, 66.0),
}
DEFAULT_RANGE_MIDI = (36.0, 63.0)  # a style not measured (a fitted one takes its nearest measured style's)

REST_S = 0.25  # a gap this long between a syllable's notes and the next onset is a rest
GLIDE_S = 0.07
VIBRATO_DELAY_S = 0.15
VIBRATO_RAMP_S = 0.25
MAX_ONSET_S = 0.3
PAD_FRAMES = 2  # pad token frames before a phrase (the model starts from silence)
LEAD_FRAMES = 2  # how far ahead of its frames the model sounds a token
END_PAD_FRAMES = 3  # and after it: the release
TARGET_RMS = 0.1  # about -20 dBFS while sounding
# The decoder's int8 convolutions run as float ones (``dequantise_decoder``): measured faster on
# these machines' cores, and the activations are no longer rounded to 8 bits.
FLOAT_DECODER = os.environ.get("PERSONASTUDIO_VOICE_FLOAT_DECODER", "1") != "0"
# The generator's 1D convolutions run as 2D ones of height 1 (``convs_as_2d``): onnxruntime then gives
# them its blocked (NCHWc) direct convolutions instead of im2col + GEMM. The same samples (within
# float rounding, SNR > 100 dB); the sing graph took about 10 % less CPU on these machines.
CONVS_AS_2D = os.environ.get("PERSONASTUDIO_VOICE_CONVS_2D", "1") != "0"
CONVS_AS_2D_PREFIX = "/decoder/decoder/generator/"
# onnxruntime's ``session.dynamic_block_base``: its parallel loops hand out work in shrinking blocks
# instead of one fixed share per thread, so a thread that the machine's other work delays holds up
# less. 0: onnxruntime's default. The same samples; on a shared, loaded 2-core machine the sing graph
# took about 6 % less CPU and 10 % less wall time with 4 (one process, interleaved, 6 rounds).
DYNAMIC_BLOCK_BASE = int(os.environ.get("PERSONASTUDIO_VOICE_DYNAMIC_BLOCK_BASE", "4") or 0)

_DURATIONS_NODE, _DURATIONS_TENSOR = "/encoder/Gather", "/encoder/Cast_output_0"
_F0_NODE, _F0_TENSOR = "/decoder/decoder/Unsqueeze", "/encoder/Reshape_output_0"
_ENERGY_NODE, _ENERGY_TENSOR = "/decoder/decoder/Unsqueeze_1", "/encoder/Reshape_1_output_0"


# --------------------------------------------------------------------------- graphs


def _prune(model, outputs: list) -> None:
    """Keep only what `outputs` (ValueInfoProtos) need: nodes, initializers, inputs (in place)."""
    g = model.graph
    need = {o.name for o in outputs}
    keep = []
    for node in reversed(g.node):  # nodes are topologically sorted
        if any(o in need for o in node.output):
            keep.append(node)
            need.update(i for i in node.input if i)
    keep.reverse()
    for field, items in (
        ("node", keep),
        ("output", list(outputs)),
        ("initializer", [i for i in g.initializer if i.name in need]),
        ("input", [i for i in g.input if i.name in need]),
        ("value_info", [v for v in g.value_info if v.name in need]),
    ):
        getattr(g, field).__delitem__(slice(None))
        getattr(g, field).extend(items)


def build_graphs(model) -> tuple:
    """(sing, predict) ModelProtos from the Kokoro ModelProto `model` (which is consumed).

    sing: tokens (1, T) int64, style (1, 256), durations (1, T) int64, f0_hz (1, 2F) -> audio (600 F,).
    predict: tokens, style, speed (1,) -> durations (1, T) int64, f0_hz (1, 2F) float32.
    """
    import onnx
    from onnx import TensorProto, helper

    predict = onnx.ModelProto()
    predict.CopyFrom(model)
    _prune(
        predict,
        [
            helper.make_tensor_value_info(_DURATIONS_TENSOR, TensorProto.INT64, [1, "n_tokens"]),
            helper.make_tensor_value_info(_F0_TENSOR, TensorProto.FLOAT, [1, "n_f0"]),
            helper.make_tensor_value_info(_ENERGY_TENSOR, TensorProto.FLOAT, [1, "n_f0"]),
        ],
    )
    sing = model
    rewire = {
        _DURATIONS_NODE: (_DURATIONS_TENSOR, "durations"),
        _F0_NODE: (_F0_TENSOR, "f0_hz"),
        _ENERGY_NODE: (_ENERGY_TENSOR, "energy"),
    }
    found = set()
    for node in sing.graph.node:
        if node.name in rewire and node.input[0] == rewire[node.name][0]:
            node.input[0] = rewire[node.name][1]
            found.add(node.name)
    if found != set(rewire):
        raise weights.WeightsCorrupt(f"Kokoro graph lacks {sorted(set(rewire) - found)}: not the pinned model")
    sing.graph.input.extend(
        [
            helper.make_tensor_value_info("durations", TensorProto.INT64, [1, "n_tokens"]),
            helper.make_tensor_value_info("f0_hz", TensorProto.FLOAT, [1, "n_f0"]),
            helper.make_tensor_value_info("energy", TensorProto.FLOAT, [1, "n_f0"]),
        ]
    )
    _prune(sing, list(sing.graph.output))
    return sing, predict


def dequantise_decoder(model, *, prefix: str = "/decoder/") -> int:
    """Turn the int8 convolutions and matrix products under `prefix` into float ones (in place).

    The shipped model is dynamically quantised: every ``ConvInteger`` / ``MatMulInteger`` quantises
    its input at run time (``DynamicQuantizeLinear``), multiplies in integers and scales back. The
    weights here are dequantised once, ``(w_q - zero_point) * scale``, and the op becomes a float
    ``Conv`` / ``MatMul`` on the unquantised input (with the original float bias). The weights are
    the same numbers; the activations are no longer rounded to 8 bits. Returns how many ops changed.
    """
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    cons: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)

    def arr(name):
        return numpy_helper.to_array(inits[name])

    def float_bias(add) -> str | None:
        stack = [prod[i] for i in add.input[1:] if i in prod]
        while stack:
            p = stack.pop()
            if p.op_type == "Div":
                return p.input[0] if p.input[0] in inits else None
            stack.extend(prod[i] for i in p.input if i in prod)
        return None

    replace, new_inits = {}, []
    for node in g.node:
        if node.op_type not in ("ConvInteger", "MatMulInteger") or not node.name.startswith(prefix):
            continue
        dql = prod.get(node.input[0])
        if dql is None or dql.op_type != "DynamicQuantizeLinear" or node.input[1] not in inits:
            continue
        after = cons.get(node.output[0], [])
        if len(after) != 1:
            continue
        nxt, bias = after[0], None
        if nxt.op_type == "Add":
            bias = float_bias(nxt)
            if bias is None or len(cons.get(nxt.output[0], [])) != 1:
                continue
            nxt = cons[nxt.output[0]][0]
        if nxt.op_type != "Cast" or len(cons.get(nxt.output[0], [])) != 1:
            continue
        mul = cons[nxt.output[0]][0]
        scales = prod.get(mul.input[1]) if mul.op_type == "Mul" else None
        w_scale = [i for i in scales.input if i in inits] if scales is not None and scales.op_type == "Mul" else []
        if len(w_scale) != 1:
            continue
        wq = arr(node.input[1]).astype(np.float32)
        zp = arr(node.input[3]).astype(np.float32) if len(node.input) > 3 and node.input[3] in inits else 0.0
        ws = arr(w_scale[0]).astype(np.float32)
        if ws.ndim:  # per output channel: axis 0 of a conv weight, axis 1 of a matmul's
            ws = ws.reshape(1, -1) if node.op_type == "MatMulInteger" else ws.reshape(-1, *([1] * (wq.ndim - 1)))
            zp = np.asarray(zp).reshape(ws.shape) if np.ndim(zp) else zp
        name = node.input[1] + "_float"
        new_inits.append(numpy_helper.from_array(((wq - zp) * ws).astype(np.float32), name))
        if node.op_type == "ConvInteger":
            op = helper.make_node(
                "Conv", [dql.input[0], name] + ([bias] if bias else []), [mul.output[0]], name=node.name + "_float"
            )
            op.attribute.extend(node.attribute)
        else:
            op = helper.make_node("MatMul", [dql.input[0], name], [mul.output[0]], name=node.name + "_float")
        replace[mul.name] = op
    nodes = [replace.get(n.name, n) for n in g.node]
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    _prune(model, list(g.output))  # the integer ops, their quantisers and weights are now dead
    return len(replace)


def convs_as_2d(model, *, prefix: str = CONVS_AS_2D_PREFIX) -> int:
    """Run the 1D ``Conv`` ops under `prefix` as 2D ones of height 1 (in place); returns how many changed.

    Each becomes ``Unsqueeze`` (axis 2) -> ``Conv`` with a (out, in, 1, k) weight -> ``Squeeze``: the
    same sums (in another order), so the same output within float rounding. onnxruntime runs 2D
    convolutions with its NCHWc kernels (its graph optimiser inserts the layout reorders), 1D ones as
    im2col + GEMM.
    """
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {i.name: i for i in g.initializer}
    axes = "convs_as_2d_axis_2"
    weights_2d: dict[str, str] = {}
    nodes, changed = [], 0
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "Conv" and len(node.input) > 1 else None
        if w is None or len(w.dims) != 3 or not node.name.startswith(prefix):
            nodes.append(node)
            continue
        if w.name not in weights_2d:
            arr = numpy_helper.to_array(w)
            weights_2d[w.name] = f"{w.name}_2d"
            g.initializer.append(
                numpy_helper.from_array(arr.reshape(arr.shape[0], arr.shape[1], 1, -1), f"{w.name}_2d")
            )
        attrs = {}
        for a in node.attribute:
            v = helper.get_attribute_value(a)
            if a.name in ("kernel_shape", "strides", "dilations"):
                v = [1, *v]
            elif a.name == "pads":
                v = [0, v[0], 0, v[1]]
            attrs[a.name] = v
        x4, y4 = f"{node.name}_2d_in", f"{node.name}_2d_out"
        nodes += [
            helper.make_node("Unsqueeze", [node.input[0], axes], [x4], name=f"{node.name}_2d_unsqueeze"),
            helper.make_node("Conv", [x4, weights_2d[w.name], *node.input[2:]], [y4], name=f"{node.name}_2d", **attrs),
            helper.make_node("Squeeze", [y4, axes], [node.output[0]], name=f"{node.name}_2d_squeeze"),
        ]
        changed += 1
    if changed:
        g.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), axes))
        del g.node[:]
        g.node.extend(nodes)
        _prune(model, list(g.output))  # the 1D weights are now dead
    return changed


@dataclass(frozen=True)
class _Sessions:
    sing: object  # onnxruntime.InferenceSession
    predict: object


_SESSIONS: dict[tuple, _Sessions] = {}  # (threads, FLOAT_DECODER, CONVS_AS_2D, DYNAMIC_BLOCK_BASE) -> sessions
_SESSIONS_LOCK = threading.Lock()


def _write_graphs(sing_path: str, predict_path: str, float_decoder: bool, convs_2d: bool = False) -> None:
    """Build the sing and predict graphs from the checked model and save them as ONNX files (atomically)."""
    import onnx

    model = onnx.load(str(weights.kokoro_model_path()))
    sing, predict = build_graphs(model)
    del model
    if float_decoder:
        dequantise_decoder(sing)
    if convs_2d:
        convs_as_2d(sing)
    for proto, path in ((sing, sing_path), (predict, predict_path)):
        tmp = f"{path}.{os.getpid()}.tmp"
        onnx.save(proto, tmp)
        digest = weights.file_sha256(tmp)
        with open(f"{tmp}.sha256", "w", encoding="ascii") as fh:
            fh.write(digest)
        os.replace(f"{tmp}.sha256", f"{path}.sha256")
        os.replace(tmp, path)


def _graph_file_sound(path: str) -> bool:
    """Whether a cached graph file is there and has the sha256 recorded when it was made (weights are checked before loading)."""
    try:
        with open(f"{path}.sha256", encoding="ascii") as fh:
            recorded = fh.read().strip()
        return os.path.isfile(path) and weights.file_sha256(path) == recorded
    except OSError:
        return False


@functools.cache
def _graph_code() -> str:
    """The source of the code that makes the graph files (part of their cache key)."""
    import inspect

    return "".join(inspect.getsource(f) for f in (_prune, build_graphs, dequantise_decoder, convs_as_2d, _write_graphs))


def _graph_paths(float_decoder: bool, convs_2d: bool) -> tuple[str, str]:
    """Where the sing and predict graphs for these settings and this code are cached (the key hashes both)."""
    made_by = f"{weights.KOKORO_SHA256}:{float_decoder}:{convs_2d}:{_graph_code()}"
    key = hashlib.sha256(made_by.encode()).hexdigest()[:16]
    return tuple(str(weights.cache_dir() / f"kokoro-{name}-{key}.onnx") for name in ("sing", "predict"))


def _graph_files(float_decoder: bool | None = None, convs_2d: bool | None = None) -> tuple[str, str]:
    """The sing and predict graphs as files in the weights cache, made once per model, settings and graph code.

    Settings default to FLOAT_DECODER and CONVS_AS_2D. They are made in a child process: editing the
    ModelProtos in Python (build_graphs, dequantise_decoder) peaked at 1.44 GB and left this process's
    heap at 1.25 GB, where sessions loaded from the files take 0.27 GB. If the child fails they are
    made here. Files of older graph code are removed; this code's files for other settings are kept.
    """
    import subprocess
    import sys

    float_decoder = FLOAT_DECODER if float_decoder is None else bool(float_decoder)
    convs_2d = CONVS_AS_2D if convs_2d is None else bool(convs_2d)
    paths = _graph_paths(float_decoder, convs_2d)
    if all(_graph_file_sound(path) for path in paths):
        return paths
    folder = weights.cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    weights.kokoro_model_path()  # joined and checked here, where its errors are raised
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    script = (
        "import sys; from personastudio.engine.voice import kokoro; "
        "kokoro._write_graphs(*sys.argv[1:3], sys.argv[3] == '1', sys.argv[4] == '1')"
    )
    args = [sys.executable, "-c", script, *paths, "1" if float_decoder else "0", "1" if convs_2d else "0"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not all(_graph_file_sound(path) for path in paths):
        logger.warning(
            "Preparing the voice model in a child process failed; preparing it here.\n%s", done.stderr[-2000:]
        )
        _write_graphs(*paths, float_decoder, convs_2d)
    current = [_graph_paths(f, c) for f, c in itertools.product((False, True), repeat=2)]
    keep = {*itertools.chain(*current), *(f"{path}.sha256" for path in itertools.chain(*current))}
    stale = [folder.glob(f"kokoro-{name}-*.onnx{tail}") for name in ("sing", "predict") for tail in ("", ".sha256")]
    for old in itertools.chain(*stale):  # older code's (another process's .tmp files are left alone)
        if str(old) not in keep:
            old.unlink(missing_ok=True)
    return paths


def _sessions(threads: int | None = None) -> _Sessions:
    """The two onnxruntime sessions for `threads` intra-op threads and the graph settings (built once per process)."""
    threads = max(1, int(threads or DEFAULT_THREADS))
    key = (threads, FLOAT_DECODER, CONVS_AS_2D, DYNAMIC_BLOCK_BASE)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle workers sleep instead of spinning: the band renders on the same 2 cores
            # (same speed, ~8 % less CPU measured).
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if DYNAMIC_BLOCK_BASE > 0:
                opts.add_session_config_entry("session.dynamic_block_base", str(DYNAMIC_BLOCK_BASE))
            providers = ["CPUExecutionProvider"]
            # Loaded from files (see _graph_files): 0.27 GB, where the ModelProtos built here cost 1.25 GB.
            sing_path, predict_path = _graph_files()
            try:
                sessions = _Sessions(
                    sing=ort.InferenceSession(sing_path, opts, providers=providers),
                    predict=ort.InferenceSession(predict_path, opts, providers=providers),
                )
            except Exception:  # a damaged cache file: make the graphs again, once
                logger.warning("The cached voice graphs did not load; making them again", exc_info=True)
                _write_graphs(sing_path, predict_path, FLOAT_DECODER, CONVS_AS_2D)
                sessions = _Sessions(
                    sing=ort.InferenceSession(sing_path, opts, providers=providers),
                    predict=ort.InferenceSession(predict_path, opts, providers=providers),
                )
            _SESSIONS[key] = sessions
        return _SESSIONS[key]


# --------------------------------------------------------------------------- vocabulary and styles


@functools.cache
def vocab() -> dict[str, int]:
    """Kokoro's symbol -> token id table (id 0 is the pad)."""
    return dict(json.loads(weights.data_bytes("vocab.json").decode("utf-8"))["vocab"])


@functools.cache
def _style_tables() -> dict[str, np.ndarray]:
    """Every style table this install has: the PyPI wheel's Japanese ones, and kokoro-js's English and Mandarin ones."""
    with np.load(io.BytesIO(weights.data_bytes("voices_ja.npz"))) as npz:
        tables = {name: np.asarray(npz[name], dtype=np.float32).reshape(-1, 256) for name in npz.files}
    try:
        pack = weights.voice_pack_styles(VOICE_PACK_PREFIXES)
    except weights.WeightsMissing as exc:
        logger.warning("%s The neural voice sings with the five Japanese styles until then.", exc)
    else:
        tables.update({name: np.frombuffer(raw, dtype="<f4").reshape(-1, 256).copy() for name, raw in pack.items()})
    return {name: table for name, table in tables.items() if _singable(name)}


def _singable(name: str) -> bool:
    """False for a style that holds no note over an octave (af_nicole whispers: no pitch to sing with)."""
    low, high = STYLE_RANGES_MIDI.get(name, DEFAULT_RANGE_MIDI)
    return high - low >= 12.0


def load_styles() -> dict[str, np.ndarray]:
    """Every installed style as one (256,) float32 vector: its table's row for STYLE_TOKENS tokens.

    Names: Kokoro's own (``af_kore``, ``am_michael``, ``jf_alpha``, ...): the first letter is the
    language, the second the register (f / m). The first 128 values shape the timbre (decoder),
    the last 128 the prosody.
    """
    return {name: table[min(STYLE_TOKENS, len(table)) - 1].copy() for name, table in _style_tables().items()}


def style_register(name: str) -> str:
    """ "female" or "male", from a Kokoro style name's second letter."""
    return "male" if name[1:2] == "m" else "female"


def _nearest_style(style: np.ndarray) -> str:
    styles = load_styles()
    vec = np.asarray(style, np.float32).reshape(256)
    return min(styles, key=lambda name: float(np.sum((styles[name] - vec) ** 2)))


def singable_range_midi(style: np.ndarray) -> tuple[float, float]:
    """(lowest, highest) MIDI note `style` sings in tune without transposition (nearest shipped style's).

    Give the composer a range inside this: above it ``sing_line`` transposes phrases down and
    resamples them up, which raises the formants too (a smaller, brighter voice).
    """
    return STYLE_RANGES_MIDI.get(_nearest_style(style), DEFAULT_RANGE_MIDI)


def stock_style_name(register: str) -> str:
    """The default style's name for a register: the first of STOCK_STYLES[register] this install has."""
    styles = _style_tables()
    choices = STOCK_STYLES["male" if register == "male" else "female"]
    return next((name for name in choices if name in styles), choices[-1])


def stock_style(register: str) -> np.ndarray:
    """The default (256,) style for a register ("female" | "male"), see STOCK_STYLES."""
    return load_styles()[stock_style_name(register)]


# --------------------------------------------------------------------------- phonemes: English


# eSpeak IPA -> Kokoro's symbols (as misaki's EspeakFallback for en-us); longest first.
_E2K = sorted(
    {
        "ʔˌn\u0329": "tᵊn",
        "ʔn\u0329": "tᵊn",
        "ʔn": "tᵊn",
        "ʔ": "t",
        "a^ɪ": "I",
        "a^ʊ": "W",
        "e^ɪ": "A",
        "e": "A",
        "ɔ^ɪ": "Y",
        "o^ʊ": "O",
        "d^ʒ": "ʤ",
        "t^ʃ": "ʧ",
        "ə^l": "ᵊl",
        "ʲo": "jo",
        "ʲə": "jə",
        "ʲ": "",
        "ɚ": "əɹ",
        "r": "ɹ",
        "x": "k",
        "ç": "k",
        "ɐ": "ə",
        "ɬ": "l",
        "\u0303": "",
    }.items(),
    key=lambda kv: -len(kv[0]),
)


def _english_phonemes(text: str) -> str:
    """Kokoro symbols for English `text` (words separated by spaces)."""
    ps = re.sub(r"\([a-z-]+\)", "", espeak.text_to_ipa(text, "en-us"))  # language-switch flags
    for old, new in _E2K:
        ps = ps.replace(old, new)
    ps = re.sub(r"(\S)\u0329", r"ᵊ\1", ps).replace("\u0329", "")  # syllabic n̩ -> ᵊn
    ps = ps.replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ").replace("ɪə", "iə").replace("ː", "")
    ps = ps.replace("o", "ɔ").replace("^", "")  # a bare o (espeak < 1.52) is ɔ
    ps = ps.replace("ɹɹ", "ɹ")  # ɚ + eSpeak's linking r
    known = vocab()
    return " ".join("".join(ch for ch in w if ch in known) for w in ps.split())


# --------------------------------------------------------------------------- phonemes: Mandarin

_PY_INITIALS = {
    "b": "p",
    "p": "pʰ",
    "m": "m",
    "f": "f",
    "d": "t",
    "t": "tʰ",
    "n": "n",
    "l": "l",
    "g": "k",
    "k": "kʰ",
    "h": "x",
    "j": "ʨ",
    "q": "ʨʰ",
    "x": "ɕ",
    "zh": "ꭧ",
    "ch": "ꭧʰ",
    "sh": "ʂ",
    "r": "ɻ",
    "z": "ʦ",
    "c": "ʦʰ",
    "s": "s",
}
_PY_FINALS = {
    "a": "a",
    "ai": "ai",
    "an": "an",
    "ang": "aŋ",
    "ao": "au",
    "e": "ɤ",
    "ei": "ei",
    "en": "ən",
    "eng": "əŋ",
    "er": "ɚ",
    "i": "i",
    "ia": "ja",
    "ian": "jɛn",
    "iang": "jaŋ",
    "iao": "jau",
    "ie": "je",
    "in": "in",
    "iou": "jou",
    "iu": "jou",
    "ing": "iŋ",
    "iong": "jʊŋ",
    "ong": "ʊŋ",
    "ou": "ou",
    "u": "u",
    "ua": "wa",
    "uai": "wai",
    "uan": "wan",
    "uang": "waŋ",
    "uei": "wei",
    "ui": "wei",
    "uen": "wən",
    "un": "wən",
    "ueng": "wəŋ",
    "uo": "wo",
    "o": "wo",
    "ü": "y",
    "üe": "ɥe",
    "üan": "ɥɛn",
    "ün": "yn",
    "ê": "ɛ",
}
_PY_WHOLE = {
    "m": "m",
    "n": "n",
    "ng": "ŋ",
    "hm": "xm",
    "hng": "xŋ",
    "o": "ɔ",
    "io": "jɔ",
    "ê": "ɛ",
    "er": "ɚ",
    "e": "ɤ",
}
_HAN_DIGITS = "〇一二三四五六七八九"


def _is_han(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return ch == "〇" or "CJK UNIFIED IDEOGRAPH" in name or "CJK COMPATIBILITY IDEOGRAPH" in name


def _pinyin_symbols(py: str) -> str:
    """Kokoro symbols of one toneless pinyin syllable ("zhong" -> "ꭧʊŋ")."""
    from pypinyin.contrib.tone_convert import to_finals, to_initials

    py = py.lower().replace("v", "ü")
    if py in _PY_WHOLE:
        return _PY_WHOLE[py]
    initial = to_initials(py, strict=True)
    final = to_finals(py, strict=True, v_to_u=True).replace("v", "ü")
    if initial in ("zh", "ch", "sh", "r", "z", "c", "s") and final == "i":
        body = "ɨ"  # the apical vowels of zhi/chi/shi/ri and zi/ci/si
    else:
        body = _PY_FINALS.get(final, final)
    return _PY_INITIALS.get(initial, "") + body


def _mandarin_words(text: str) -> list[tuple[str, bool]]:
    """(symbols, is_han_syllable) per unit: one per Han character, English words via eSpeak."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.seg.mmseg import seg

    text = re.sub(r"\d", lambda m: _HAN_DIGITS[int(m.group())], text)
    units: list[tuple[str, bool]] = []
    runs = [
        "".join(g)
        for _, g in itertools.groupby(
            text, key=lambda ch: 1 if _is_han(ch) else 2 if ch.isascii() and (ch.isalpha() or ch == "'") else 0
        )
    ]
    for run in runs:
        if _is_han(run[0]):
            for word in seg.cut(run):  # words: spaces between them as in Kokoro's Mandarin data
                pys = lazy_pinyin(word, style=Style.NORMAL, errors=lambda chars: ["" for _ in chars])
                syms = [_pinyin_symbols(p) if p else "" for p in pys]
                units.extend((s, True) for s in syms if s)
                units.append((" ", False))
        elif re.fullmatch(r"[A-Za-z']+", run):
            units.append((_english_phonemes(run), False))
            units.append((" ", False))
    return units


# --------------------------------------------------------------------------- syllables

_VOWELS = set("aeiouyæɑɒɔəɚɛɜɪʊʌᵊᵻɨɤøœɯAIOWYQ")
_STRESS = set("ˈˌ")
_SONORANTS = "mnŋlɹɻ"
_UNVOICED = set("ptkfθsʃhxçʧʦʨɕʂꭧʰɸχ")
# Legal English onset clusters (Kokoro symbols); any single consonant but ŋ/ʒ/ɾ-less is legal.
_ONSETS = {
    *(c + l for c in "pbkɡf" for l in "lɹ"),
    *(c + "ɹ" for c in "tdθʃ"),
    *(c + "w" for c in "tdkɡsθ"),
    *("s" + c for c in "ptkmnlwf"),
    *(c + "j" for c in "pbtdkɡfvmnhlsz"),
    "spɹ",
    "spl",
    "stɹ",
    "skɹ",
    "skw",
    "skl",
    "spj",
    "stj",
    "skj",
}


@dataclass(frozen=True)
class Syllable:
    """One sung syllable as Kokoro symbols (each character one token)."""

    onset: str  # consonants before the vowel (Mandarin: with the medial glide j/w/ɥ)
    nucleus: str  # stress marks (English) or a medial glide (Mandarin), then the one vowel token
    coda: str  # off-glide vowels (Mandarin ai, ao) and consonants after it
    word_end: bool  # a word boundary follows


def _split_cluster(cluster: str) -> tuple[str, str]:
    """(coda of the syllable before, onset of the one after) for consonants between two vowels."""
    for k in range(len(cluster)):
        onset = cluster[k:]
        if (len(onset) == 1 and onset not in "ŋʒ") or onset in _ONSETS:
            return cluster[:k], onset
    return cluster, ""


def _word_syllables(word: str) -> list[Syllable]:
    """Syllables of one word's symbols (stress marks stay before their vowel)."""
    nuclei = [i for i, ch in enumerate(word) if ch in _VOWELS]
    if not nuclei:  # "hmm", "shh": the last sonorant (else the last sound) carries the syllable
        core = [ch for ch in word if ch not in _STRESS]
        if not core:
            return []
        k = max((i for i, ch in enumerate(core) if ch in _SONORANTS), default=len(core) - 1)
        return [Syllable("".join(core[:k]), core[k], "".join(core[k + 1 :]), True)]
    out = []
    start = 0
    for j, v in enumerate(nuclei):
        stress_at = v
        while stress_at > start and word[stress_at - 1] in _STRESS:
            stress_at -= 1
        if j + 1 < len(nuclei):
            nxt = nuclei[j + 1]
            mid_end = nxt
            while mid_end > v + 1 and word[mid_end - 1] in _STRESS:
                mid_end -= 1
            coda, onset_next = _split_cluster(word[v + 1 : mid_end])
            end = v + 1 + len(coda)
        else:
            end = len(word)
        onset = "".join(ch for ch in word[start:stress_at] if ch not in _STRESS)
        out.append(Syllable(onset, word[stress_at : v + 1], word[v + 1 : end], j + 1 == len(nuclei)))
        start = end
    return out


_GLIDES = "jwɥ"


def _han_syllable(symbols: str) -> Syllable:
    """A Mandarin syllable: the medial glide (j w ɥ) and first vowel the nucleus, later vowels an
    off-glide in the coda. The glide is sung on the note, not before it: "xue" is x | ɥe."""
    k = next((i for i, ch in enumerate(symbols) if ch in _VOWELS), None)
    if k is None:  # 嗯 n, 呣 m
        return _word_syllables(symbols)[0]
    g = k
    while g > 0 and symbols[g - 1] in _GLIDES:
        g -= 1
    return Syllable(symbols[:g], symbols[g : k + 1], symbols[k + 1 :], False)


def _is_mandarin(language: str) -> bool:
    return (language or "").lower().startswith(("zh", "cmn"))


@functools.lru_cache(maxsize=512)
def syllabify(text: str, language: str) -> tuple[Syllable, ...]:
    """The syllables `text` is sung as ("en"/"en-us", or "zh"/"cmn" for Mandarin)."""
    text = " ".join(str(text or "").split())
    if not text:
        return ()
    out: list[Syllable] = []

    def end_word():
        if out and not out[-1].word_end:
            out[-1] = Syllable(out[-1].onset, out[-1].nucleus, out[-1].coda, True)

    if _is_mandarin(language):
        for symbols, han in _mandarin_words(text):
            if han:
                out.append(_han_syllable(symbols))
            elif symbols == " ":
                end_word()
            else:
                for word in symbols.split():
                    out.extend(_word_syllables(word))
    else:
        for word in _english_phonemes(text).split():
            syls = _word_syllables(word)
            if syls:
                out.extend(syls)
            elif out:  # a word without a sound of its own
                pass
    end_word()
    return tuple(out)


def syllable_count(text: str, language: str) -> int:
    """How many note groups the line needs: one per syllable ``sing_line`` sings."""
    return len(syllabify(text, language))


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    symbol: str
    syllable: int  # index into the phrase's syllables (-1: pad or space)
    part: str  # "pad" | "space" | "onset" | "stress" | "glide" | "vowel" | "coda"


# Sung, a diphthong token is held as its first vowel with the second as an off-glide: a long
# "I" (or A, O, W) token sags by 20-50 dB in its middle, a long "a" or "e" holds steady.
_SUNG_DIPHTHONGS = {"I": "aɪ", "A": "eɪ", "O": "oʊ", "W": "aʊ", "Y": "ɔɪ", "Q": "əʊ"}


def _tokens(syllables: tuple[Syllable, ...], *, sung: bool = True) -> list[_Token]:
    """The phrase's token sequence with the pads (id 0) at both ends and spaces between words.

    With `sung`, diphthong tokens are split into a held vowel and an off-glide (part of the coda).
    """
    toks = [_Token("", -1, "pad")]
    for i, syl in enumerate(syllables):
        nucleus, coda = syl.nucleus, syl.coda
        if sung and nucleus[-1] in _SUNG_DIPHTHONGS:
            pair = _SUNG_DIPHTHONGS[nucleus[-1]]
            nucleus, coda = nucleus[:-1] + pair[0], pair[1] + coda
        toks.extend(_Token(ch, i, "onset") for ch in syl.onset)
        toks.extend(
            _Token(ch, i, "stress" if ch in _STRESS else "vowel" if ch in _VOWELS else "glide") for ch in nucleus
        )
        toks.extend(_Token(ch, i, "coda") for ch in coda)
        if syl.word_end and i + 1 < len(syllables):
            toks.append(_Token(" ", -1, "space"))
    toks.append(_Token("", -1, "pad"))
    return toks


def _token_ids(toks: list[_Token]) -> np.ndarray:
    table = vocab()
    return np.array([[0 if t.part == "pad" else table[t.symbol] for t in toks]], dtype=np.int64)


@dataclass(frozen=True)
class _Prosody:
    durations: np.ndarray  # (T,) int64 frames per token
    f0_hz: np.ndarray  # (2 * sum(durations),) float32
    energy: np.ndarray  # (2 * sum(durations),) float32, the model's N curve


_NATURAL_CACHE: OrderedDict = OrderedDict()
_NATURAL_CACHE_SIZE = 32


def _natural(ids: np.ndarray, style: np.ndarray, *, speed: float = 1.0, threads: int | None = None) -> _Prosody:
    """The durations, F0 and energy the model would speak `ids` with.

    Remembered for the last few calls: a line sung as one phrase asks for the same prediction
    twice (once to place its rests, once to sing it), and a fit sings the same probe text often.
    """
    key = (np.asarray(ids, np.int64).tobytes(), _style_key(style), float(speed))
    with _LINE_CACHE_LOCK:
        hit = _NATURAL_CACHE.get(key)
        if hit is not None:
            _NATURAL_CACHE.move_to_end(key)
            return hit
    dur, f0, energy = _sessions(threads).predict.run(
        None,
        {
            "tokens": ids,
            "style": np.asarray(style, np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        },
    )
    out = _Prosody(dur[0].astype(np.int64), f0[0].astype(np.float32), energy[0].astype(np.float32))
    for arr in (out.durations, out.f0_hz, out.energy):
        arr.setflags(write=False)
    with _LINE_CACHE_LOCK:
        _NATURAL_CACHE[key] = out
        while len(_NATURAL_CACHE) > _NATURAL_CACHE_SIZE:
            _NATURAL_CACHE.popitem(last=False)
    return out


def _render(ids: np.ndarray, style: np.ndarray, prosody: _Prosody, *, threads: int | None = None) -> np.ndarray:
    """Audio (600 * sum(durations),) float32 at 24 kHz for given durations, F0 and energy (2 per frame)."""
    n = F0_PER_FRAME * int(prosody.durations.sum())
    assert len(prosody.f0_hz) == n and len(prosody.energy) == n
    out = _sessions(threads).sing.run(
        None,
        {
            "tokens": ids,
            "style": np.asarray(style, np.float32).reshape(1, 256),
            "durations": prosody.durations.reshape(1, -1).astype(np.int64),
            "f0_hz": prosody.f0_hz.reshape(1, -1).astype(np.float32),
            "energy": prosody.energy.reshape(1, -1).astype(np.float32),
        },
    )[0]
    return np.asarray(out, dtype=np.float32).ravel()


# --------------------------------------------------------------------------- timing


def _note_groups(notes: list, n_syll: int) -> list[list[tuple[float, float, float]]]:
    """One list of notes per syllable: several for a melisma, a share of one note when notes are fewer."""
    clean = sorted((float(s), max(float(d), 0.02), float(m)) for s, d, m in notes)
    n = len(clean)
    if n == n_syll:
        return [[note] for note in clean]
    if n > n_syll:
        return [clean[(j * n) // n_syll : max(((j + 1) * n) // n_syll, (j * n) // n_syll + 1)] for j in range(n_syll)]
    groups = []
    for i, (s, d, m) in enumerate(clean):
        k = max(((i + 1) * n_syll) // n - (i * n_syll) // n, 1)
        groups.extend([[(s + d * q / k, d / k, m)] for q in range(k)])
    return groups[:n_syll]


@dataclass
class _Span:
    """Where one syllable goes in song time (s)."""

    onset_start: float
    vowel_start: float  # the note start
    coda_start: float
    end: float  # the next onset (legato) or the last note's end (before a rest)


MAX_CONSONANT_FRAMES = 3  # natural speech lengthens sounds before pauses; a sung consonant is short
ONSET_SHARE = 0.3  # of the previous note's time an onset may take (it sounds before its own note)
CODA_SHARE = 0.25  # of the syllable's time its coda may take
MAX_GLIDE_FRAMES = 3


def _capped(toks: list[_Token], natural: np.ndarray) -> np.ndarray:
    """Natural frames per token with onset and coda sounds capped (vowels as they are)."""
    cap = np.array(
        [
            MAX_GLIDE_FRAMES
            if t.part == "coda" and t.symbol in _VOWELS
            else MAX_CONSONANT_FRAMES
            if t.part in ("onset", "coda")
            else 10**6
            for t in toks
        ]
    )
    return np.minimum(natural, cap)


def _spans(syllables: tuple[Syllable, ...], groups: list, toks: list[_Token], natural: np.ndarray) -> list[_Span]:
    natural = _capped(toks, natural)
    n = len(syllables)
    onset_nat = np.zeros(n)
    coda_nat = np.zeros(n)
    for t, d in zip(toks, natural):
        if t.part == "onset":
            onset_nat[t.syllable] += max(int(d), 1) * FRAME_S
        elif t.part == "coda":
            coda_nat[t.syllable] += max(int(d), 1) * FRAME_S
    starts = [g[0][0] for g in groups]
    ends = [max(s + d for s, d, _ in g) for g in groups]
    onset = np.zeros(n)
    for i in range(n):
        # The onset is taken from the previous note's time, so it is kept to a share of it.
        room = MAX_ONSET_S if i == 0 else ONSET_SHARE * max(starts[i] - starts[i - 1], 0.0)
        onset[i] = min(onset_nat[i], MAX_ONSET_S, room)
    spans = []
    for i in range(n):
        end = max(ends[i], starts[i] + FRAME_S)
        if i + 1 < n:
            nxt = starts[i + 1] - onset[i + 1]
            end = nxt if nxt - end < REST_S else end  # legato over short gaps
            end = min(end, nxt)
        end = max(end, starts[i] + FRAME_S)
        coda = min(coda_nat[i], CODA_SHARE * (end - starts[i]))
        spans.append(_Span(starts[i] - onset[i], starts[i], end - coda, end))
    return spans


def _phrases(syllables: tuple[Syllable, ...], spans: list[_Span]) -> list[tuple[int, int]]:
    """[a, b) syllable ranges sung in one go: split at rests at word boundaries and at the token limit."""
    out = []
    a = 0
    tokens = 0
    for i, syl in enumerate(syllables):
        tokens += len(syl.onset) + len(syl.nucleus) + len(syl.coda) + 1
        last = i + 1 == len(syllables)
        rest = not last and syl.word_end and spans[i + 1].onset_start - spans[i].end >= REST_S - 1e-9
        full = not last and syl.word_end and tokens + 40 > MAX_TOKENS
        if last or rest or full:
            out.append((a, i + 1))
            a, tokens = i + 1, 0
    return out


NUCLEUS_EDGE_FRAMES = 1
GLIDE_FRAMES = 2
_NUCLEUS = ("stress", "glide", "vowel")


def _held_index(toks: list[_Token], idx: list[int]) -> int:
    """Which token of a nucleus is stretched: the stress mark when there is one, else the vowel.

    Kokoro's alignment puts a stressed vowel's sound on the stress mark before it: spoken, "let"
    is loud in the frames of ``ˈ`` and near silent (already the closure of the t) in those of
    ``ɛ``; stretching the ``ɛ`` gave 0.25 s of near silence. (Appending a length mark ``ː`` to
    hold instead measured worse: more frames 15 dB down, lower pitch accuracy.)
    """
    parts = [toks[i].part for i in idx]
    for want in ("stress", "vowel"):
        if want in parts:
            return idx[parts.index(want)]
    return idx[-1]


def _durations(toks: list[_Token], natural: np.ndarray, spans: list[_Span], t0: float) -> np.ndarray:
    """Frames per token so that each syllable part fills its span (frame 0 starts at t0).

    In the nucleus the held token (``_held_index``) takes the span, the other tokens keep up to
    their natural length: a Mandarin medial glide 2 frames, a stressed vowel's own token (its
    tail, which already sounds like the next consonant) 1 frame; together at most 40 % of it.
    """
    natural = _capped(toks, natural)
    groups: list[tuple[str, int, list[int]]] = []  # consecutive tokens of one part
    for i, t in enumerate(toks):
        part = "nucleus" if t.part in _NUCLEUS else t.part
        if groups and groups[-1][0] == part and groups[-1][1] == t.syllable:
            groups[-1][2].append(i)
        else:
            groups.append((part, t.syllable, [i]))
    bounds = np.zeros(len(toks) + 1)  # boundary times (s from t0) of every token
    for part, s, idx in groups:
        if part == "pad":
            a = 0.0 if idx[0] == 0 else spans[-1].end - t0
            b = PAD_FRAMES * FRAME_S if idx[0] == 0 else a + END_PAD_FRAMES * FRAME_S
        elif part == "space":
            a = b = bounds[idx[0]]  # legato: 0 frames
        else:
            sp = spans[s]
            a, b = {
                "onset": (sp.onset_start, sp.vowel_start),
                "nucleus": (sp.vowel_start, sp.coda_start),
                "coda": (sp.coda_start, sp.end),
            }[part]
            a, b = a - t0, b - t0
        if part == "nucleus":
            held = _held_index(toks, idx)
            share = (
                np.array(
                    [
                        0.0
                        if i == held
                        else min(
                            max(int(natural[i]), 1), GLIDE_FRAMES if toks[i].part == "glide" else NUCLEUS_EDGE_FRAMES
                        )
                        for i in idx
                    ]
                )
                * FRAME_S
            )
            if share.sum() > 0.4 * (b - a):
                share *= 0.4 * (b - a) / share.sum()
            share[idx.index(held)] = (b - a) - share.sum()
            edges = a + np.concatenate([[0.0], np.cumsum(share)])
        else:
            share = np.maximum(natural[idx].astype(float), 1.0)
            edges = a + (b - a) * np.concatenate([[0.0], np.cumsum(share) / share.sum()])
        bounds[idx[0] : idx[-1] + 2] = edges
    frames = np.round(bounds / FRAME_S).astype(np.int64)
    frames[0] = 0
    for i, t in enumerate(toks):  # every sound at least one frame, boundaries never go back
        least = 0 if t.part == "space" else 1
        frames[i + 1] = max(frames[i + 1], frames[i] + least)
    return np.diff(frames)


# --------------------------------------------------------------------------- melody


def _midi_curve(
    times: np.ndarray, flat: list[tuple[float, float, float]], *, vibrato_rate_hz: float, vibrato_depth_cents: float
) -> np.ndarray:
    """MIDI pitch at `times`: the latest note held, ~70 ms glides, vibrato after the attack."""
    n_starts = np.array([nt[0] for nt in flat])
    n_midi = np.array([nt[2] for nt in flat])
    step = float(np.median(np.diff(times))) if len(times) > 1 else FRAME_S / F0_PER_FRAME
    # The glide is centred on the note start: it leaves the old note 35 ms before, is on the new one
    # 35 ms after (a glide that starts earlier is heard, and measured, as the old note going sharp).
    k = np.clip(np.searchsorted(n_starts, times, side="right") - 1, 0, len(flat) - 1)
    target = n_midi[k]
    width = max(int(round(GLIDE_S / step)), 1)
    kernel = np.hanning(width + 2)[1:-1]
    kernel /= kernel.sum()
    midi = np.convolve(np.pad(target, (width, width), mode="edge"), kernel, mode="same")[width:-width]
    k_now = np.clip(np.searchsorted(n_starts, times, side="right") - 1, 0, len(flat) - 1)
    since = times - n_starts[k_now]
    ramp = np.clip((since - VIBRATO_DELAY_S) / VIBRATO_RAMP_S, 0.0, 1.0)
    return midi + (vibrato_depth_cents / 100.0) * ramp * np.sin(2 * np.pi * vibrato_rate_hz * np.maximum(since, 0))


def _f0_curve(
    toks: list[_Token],
    durations: np.ndarray,
    t0: float,
    flat: list,
    *,
    vibrato_rate_hz: float,
    vibrato_depth_cents: float,
    unvoiced_f0: str = "zero",
) -> np.ndarray:
    """F0 (Hz, 2 per frame) for the phrase: melody where voiced, 0 in pads, spaces and unvoiced consonants."""
    n = F0_PER_FRAME * int(durations.sum())
    step = FRAME_S / F0_PER_FRAME
    times = t0 + (np.arange(n) + 0.5) * step
    hz = 440.0 * 2.0 ** (
        (_midi_curve(times, flat, vibrato_rate_hz=vibrato_rate_hz, vibrato_depth_cents=vibrato_depth_cents) - 69.0)
        / 12.0
    )
    voiced = np.zeros(n, dtype=bool)
    pos = 0
    for t, d in zip(toks, durations):
        m = F0_PER_FRAME * int(d)
        sound = t.part in ("onset", "coda") or t.part in _NUCLEUS
        unvoiced = t.symbol in _UNVOICED and unvoiced_f0 == "zero"
        voiced[pos : pos + m] = sound and not unvoiced
        pos += m
    return np.where(voiced, hz, 0.0).astype(np.float32)


def _resample_curve(seg: np.ndarray, n: int) -> np.ndarray:
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    if len(seg) == 1:
        return np.full(n, seg[0], dtype=np.float32)
    return np.interp(np.linspace(0, len(seg) - 1, n), np.arange(len(seg)), seg).astype(np.float32)


def _held_vowel(seg: np.ndarray, n: int, level: float) -> np.ndarray:
    """A vowel's energy over `n` values: its natural attack (2 values), `level` held, then its last value."""
    if n <= len(seg) + 2:
        return np.maximum(_resample_curve(seg, n), np.float32(min(level, float(seg.max()))))
    edge = min(2, len(seg))
    hold = np.full(n - edge - 2, level, dtype=np.float32)
    release = np.linspace(level, float(seg[-1]), 4)[1:3].astype(np.float32)
    return np.concatenate([np.maximum(seg[:edge], np.float32(min(level, float(seg[:edge].max())))), hold, release])


# The model's energy input (N, log-like) for held vowels, above the loudest natural value. At the
# natural level a vowel held for 0.6 s sags 25-30 dB in its middle; +3 holds it within 2 dB,
# +6 is 6 dB louder still. The level is evened out afterwards (``_even_vowels``) anyway.
HOLD_BOOST = 4.0


def _energy_curve(toks: list[_Token], natural: _Prosody, durations: np.ndarray) -> np.ndarray:
    """The model's energy (N) curve for sung durations, built from its natural one token by token.

    Consonants (and a stressed vowel's 1-frame tail) keep their natural curve resampled to their
    new length. The held token of a nucleus (the stress mark, else the vowel; ``_held_index``)
    keeps its natural attack and is then held at its loudest natural value (at least the
    phrase's median vowel peak) plus HOLD_BOOST. Left to predict N itself on sung durations, the
    model lets a long vowel die away after a few frames (a 0.7 s "fly" was 50 dB down after
    0.2 s), and so does the natural curve merely stretched.
    """
    src = natural.energy
    segs = []
    pos = 0
    for nd in natural.durations:
        a, b = F0_PER_FRAME * pos, F0_PER_FRAME * (pos + int(nd))
        pos += int(nd)
        segs.append(src[a:b] if b > a else src[min(max(a - 1, 0), len(src) - 1) :][:1])
    held = [False] * len(toks)
    for s in {t.syllable for t in toks if t.part in _NUCLEUS}:
        held[_held_index(toks, [i for i, t in enumerate(toks) if t.syllable == s and t.part in _NUCLEUS])] = True
    peaks = [float(seg.max()) for h, seg in zip(held, segs) if h]
    floor = float(np.median(peaks)) if peaks else -np.inf
    out = []
    for _t, h, seg, d in zip(toks, held, segs, durations):
        n = F0_PER_FRAME * int(d)
        if h:
            out.append(_held_vowel(seg, n, max(float(seg.max()), floor) + HOLD_BOOST))
        else:
            out.append(_resample_curve(seg, n))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


# --------------------------------------------------------------------------- singing


def _style_key(style: np.ndarray) -> str:
    return hashlib.sha1(np.asarray(style, np.float32).tobytes()).hexdigest()


_LINE_CACHE: OrderedDict = OrderedDict()
_LINE_CACHE_LOCK = threading.Lock()
_LINE_CACHE_SIZE = 48


def _transposition(groups: list, ceiling_midi: float, vibrato_depth_cents: float) -> Fraction:
    """How much faster to play the phrase back (1: not at all) so that no note exceeds the ceiling."""
    top = max(m for g in groups for _, _, m in g) + vibrato_depth_cents / 100.0
    if top <= ceiling_midi:
        return Fraction(1)
    return Fraction(2.0 ** ((top - ceiling_midi) / 12.0)).limit_denominator(48)


def _sing_phrase(
    syllables: tuple[Syllable, ...],
    groups: list,
    style: np.ndarray,
    *,
    vibrato_rate_hz: float,
    vibrato_depth_cents: float,
    threads: int | None,
    unvoiced_f0: str,
) -> tuple[float, np.ndarray]:
    """(start_s, audio at 24 kHz) of one phrase; start_s is its first onset in song time.

    A phrase above the style's ceiling is rendered slower and lower by the ratio r (times x r,
    pitches / r) and resampled r times faster: exact pitches and timing, formants raised by r.
    """
    ratio = _transposition(groups, singable_range_midi(style)[1], vibrato_depth_cents)
    if ratio != 1:
        r = float(ratio)
        shift = 12.0 * math.log2(r)
        ref = groups[0][0][0]
        slow = [[(ref + (st - ref) * r, d * r, m - shift) for st, d, m in g] for g in groups]
        start, y = _sing_phrase_at(
            syllables,
            slow,
            style,
            vibrato_rate_hz=vibrato_rate_hz / r,
            vibrato_depth_cents=vibrato_depth_cents,
            threads=threads,
            unvoiced_f0=unvoiced_f0,
        )
        y = resample_poly(y, ratio.denominator, ratio.numerator).astype(np.float32)
        return ref + (start - ref) / r, y
    return _sing_phrase_at(
        syllables,
        groups,
        style,
        vibrato_rate_hz=vibrato_rate_hz,
        vibrato_depth_cents=vibrato_depth_cents,
        threads=threads,
        unvoiced_f0=unvoiced_f0,
    )


def _sing_phrase_at(
    syllables: tuple[Syllable, ...],
    groups: list,
    style: np.ndarray,
    *,
    vibrato_rate_hz: float,
    vibrato_depth_cents: float,
    threads: int | None,
    unvoiced_f0: str,
) -> tuple[float, np.ndarray]:
    toks = _tokens(syllables)
    ids = _token_ids(toks)
    natural = _natural(ids, style, threads=threads)
    spans = _spans(syllables, groups, toks, natural.durations)
    start_s = spans[0].onset_start
    t0 = start_s - PAD_FRAMES * FRAME_S
    durations = _durations(toks, natural.durations, spans, t0)
    flat = sorted(nt for g in groups for nt in g)
    f0 = _f0_curve(
        toks,
        durations,
        t0,
        flat,
        vibrato_rate_hz=vibrato_rate_hz,
        vibrato_depth_cents=vibrato_depth_cents,
        unvoiced_f0=unvoiced_f0,
    )
    # The model sounds each token about 2 frames before its frames (a vowel's onset 46-59 ms
    # before its note); the F0 source is exact. So the tokens move 2 frames later, the F0 stays.
    late = durations.copy()
    late[0] += LEAD_FRAMES
    late[-1] = max(int(late[-1]) - LEAD_FRAMES, 1)
    n_f0 = F0_PER_FRAME * int(late.sum())
    f0 = np.pad(f0, (0, max(n_f0 - len(f0), 0)))[:n_f0]
    sung = _Prosody(late, f0, _energy_curve(toks, natural, late))
    audio = _render(ids, style, sung, threads=threads)
    audio = _even_vowels(audio, spans, t0)
    return start_s, audio[PAD_FRAMES * FRAME_SAMPLES :]


MAX_BOOST_DB, MAX_CUT_DB = 12.0, 6.0


def _even_vowels(y: np.ndarray, spans: list[_Span], t0: float) -> np.ndarray:
    """Bring every syllable's vowel to the phrase's median vowel level (up to +12/-6 dB).

    The model sings unstressed words ("we", "the") 15-20 dB below the stressed ones whatever
    energy it is given; sung, that makes them vanish. The gain is set per syllable (onset to
    end) and smoothed over 30 ms so nothing clicks.
    """

    def idx(t: float) -> int:
        return int(np.clip(round((t - t0) * SAMPLE_RATE), 0, len(y)))

    levels = []
    for sp in spans:
        seg = y[idx(sp.vowel_start) : idx(sp.coda_start)]
        levels.append(10 * np.log10(np.mean(seg.astype(np.float64) ** 2) + 1e-12) if len(seg) else np.nan)
    levels = np.array(levels)
    if np.all(np.isnan(levels)):
        return y
    target = float(np.nanmedian(levels))
    gain_db = np.zeros(len(y))
    for sp, level in zip(spans, levels):
        if not np.isnan(level):
            gain_db[idx(sp.onset_start) : idx(sp.end)] = np.clip(target - level, -MAX_CUT_DB, MAX_BOOST_DB)
    width = int(0.03 * SAMPLE_RATE)
    gain_db = np.convolve(gain_db, np.ones(width) / width, mode="same")
    return (y * 10.0 ** (gain_db / 20.0)).astype(np.float32)


def _fade(y: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    n_in, n_out = min(n_in, len(y) // 2), min(n_out, len(y) // 2)
    if n_in > 0:
        y[:n_in] *= np.linspace(0.0, 1.0, n_in)
    if n_out > 0:
        y[-n_out:] *= np.linspace(1.0, 0.0, n_out)
    return y


def _level(y: np.ndarray) -> np.ndarray:
    """About -20 dBFS RMS over the sounding samples, peaks below 0.95."""
    seg = y[np.abs(y) > 1e-4]
    rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if len(seg) else 0.0
    if rms > 0:
        y = y * (TARGET_RMS / rms)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    return y * (0.95 / peak) if peak > 0.95 else y


def _resample(y: np.ndarray, sr: int) -> np.ndarray:
    return resample(y, sr_from=SAMPLE_RATE, sr_to=sr).astype(np.float32, copy=False)


def sing_line(
    text: str,
    language: str,
    notes: list[tuple[float, float, float]],
    *,
    style: np.ndarray,
    vibrato_rate_hz: float = 5.5,
    vibrato_depth_cents: float = 30.0,
    sr: int,
    threads: int | None = None,
    unvoiced_f0: str = "zero",
) -> tuple[float, np.ndarray]:
    """Sing one lyric line on `notes` ((start_s, dur_s, midi), song time, one or more per syllable).

    Parameters
    ----------
    text, language
        the line and "en" | "zh" (also "en-us", "cmn").
    notes
        at least one per syllable of ``syllabify(text, language)`` (several: a melisma; fewer:
        notes are shared out).
    style
        (256,) Kokoro style vector (``stock_style``, ``load_styles``).
    threads
        onnxruntime intra-op threads (default ``PERSONASTUDIO_VOICE_THREADS`` or 2).
    unvoiced_f0
        "zero" (unvoiced consonants get F0 0, the default) or "melody" (they get the held note).

    Returns
    -------
    (start_s, samples): start_s is the first note minus its onset consonants (may be < 0);
    samples is float32 mono (n,) at `sr`, about -20 dBFS RMS while sounding, silent in rests.
    Identical calls (a repeated chorus) are answered from a cache.
    """
    syllables = syllabify(text, language)
    if not notes:
        return 0.0, np.zeros(0, dtype=np.float32)
    if not syllables:
        return float(min(float(n[0]) for n in notes)), np.zeros(0, dtype=np.float32)
    groups = _note_groups(list(notes), len(syllables))
    first = groups[0][0][0]
    rel = tuple((round(s - first, 6), round(d, 6), round(m, 4)) for g in groups for s, d, m in g)
    key = (
        syllables,
        rel,
        tuple(len(g) for g in groups),
        _style_key(style),
        float(vibrato_rate_hz),
        float(vibrato_depth_cents),
        int(sr),
        unvoiced_f0,
    )
    with _LINE_CACHE_LOCK:
        hit = _LINE_CACHE.get(key)
        if hit is not None:
            _LINE_CACHE.move_to_end(key)
    if hit is None:
        # Render relative to the first note (so a repeat at another time is the same work) ...
        rel_groups = [[(s - first, d, m) for s, d, m in g] for g in groups]
        hit = _sing_relative(
            syllables,
            rel_groups,
            style,
            vibrato_rate_hz=vibrato_rate_hz,
            vibrato_depth_cents=vibrato_depth_cents,
            sr=sr,
            threads=threads,
            unvoiced_f0=unvoiced_f0,
        )
        hit[1].setflags(write=False)
        with _LINE_CACHE_LOCK:
            _LINE_CACHE[key] = hit
            while len(_LINE_CACHE) > _LINE_CACHE_SIZE:
                _LINE_CACHE.popitem(last=False)
    # ... and shift it back.
    return first + hit[0], hit[1].copy()


def _sing_relative(
    syllables, groups, style, *, vibrato_rate_hz, vibrato_depth_cents, sr, threads, unvoiced_f0
) -> tuple[float, np.ndarray]:
    toks = _tokens(syllables)
    # Spans of the whole line (with natural durations of the whole line) decide where rests split it.
    natural = _natural(_token_ids(toks), style, threads=threads)
    spans = _spans(syllables, groups, toks, natural.durations)
    pieces = []
    for a, b in _phrases(syllables, spans):
        start, y = _sing_phrase(
            syllables[a:b],
            groups[a:b],
            style,
            vibrato_rate_hz=vibrato_rate_hz,
            vibrato_depth_cents=vibrato_depth_cents,
            threads=threads,
            unvoiced_f0=unvoiced_f0,
        )
        pieces.append((start, _fade(y, int(0.005 * SAMPLE_RATE), int(0.02 * SAMPLE_RATE))))
    start_s = pieces[0][0]
    n = max(int(round((s - start_s) * SAMPLE_RATE)) + len(y) for s, y in pieces)
    out = np.zeros(n, dtype=np.float32)
    for s, y in pieces:
        at = int(round((s - start_s) * SAMPLE_RATE))
        out[at : at + len(y)] += y
    out = _resample(_level(out), sr)
    return start_s, _fade(out.astype(np.float32), int(0.004 * sr), int(0.004 * sr))


def speak(
    text: str, language: str, *, style: np.ndarray, speed: float = 1.0, sr: int, threads: int | None = None
) -> np.ndarray:
    """Speech (float32 mono at `sr`, about -20 dBFS) with the model's own durations and F0."""
    syllables = syllabify(text, language)
    if not syllables:
        return np.zeros(0, dtype=np.float32)
    toks = _tokens(syllables, sung=False)
    ids = _token_ids(toks)
    if ids.shape[1] > MAX_TOKENS + 2:
        raise ValueError(f"{ids.shape[1]} tokens: speak at most {MAX_TOKENS} at a time")
    y = _render(ids, style, _natural(ids, style, speed=speed, threads=threads), threads=threads)
    return _fade(_resample(_level(y), sr), int(0.004 * sr), int(0.01 * sr))


# --------------------------------------------------------------------------- for the persona fit

MODEL_NAME = "kokoro-82m-v1.0-int8"


def style_tables() -> dict[str, np.ndarray]:
    """Every shipped style's whole table, (rows, 256) float32 each: where the voices vary."""
    return dict(_style_tables())


def session() -> None:
    """Load the model (raises weights.WeightsError when it is not installed or not sound)."""
    _sessions()
