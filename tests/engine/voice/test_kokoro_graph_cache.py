"""The voice's graphs cached as files are loaded only when their sha256 is the one recorded when they were made."""

from personastudio.engine.voice import kokoro, weights


def _made(path, data: bytes) -> None:
    path.write_bytes(data)
    (path.parent / f"{path.name}.sha256").write_text(weights.file_sha256(path))


def test_a_cached_graph_with_its_recorded_sha256_is_sound(tmp_path):
    graph = tmp_path / "kokoro-sing-abc.onnx"
    _made(graph, b"graph bytes")
    assert kokoro._graph_file_sound(str(graph))


def test_a_changed_cached_graph_is_not_sound(tmp_path):
    graph = tmp_path / "kokoro-sing-abc.onnx"
    _made(graph, b"graph bytes")
    graph.write_bytes(b"graph bytez")  # one byte changed after it was made
    assert not kokoro._graph_file_sound(str(graph))


def test_a_cached_graph_without_a_recorded_sha256_is_not_sound(tmp_path):
    graph = tmp_path / "kokoro-sing-abc.onnx"
    graph.write_bytes(b"graph bytes")
    assert not kokoro._graph_file_sound(str(graph))
    assert not kokoro._graph_file_sound(str(tmp_path / "missing.onnx"))
