"""Every public function of engine/dsp has a numpydoc docstring: Parameters and Returns, checked by numpydoc.

Public means a module-level function of a personastudio/engine/dsp module whose name does not start with "_".
The functions are found by reading the modules' source, so a new one is checked without being listed here.
"""

import ast
from pathlib import Path

import pytest
from numpydoc.validate import validate

import personastudio.engine.dsp as dsp_package

DSP_DIR = Path(dsp_package.__file__).parent

# numpydoc's error codes this house holds (numpydoc.validate.ERROR_MSGS has the sentences):
CHECKED_CODES = {
    "GL01",  # the summary starts right after the opening quotes or on the next line
    "GL02",  # the closing quotes on their own line after the text
    "GL03",  # no double blank lines
    "GL06",  # no unknown section ("Return" for "Returns", ...)
    "GL07",  # sections in numpydoc's order (Parameters, Returns, Raises, ..., Notes, ...)
    "GL08",  # there is a docstring
    "SS01",  # it opens with a one-line summary ...
    "SS03",  # ... that ends with a period
    "SS06",  # ... on a single line
    "PR01",  # every parameter is documented
    "PR02",  # no documented parameter that the function does not take
    "PR03",  # parameters documented in the signature's order
    "PR04",  # every parameter has a type
    "PR06",  # the type says int, str, bool (not integer, string, boolean)
    "PR07",  # every parameter has a description
    "PR10",  # "name : type", with a space before the colon
    "RT01",  # a function that returns something has a Returns section
    "RT03",  # every returned value is described
}


def public_functions() -> list[str]:
    """Dotted names of the module-level functions not starting with "_" in every dsp module."""
    names = []
    for path in sorted(DSP_DIR.glob("*.py")):
        module = f"{dsp_package.__name__}.{path.stem}"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                names.append(f"{module}.{node.name}")
    return names


def test_the_dsp_package_has_public_functions_to_check():
    assert len(public_functions()) > 50


@pytest.mark.parametrize("name", public_functions())
def test_public_dsp_function_has_numpydoc_parameters_and_returns(name):
    errors = [f"{code}: {message}" for code, message in validate(name)["errors"] if code in CHECKED_CODES]
    assert not errors, f"{name}:\n" + "\n".join(errors)
