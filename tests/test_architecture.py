"""The import rules of the architecture, enforced by walking every module's AST.

- only ``indexer/`` imports whoosh; only ``webapp/`` imports flask (and the WSGI server);
- only ``harvesters/`` imports HTTP clients (requests, urllib3, http.client, urllib.request)
  and XML parsers (lxml, xml.*);
- ``harvesters/records.py`` and ``harvesters/store.py`` use the standard library only;
- every module has a docstring and stays small.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("harvesters", "indexer", "webapp")

OWNERS = {
    "whoosh": "indexer",
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

STDLIB_ONLY = (
    "harvesters/records.py",
    "harvesters/store.py",
    "harvesters/clean.py",
    "harvesters/config.py",
    "harvesters/progress.py",
)
MAX_LINES = 450


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _owner(name: str) -> str | None:
    for prefix, owner in OWNERS.items():
        if name == prefix or name.startswith(prefix + "."):
            return owner
    return None


def test_there_are_modules_to_check() -> None:
    assert len(_modules()) >= 8


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_import_rules(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    for name in _imports(path):
        owner = _owner(name)
        assert owner in (None, package), (
            f"{path.relative_to(ROOT)} imports {name}, which only {owner}/ may import"
        )


@pytest.mark.parametrize("rel", STDLIB_ONLY)
def test_stdlib_only_modules(rel: str) -> None:
    allowed_first_party = {"harvesters"}
    import sys

    for name in _imports(ROOT / rel):
        top = name.split(".")[0]
        assert (
            top in sys.stdlib_module_names or top in allowed_first_party or top == "__future__"
        ), f"{rel} must use the standard library only, but imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_has_docstring_and_is_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert ast.get_docstring(tree), (
        f"{path.relative_to(ROOT)} needs a docstring saying what it owns"
    )
    assert text.count("\n") <= MAX_LINES, f"{path.relative_to(ROOT)} is over {MAX_LINES} lines"


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text('"""x."""\nfrom whoosh import index\nimport flask\n', encoding="utf-8")
    names = _imports(bad)
    assert _owner("whoosh") == "indexer"
    assert {_owner(n) for n in names} == {"indexer", "webapp"}
