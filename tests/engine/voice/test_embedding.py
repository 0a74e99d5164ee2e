"""Speaker embeddings: Resemblyzer's encoder in numpy, its weights file, its preprocessing."""

import collections
import os
import pickle
import shutil
import sys
import threading
import types

import librosa
import numpy as np
import pytest

from personastudio.engine.dsp.voice import speak_line
from personastudio.engine.voice import embedding
from personastudio.engine.voice.embedding import (
    EMBEDDING_SIZE,
    NoVoice,
    WeightsCorrupt,
    WeightsMissing,
    cosine_similarity,
    embed_many,
    embed_utterance,
)

LINE_A = "The birch canoe slid on the smooth planks, gliding over the water."
LINE_B = "Rice is often served in round bowls with a little salt and butter."


@pytest.fixture(scope="module")
def encoder():
    try:
        return embedding.encoder()
    except WeightsMissing as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def speech(line: str, voice: str) -> tuple[np.ndarray, int]:
    spoken = speak_line(line, "en", voice=voice)
    return np.asarray(spoken.samples, dtype=np.float64), spoken.sr


def test_embedding_is_a_unit_vector(encoder):
    x, sr = speech(LINE_A, "female")
    e = embed_utterance(x, sr=sr)
    assert e.shape == (EMBEDDING_SIZE,) and e.dtype == np.float32
    assert abs(np.linalg.norm(e) - 1.0) < 1e-5
    assert e.min() >= 0  # ReLU before the norm
    partials = embedding.embed_partials(x, sr=sr)
    assert partials.shape[1] == EMBEDDING_SIZE and 2 <= len(partials) <= 4  # 3.7 s at 1.3 partials/s
    assert np.allclose(np.linalg.norm(partials, axis=1), 1.0, atol=1e-5)
    assert cosine_similarity(e, e) == pytest.approx(1.0)


def test_gain_and_sample_rate_do_not_matter_below_the_target_level(encoder):
    x, sr = speech(LINE_A, "female")  # about -21 dBFS
    quiet, quieter = 0.1 * x, 0.03 * x  # -41 and -51 dBFS: both raised to -30
    at16 = librosa.resample(quiet, orig_sr=sr, target_sr=16000)
    at44 = librosa.resample(quieter, orig_sr=sr, target_sr=44100)
    ref = embed_utterance(quiet, sr=sr)
    assert cosine_similarity(embed_utterance(quieter, sr=sr), ref) > 0.999
    assert cosine_similarity(embed_utterance(at16, sr=16000), ref) > 0.99
    assert cosine_similarity(embed_utterance(at44, sr=44100), ref) > 0.99
    assert cosine_similarity(embed_utterance(at16, sr=16000), embed_utterance(at44, sr=44100)) > 0.99


def test_loud_clips_keep_their_level_unless_fixed_level(encoder):
    # Resemblyzer only ever raises the level, and its network is not level-invariant.
    x, sr = speech(LINE_A, "female")
    loud, quiet = 1.4 * x, 0.05 * x  # about -18 and -47 dBFS
    assert cosine_similarity(embed_utterance(loud, sr=sr), embed_utterance(quiet, sr=sr)) < 0.99
    fixed = cosine_similarity(
        embed_utterance(loud, sr=sr, fixed_level=True), embed_utterance(quiet, sr=sr, fixed_level=True)
    )
    assert fixed > 0.999


def test_same_voice_other_words_beats_another_voice(encoder):
    def embed(line, voice):
        x, sr = speech(line, voice)
        return embed_utterance(x, sr=sr)

    fa, fb = embed(LINE_A, "female"), embed(LINE_B, "female")
    ma, mb = embed(LINE_A, "male"), embed(LINE_B, "male")
    same_f, same_m = cosine_similarity(fa, fb), cosine_similarity(ma, mb)
    others = [cosine_similarity(f, m) for f in (fa, fb) for m in (ma, mb)]
    assert min(same_f, same_m) > 0.8  # measured 0.92 / 0.91
    assert max(others) < 0.75  # measured 0.59-0.62 (same words included)
    assert min(same_f, same_m) > max(others) + 0.15


def test_embed_many_matches_single_calls(encoder):
    clips = [speech(LINE_A, "female")[0], speech(LINE_B, "male")[0][: 22050 * 2], speech(LINE_B, "female")[0]]
    many = embed_many(clips, sr=22050, batch_partials=4)
    assert many.shape == (3, EMBEDDING_SIZE)
    for row, x in zip(many, clips):
        assert np.abs(row - embed_utterance(x, sr=22050)).max() < 1e-5
    assert embed_many([], sr=22050).shape == (0, EMBEDDING_SIZE)


