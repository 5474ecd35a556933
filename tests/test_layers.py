"""The package's layers: the model the templates read sits below the modules that write the site.

``publisher/model.py`` holds what the templates read; ``feeds.py``, ``opendata.py`` and
``pelican_plugin.py`` read that model; ``site.py`` runs the build and imports them all. An import
back from a writer into ``site.py`` (at the top, inside a function or under ``TYPE_CHECKING``)
would bring back the import circle, so every import statement counts here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "publisher"
WRITERS = ("feeds", "opendata", "pelican_plugin")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``publisher`` module that ``path`` imports anywhere in its text, as a dotted name."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # ``from . import feeds`` and ``from publisher import site`` import the module named
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "publisher" or m.startswith("publisher.")}


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for module in graph.get(todo.pop(), ()):
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return seen


def test_the_import_reader_sees_imports_inside_functions() -> None:
    assert "publisher.site" in _imports(PACKAGE / "cli.py")  # imported inside the build command


def test_the_model_imports_none_of_the_modules_that_build_or_write_the_site() -> None:
    graph = _graph()
    assert "publisher.model" in graph, "publisher/model.py holds the model the templates read"
    imported = graph["publisher.model"]
    assert not imported & {"publisher.site", *(f"publisher.{w}" for w in WRITERS)}, sorted(imported)


@pytest.mark.parametrize("writer", WRITERS)
def test_the_writers_never_import_the_build(writer: str) -> None:
    assert "publisher.site" not in _graph()[f"publisher.{writer}"]


def test_nothing_the_build_imports_imports_the_build_back() -> None:
    graph = _graph()
    circles = sorted(m for m in _reachable(graph, "publisher.site") if "publisher.site" in _reachable(graph, m))
    assert not circles, f"these modules import publisher.site back: {circles}"
