"""The import picture (issue 16): no package imports another that imports it back, the engine's
pure libraries stay pure, and one app reaches into another only through its public modules.

Read from the source with `ast`, so an import inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "personastudio"
#: The engine's pure numpy libraries are their own nodes: the studio uses them as it uses librosa.
LIBRARIES = ("engine.dsp", "engine.voice")
APPS = ("accounts", "clips", "personas", "generations", "engine")
#: What one app may import of another: its business rules, its reads, its models (Django's foreign
#: keys and querysets) and its form fields.
PUBLIC = ("services", "selectors", "models", "forms")
#: The project's wiring, above every app: the URLs, the home views, the commands and the settings.
WIRING = ("urls", "views", "management", "settings")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache  # the tests read the same sources: parsed once per process
def _imported(path: Path) -> set[str]:
    """Every personastudio module this file imports, as dotted names without the 'personastudio.' prefix."""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, (base, node.module)))
            # `from package import module` imports the module: keep both spellings, the longer one decides.
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name.removeprefix("personastudio.") for name in names if name.startswith("personastudio."))
    return found


def _node(dotted: str) -> str:
    """The package a module belongs to in the picture: a library, else the top-level package or module."""
    for library in LIBRARIES:
        if dotted == library or dotted.startswith(library + "."):
            return library
    return dotted.split(".")[0]


def _sources() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts]


def _edges() -> dict[str, dict[str, set[str]]]:
    """node -> node it imports -> the modules imported (the longest spellings)."""
    edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in _sources():
        source = _node(_module_name(path).removeprefix("personastudio."))
        for name in _imported(path):
            target = _node(name)
            if target != source and target != "personastudio":
                edges[source][target].add(name)
    return edges


def _cycle(edges: dict[str, dict[str, set[str]]]) -> list[str] | None:
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        trail.append(node)
        for target in sorted(edges.get(node, {})):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        trail.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_package_imports_one_that_imports_it_back():
    edges = _edges()
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(
        f"{a} ({', '.join(sorted(edges[a][b]))})" for a, b in zip(cycle, cycle[1:], strict=False)
    )


def test_the_cycle_check_finds_a_cycle():
    # The check itself: two packages that import each other are a cycle; a chain is not.
    assert _cycle({"a": {"b": {"b.x"}}, "b": {"a": {"a.y"}}}) == ["a", "b", "a"]
    assert _cycle({"a": {"b": {"b.x"}}, "b": {"c": {"c.z"}}}) is None


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_engines_libraries_import_no_django_and_nothing_of_the_studio(library):
    folder = PACKAGE / library.replace(".", "/")
    for path in folder.rglob("*.py"):
        studio = {name for name in _imported(path) if _node(name) not in LIBRARIES}
        assert not studio, f"{path.relative_to(PACKAGE)} imports {sorted(studio)}"
        tree = ast.parse(path.read_text())
        django = [
            node.lineno
            for node in ast.walk(tree)
            if (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "django" for a in node.names))
            or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "django")
        ]
        assert not django, f"{path.relative_to(PACKAGE)} imports django on lines {django}"


def test_an_app_reaches_into_another_only_through_its_public_modules():
    reaching = []
    for source, targets in _edges().items():
        if source in WIRING:
            continue
        for target, names in targets.items():
            if target not in APPS:
                continue
            # "clips.services.clip_get" goes through services; "clips" alone is the package (its modules follow).
            reaching += [
                f"{source} -> {name}" for name in names if len(parts := name.split(".")) > 1 and parts[1] not in PUBLIC
            ]
    assert not reaching, reaching
