"""The rules of the architecture, enforced by walking every module's AST.

Third-party code has one owner each:
- only the engine (``indexer/engine/``) imports whoosh; ``indexer/analysis/`` may use its
  language data (``whoosh.lang``: Snowball stemmers, stop lists) and nothing else of it;
- only ``webapp/`` imports flask and the WSGI server;
- only ``harvesters/`` imports HTTP clients and XML parsers.

First-party code is layered in rooms, and nothing imports upward (a room imports only rooms
below it; the lowest import none of the package):
- harvesters: ``core`` < ``store`` < ``sources``;
- indexer: ``errors`` < ``analysis`` < ``engine`` < ``documents`` < ``registry`` < ``building``
  < ``service`` < ``operations``; outside the engine, the engine is used through its door
  (``from indexer.engine import ...``), never its modules;
- across packages: harvesters imports neither indexer nor webapp; indexer imports
  ``harvesters.core`` and ``harvesters.store`` (only ``indexer.operations`` also
  ``harvesters.sources``: it runs harvests); the web app imports only the search service's door
  (``indexer.service``) and the record model (``harvesters.core.records``); only the command
  line (``webapp/cli/``) imports more of the other packages.

There are no import circles between modules (imports inside functions count), every module
says in its docstring what it owns, and none is longer than ``MAX_LINES``. The checks run on a
mapping of module name -> source, so the tests below also show them failing on planted
violations.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("harvesters", "indexer", "webapp")
MAX_LINES = 450

OWNERS = {
    "whoosh": "indexer.engine",
    "flask": "webapp",
    "werkzeug": "webapp",
    "jinja2": "webapp",
    "waitress": "webapp",
    "requests": "harvesters",
    "urllib3": "harvesters",
    "http.client": "harvesters",
    "urllib.request": "harvesters",
    "lxml": "harvesters",
    "xml": "harvesters",
    "defusedxml": "harvesters",
}
#: Narrower grants beside ``OWNERS``: (third-party prefix, first-party room that may use it).
ALSO_ALLOWED = (("whoosh.lang", "indexer.analysis"),)

#: Rooms per package, lowest first.
LAYERS: dict[str, tuple[str, ...]] = {
    "harvesters": ("core", "store", "sources"),
    "indexer": (
        "errors",
        "analysis",
        "engine",
        "documents",
        "registry",
        "building",
        "service",
        "operations",
    ),
}
#: What each package's modules may import of the other packages (prefixes); "*" is anything.
CROSS: dict[str, tuple[str, ...]] = {
    "harvesters": (),
    "indexer": ("harvesters.core", "harvesters.store"),
    "indexer.operations": ("harvesters",),
    "webapp": ("indexer.service", "harvesters.core.records"),
    "webapp.cli": ("*",),
}
#: Doors: outside ``room``, only the room's package itself may be imported, not its modules.
DOORS = ("indexer.engine", "indexer.service")

STDLIB_ONLY = (
    "harvesters/core/records.py",
    "harvesters/store/database.py",
    "harvesters/sources/clean.py",
    "harvesters/core/config.py",
    "harvesters/core/progress.py",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree() -> dict[str, str]:
    """Every first-party module: dotted name -> source."""
    return {
        _module_name(p): p.read_text(encoding="utf-8")
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
    }


def imports(name: str, source: str, modules: Mapping[str, str], both: bool = False) -> list[str]:
    """The dotted names ``source`` (module ``name``) imports, anywhere in it: a ``from X import
    y`` gives ``X.y`` when that is a module of ``modules``, else ``X`` (with ``both``, ``X``
    and ``X.y`` always: ``from urllib import request`` is ``urllib.request``)."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if both:
                    out.extend((module, full))
                else:
                    out.append(full if full in modules else module)
    return out


