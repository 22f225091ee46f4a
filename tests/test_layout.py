"""The code's layout rules, checked on the source: no private name used across modules, no import cycle.

A name that starts with ``_`` is its module's own business; another module that imports it (or reaches it as
``module._name``) depends on a detail its owner may change without notice. An import cycle, even one hidden in a
function body, means two modules cannot be understood (or tested) apart. Both are read from the syntax tree of
every module of the package (model, agents, experiments, ui) and of the scripts and tests.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "agents", "experiments", "ui")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources(include_tests: bool = True) -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            out[_module_name(p)] = p
    if include_tests:
        for folder in ("tests", "scripts"):
            for p in sorted((ROOT / folder).glob("*.py")):
                out[f"{folder}.{p.stem}"] = p
    return out


def _project(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _resolve(importer: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only: never run, so never a cycle)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(mod: str, path: Path, modules: dict[str, Path]):
    """(imported module, names taken from it, line) for every import statement that runs, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(mod, node, is_pkg)
            names = []
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in modules:  # ``from pkg import module``: a dependency on that module
                    yield sub, [], node.lineno
                else:
                    names.append(a.name)
            yield target, names, node.lineno


def _aliases(path: Path, modules: dict[str, Path]) -> dict[str, str]:
    """Local names bound to project modules (``import model.kernels as k``, ``from model import kernels``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _project(a.name) and a.asname:
                    out[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def test_no_private_name_is_imported_from_another_module():
    modules = _sources()
    problems = []
    for mod, path in modules.items():
        for target, names, line in _imports(mod, path, modules):
            if not _project(target) or target == mod:
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    problems.append(f"{path.relative_to(ROOT)}:{line}: imports {target}.{n}")
        aliases = _aliases(path, modules)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: uses {aliases[node.value.id]}.{node.attr}")
    assert not problems, "private names used across modules:\n" + "\n".join(problems)


def _graph() -> dict[str, set[str]]:
    modules = _sources(include_tests=False)
    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in modules.items():
        for target, _, _ in _imports(mod, path, modules):
            while target and target not in modules:  # ``model.identity.CITIES`` -> model.identity
                target = target.rpartition(".")[0]
            # a package's __init__ re-exporting its own modules is not a cycle of theirs
            if target and target != mod and not mod.startswith(target + "."):
                graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_even_inside_functions():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (imports inside functions count):\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checks_see_what_they_look_for():
    """The checks themselves: a cycle and a private import in a made-up graph are found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    graph = _graph()
    assert "model.identity" in graph["model.czt_model"]  # imports are seen at all