def test_silence_is_refused(encoder):
    with pytest.raises(NoVoice):
        embed_utterance(np.zeros(16000), sr=16000)
    with pytest.raises(NoVoice):
        embed_utterance(np.zeros(0), sr=16000)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_lstm_follows_torchs_equations(encoder):
    """torch.nn.LSTM: gates (i, f, g, o) stacked in weight_ih/weight_hh, both biases added; float64 here."""
    weights = embedding.load_weights()
    rng = np.random.default_rng(3)
    mels = rng.gamma(0.5, 0.02, size=(2, 25, 40)).astype(np.float32)  # power-mel-like: positive, skewed
    want = []
    for seq in mels.astype(np.float64):
        x = seq
        for k in range(3):
            w_ih, w_hh = weights[f"lstm.weight_ih_l{k}"], weights[f"lstm.weight_hh_l{k}"]
            b = weights[f"lstm.bias_ih_l{k}"].astype(np.float64) + weights[f"lstm.bias_hh_l{k}"]
            h, c, outs = np.zeros(256), np.zeros(256), []
            for xt in x:
                i, f, g, o = np.split(w_ih @ xt + w_hh @ h + b, 4)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                outs.append(h)
            x = np.array(outs)
        raw = np.maximum(weights["linear.weight"] @ h + weights["linear.bias"], 0)
        want.append(raw / np.linalg.norm(raw))
    got = encoder.embed_mels(mels)
    assert np.abs(got - np.array(want)).max() < 1e-5


def test_encoder_is_built_once(encoder):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(embedding.encoder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(e is encoder for e in seen)


# --------------------------------------------------------------------------- the weights file


def test_weights_file_is_checked(encoder, tmp_path):
    weights = embedding.load_weights()
    assert weights["lstm.weight_ih_l0"].shape == (1024, 40)
    assert weights["lstm.weight_hh_l2"].shape == (1024, 256)
    assert weights["linear.weight"].shape == (256, 256)
    bad = tmp_path / "pretrained.pt"
    shutil.copyfile(embedding.weights_path(), bad)
    with open(bad, "r+b") as f:
        f.seek(5_000_000)
        byte = f.read(1)
        f.seek(5_000_000)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(WeightsCorrupt, match="sha256"):
        embedding.load_weights(bad)
    with pytest.raises(WeightsMissing, match="resemblyzer==0.1.4"):
        embedding.load_weights(tmp_path / "absent.pt")


def _write_legacy_file(path, monkeypatch, storages: dict, obj_of):
    """A legacy torch.save file built without torch: a stand-in ``torch`` module gives the globals names."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called while writing")

    for thing, module in ((FloatStorage, "torch"), (_rebuild_tensor_v2, "torch._utils")):
        thing.__module__, thing.__qualname__ = module, thing.__name__
    torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    class Storage:
        def __init__(self, key):
            self.key = key

    class Tensor:
        def __init__(self, key, offset, shape, stride):
            self.args = (Storage(key), offset, shape, stride, False, collections.OrderedDict())

        def __reduce__(self):
            return _rebuild_tensor_v2, self.args

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", storages[obj.key].size, None)
            return None

    with open(path, "wb") as f:
        for header in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}},
        ):
            pickle.dump(header, f, protocol=2)
        Pickler(f, protocol=2).dump(obj_of(Tensor))
        pickle.dump(list(storages), f, protocol=2)
        for data in storages.values():
            f.write(np.int64(data.size).astype("<i8").tobytes())
            f.write(data.astype("<f4").tobytes())


def test_legacy_reader_handles_offsets_and_strides(tmp_path, monkeypatch):
    base = np.arange(12, dtype=np.float32)
    path = tmp_path / "tiny.pt"
    _write_legacy_file(
        path,
        monkeypatch,
        {"140": base, "7": np.array([2.5], np.float32)},
        lambda T: {
            "step": 3,
            "model_state": collections.OrderedDict(
                [
                    ("matrix", T("140", 0, (3, 4), (4, 1))),
                    ("transposed", T("140", 0, (4, 3), (1, 4))),
                    ("row", T("140", 4, (4,), (1,))),
                    ("scalar", T("7", 0, (1,), (1,))),
                ]
            ),
        },
    )
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.delitem(sys.modules, "torch._utils")
    loaded = embedding.read_legacy_torch(path)
    state = loaded["model_state"]
    assert loaded["step"] == 3 and list(state) == ["matrix", "transposed", "row", "scalar"]
    assert np.array_equal(state["matrix"], base.reshape(3, 4))
    assert np.array_equal(state["transposed"], base.reshape(3, 4).T)
    assert np.array_equal(state["row"], base[4:8])
    assert state["scalar"].tolist() == [2.5] and state["scalar"].dtype == np.float32


def test_legacy_reader_refuses_other_globals(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        pickle.dump({"x": os.getcwd}, f, protocol=2)
        pickle.dump([], f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        embedding.read_legacy_torch(path)
    zip_like = tmp_path / "new.pt"
    zip_like.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(ValueError, match="zip"):
        embedding.read_legacy_torch(zip_like)