def _is_package(name: str, modules: Mapping[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in modules)


def _owner(name: str) -> str | None:
    for prefix, owner in OWNERS.items():
        if name == prefix or name.startswith(prefix + "."):
            return owner
    return None


def _within(name: str, prefix: str) -> bool:
    return prefix == "*" or name == prefix or name.startswith(prefix + ".")


def _room(name: str) -> tuple[str, int] | None:
    """(package, rank of its room) of a first-party module in a layered package."""
    parts = name.split(".")
    layers = LAYERS.get(parts[0])
    if layers is None or len(parts) < 2 or parts[1] not in layers:
        return None
    return parts[0], layers.index(parts[1])


def third_party_violations(modules: Mapping[str, str]) -> list[str]:
    out = []
    for name, source in modules.items():
        for imported in dict.fromkeys(imports(name, source, modules, both=True)):
            owner = _owner(imported)
            if owner is None or _within(name, owner):
                continue
            if any(_within(imported, lib) and _within(name, room) for lib, room in ALSO_ALLOWED):
                continue
            out.append(f"{name} imports {imported}, which only {owner} may import")
    return out


def upward_imports(modules: Mapping[str, str]) -> list[str]:
    """Imports of a higher room, of another package beyond what ``CROSS`` grants, or of a
    door's modules from outside it; and modules of a layered package outside every room."""
    out = []
    for name in modules:
        parts = name.split(".")
        if parts[0] in LAYERS and len(parts) > 1 and _room(name) is None:
            out.append(f"{name} is in no room of {parts[0]} ({', '.join(LAYERS[parts[0]])})")
    for name, source in modules.items():
        top = name.split(".")[0]
        here = _room(name)
        for imported in imports(name, source, modules):
            if imported.split(".")[0] not in PACKAGES or imported == name:
                continue
            if imported.split(".")[0] != top:
                grants = [g for key, g in CROSS.items() if _within(name, key)]
                allowed = grants[-1] if grants else ()
                if not any(_within(imported, prefix) for prefix in allowed):
                    out.append(f"{name} imports {imported}: {top} may not import that")
                    continue
            there = _room(imported)
            if imported == top and name != top:
                out.append(f"{name} imports its package's top {imported} (upward)")
            elif here and there and here[0] == there[0] and there[1] > here[1]:
                out.append(f"{name} imports {imported}, a room above its own")
            for door in DOORS:
                if imported.startswith(door + ".") and not _within(name, door):
                    out.append(f"{name} imports {imported}: use the door, {door}")
    return list(dict.fromkeys(out))  # each finding once


def circles(modules: Mapping[str, str]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    graph = {
        name: sorted({i for i in imports(name, src, modules) if i in modules and i != name})
        for name, src in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for v in graph:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


# -- the real tree -------------------------------------------------------------------------


def test_there_are_modules_to_check() -> None:
    tree = _tree()
    assert len(tree) >= 100
    for room in ("indexer.engine", "indexer.service", "harvesters.core", "webapp.cli"):
        assert room in tree, room


def test_third_party_code_has_one_owner() -> None:
    assert third_party_violations(_tree()) == []


def test_nothing_imports_upward() -> None:
    assert upward_imports(_tree()) == []


def test_no_import_circles() -> None:
    assert circles(_tree()) == []


@pytest.mark.parametrize("rel", STDLIB_ONLY)
def test_stdlib_only_modules(rel: str) -> None:
    tree = _tree()
    name = _module_name(ROOT / rel)
    for imported in imports(name, tree[name], tree):
        top = imported.split(".")[0]
        assert top in sys.stdlib_module_names or top in PACKAGES or top == "__future__", (
            f"{rel} must use the standard library only, but imports {imported}"
        )


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_has_docstring_and_is_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    if path.name != "__main__.py":
        assert ast.get_docstring(tree), (
            f"{path.relative_to(ROOT)} needs a docstring saying what it owns"
        )
    assert text.count("\n") <= MAX_LINES, f"{path.relative_to(ROOT)} is over {MAX_LINES} lines"


# -- the checks fail on planted violations -------------------------------------------------


def test_a_planted_third_party_import_fails() -> None:
    tree = _tree()
    tree["indexer.service.planted"] = '"""x."""\nfrom whoosh import index\nimport flask\n'
    tree["indexer.analysis.planted"] = '"""x."""\nfrom whoosh.lang import stopwords\n'
    tree["indexer.documents.planted"] = '"""x."""\nfrom urllib import request\n'
    assert third_party_violations(tree) == [
        "indexer.service.planted imports whoosh, which only indexer.engine may import",
        "indexer.service.planted imports whoosh.index, which only indexer.engine may import",
        "indexer.service.planted imports flask, which only webapp may import",
        "indexer.documents.planted imports urllib.request, which only harvesters may import",
    ]


def test_a_planted_upward_import_fails() -> None:
    tree = _tree()
    tree["indexer.engine.planted"] = '"""x."""\nfrom indexer.service import SearchService\n'
    tree["harvesters.core.planted"] = '"""x."""\nfrom harvesters.store.database import R\n'
    tree["webapp.planted"] = '"""x."""\nfrom indexer.service.search import SearchService\n'
    tree["indexer.building.planted"] = '"""x."""\nfrom indexer.engine.top import rank\n'
    tree["harvesters.sources.planted"] = '"""x."""\nimport indexer.engine\n'
    tree["indexer.helpers"] = '"""x."""\n'
    assert upward_imports(tree) == [
        "indexer.helpers is in no room of indexer (errors, analysis, engine, documents, "
        "registry, building, service, operations)",
        "indexer.engine.planted imports indexer.service, a room above its own",
        "harvesters.core.planted imports harvesters.store.database, a room above its own",
        "webapp.planted imports indexer.service.search: use the door, indexer.service",
        "indexer.building.planted imports indexer.engine.top: use the door, indexer.engine",
        "harvesters.sources.planted imports indexer.engine: harvesters may not import that",
    ]


def test_a_planted_circle_fails() -> None:
    tree = _tree()
    tree["indexer.engine.ranked"] += (
        "\n\ndef _planted() -> None:\n    from indexer.engine import top\n"
    )
    found = circles(tree)
    assert len(found) == 1 and {"indexer.engine.ranked", "indexer.engine.top"} <= set(found[0])
