"""Every function of engine/dsp, public or private, takes its sample rate keyword-only (``*, sr``).

A parameter named ``sr`` or starting ``sr_`` (``sr_from``, ``sr_to``, ...) must come after the ``*``.
The modules' source is read, so nested functions, methods and lambdas are checked too, and a new function
is checked without being listed here.
"""

import ast
from pathlib import Path

import pytest

import personastudio.engine.dsp as dsp_package

DSP_DIR = Path(dsp_package.__file__).parent


def is_sample_rate(name: str) -> bool:
    return name == "sr" or name.startswith("sr_")


def positional_sample_rates(source: str) -> list[str]:
    """Each ``function(parameter) line N`` of the source that takes a sample rate positionally."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            name = getattr(node, "name", "<lambda>")
            for arg in node.args.posonlyargs + node.args.args:
                if is_sample_rate(arg.arg):
                    found.append(f"{name}({arg.arg}) line {node.lineno}")
    return found


def dsp_modules() -> list[Path]:
    return sorted(DSP_DIR.glob("*.py"))


def test_the_check_sees_a_positional_sample_rate():
    source = (
        "def a(x, sr): ...\n"
        "def b(x, *, sr): ...\n"
        "def c(x, sr_from, /, *, sr_to): ...\n"
        "class K:\n"
        "    def m(self, y, sr_in=0): ...\n"
        "f = lambda x, sr: x\n"
    )
    assert positional_sample_rates(source) == [
        "a(sr) line 1",
        "c(sr_from) line 3",
        "m(sr_in) line 5",
        "<lambda>(sr) line 6",
    ]


def test_the_modules_are_found():
    names = {p.name for p in dsp_modules()}
    assert {"band.py", "measure.py", "profile.py", "separate.py", "timbre.py", "voice.py"} <= names


@pytest.mark.parametrize("path", dsp_modules(), ids=lambda p: p.name)
def test_sample_rate_is_keyword_only(path: Path):
    assert positional_sample_rates(path.read_text()) == []
