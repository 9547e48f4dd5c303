"""The engine's hold on Whoosh's insides: declared in one place, checked, and not load-bearing
where it need not be.

- ``indexer.engine.compat.check()`` passes on the installed Whoosh, and fails loudly, naming
  the name, when a private name is gone, a copied layout changed or the version differs;
- every private Whoosh attribute the engine's modules use is declared in ``compat.PRIVATE``
  (a new one cannot slip in unlisted), and no engine module but ``compat`` replaces a Whoosh
  class;
- a version opens with the code's schema, so the analysis names Whoosh pickled into it (the
  import paths at build time) are never unpickled: a version whose pickled names no longer
  import still opens and answers as before;
- the collector pause is counted across threads: no thread switches it back on under
  another's bulk work.
"""

from __future__ import annotations

import ast
import gc
import re
import shutil
import threading
import warnings
from pathlib import Path

import pytest
import whoosh
import whoosh.scoring

from indexer.building.versions import IndexLocation, read_manifest
from indexer.engine import compat, open_version
from indexer.engine import gc as nogc
from indexer.engine.storage import open_index
from indexer.service import SearchRequest, SearchService

ENGINE = Path(compat.__file__).parent
#: Attributes starting with "_" that are ours, not Whoosh's (set on our own objects).
OURS = {
    "_ix",
    "_searcher",
    "_rank",
    "_rank_all",
    "_view",
    "_pos",
    "_fast",
    "_keep",
    "_qcache",
    "_single",
    "_index",
    "_lengths_of",
    "_write_text",
    "_write_generic",
    "_checked",
    "_pause",
    "_holders",
    "_restore",
    "_struct",  # W3TermInfo._struct, declared as a class attribute
}


def test_the_installed_whoosh_fits() -> None:
    assert compat.problems() == []
    compat.check()


def test_a_missing_private_name_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh.writing import SegmentWriter

    monkeypatch.delattr(SegmentWriter, "_commit_toc")
    monkeypatch.setattr(compat, "_checked", False)
    found = compat.problems()
    assert found == [
        "whoosh.writing.SegmentWriter._commit_toc (method) is gone (used by engine.writer)"
    ]
    with pytest.raises(compat.WhooshIncompatible, match="_commit_toc"):
        compat.check()


def test_a_changed_layout_or_version_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.engine import scoring

    monkeypatch.setattr(scoring, "_ARRAY_UNION_MAX_DOCS", 4096)
    monkeypatch.setattr(whoosh, "__version__", (2, 7, 6))
    found = compat.problems()
    assert found == [
        "Whoosh 2.7.6 is installed; the engine needs 2.7.5",
        "scoring._ARRAY_UNION_MAX_DOCS is Or's union threshold: no longer true",
    ]


def test_an_attribute_check_tells_present_from_absent() -> None:
    assert compat._sets(whoosh.scoring.BM25F, "_field_B")
    assert not compat._sets(whoosh.scoring.BM25F, "_no_such_attribute")


def _private_uses(path: Path) -> set[str]:
    """Private names a module uses: ``x._name`` attributes (not ``self._``/``cls._`` of our own
    classes), ``getattr(x, "_name")``, and ``from whoosh... import _name``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            names.add(str(node.args[1].value))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            names.update(a.name for a in node.names if a.name.startswith("_"))
    return names


def test_the_private_name_scan_sees_uses() -> None:
    """A control: the scan finds the uses the engine is known to make."""
    assert "_segments" in _private_uses(ENGINE / "index.py")
    assert {"_data", "_next_block", "_perdoc"} <= _private_uses(ENGINE / "scoring.py")
    assert {"_postwriter", "_tindex"} <= _private_uses(ENGINE / "postings.py")


_ENGINE_SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(ENGINE.glob("*.py"))}


def test_every_private_whoosh_name_the_engine_uses_is_declared() -> None:
    declared = {item.name for item in compat.PRIVATE}
    for path in sorted(ENGINE.glob("*.py")):
        if path.name == "compat.py":
            continue
        undeclared = _private_uses(path) - declared - OURS
        # module-private helpers of our own engine (``scoring._scores``...) are fine
        undeclared = {n for n in undeclared if not _is_our_module_name(n)}
        assert not undeclared, f"{path.name} uses undeclared private names {sorted(undeclared)}"


def _is_our_module_name(name: str) -> bool:
    """Whether one of the engine's modules defines ``name`` itself (``scoring._scores``...)."""
    pattern = re.compile(rf"^(def|class) {re.escape(name)}\b|^{re.escape(name)}\s*[:=]", re.M)
    return any(pattern.search(text) for text in _ENGINE_SOURCES.values())


def _assigns_into_imports(path: Path) -> list[str]:
    """Assignments (``x.y = ...``, ``setattr(x, ...)``) whose target hangs off a name bound by
    an import: a module, or a class or function taken from one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    def root(node: ast.expr) -> str | None:
        while isinstance(node, ast.Attribute):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    out = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr":
            targets = [ast.Attribute(value=node.args[0], attr="?")] if node.args else []
        for target in targets:
            if isinstance(target, ast.Attribute) and root(target) in imported:
                out.append(f"{path.name}:{node.lineno}: {ast.unparse(target)}")
    return out


def test_only_compat_replaces_a_whoosh_class(tmp_path: Path) -> None:
    for path in sorted(ENGINE.glob("*.py")):
        found = _assigns_into_imports(path)
        if path.name == "compat.py":
            assert found == ["compat.py:" + found[0].split(":")[1] + ": _compound.BufferFile"]
            continue
        assert not found, f"only compat may replace what Whoosh defines: {found}"
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import whoosh.filedb.compound as c\nfrom whoosh import writing\n"
        "c.BufferFile = object\nsetattr(writing, 'X', 1)\nwriting.SegmentWriter.x += 1\n",
        encoding="utf-8",
    )
    assert len(_assigns_into_imports(planted)) == 3


# -- versions open with the code's schema ---------------------------------------------------


def _copy_index(kth_home: Path, tmp_path: Path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(kth_home / "index", root, symlinks=True)
    return root


def test_a_version_opens_whatever_names_its_pickled_schema_holds(
    kth_home: Path, tmp_path: Path
) -> None:
    """Rename, in the version's table of contents, the modules Whoosh pickled the analysis
    under (same length, so the file stays well-formed) to modules that do not exist: Whoosh's
    own open fails, ours opens it and answers exactly as before."""
    before = SearchService(kth_home / "index").search(SearchRequest(q="energi", size=20))
    root = _copy_index(kth_home, tmp_path)
    version = IndexLocation(root).current_path()
    assert version is not None
    tocs = sorted(version.glob("*.toc"))
    assert tocs
    renamed = 0
    for toc in tocs:
        data = toc.read_bytes()
        for name in (b"indexer.engine.analyzers", b"indexer.analysis.lemmas"):
            renamed += data.count(name)
            data = data.replace(name, name[:-1] + b"Q")
        toc.write_bytes(data)
    assert renamed >= 2  # the filter class and the stemming functions
    with warnings.catch_warnings():  # Whoosh leaves the TOC file open when it fails
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(ModuleNotFoundError):
            open_index(version)  # unpickles the schema
        gc.collect()
    schema_version = read_manifest(version).get("schema_version")
    with open_version(version, schema_version) as index:
        assert index.doc_count() > before.total
    after = SearchService(root).search(SearchRequest(q="energi", size=20))
    assert after.total == before.total
    assert [h.uid for h in after.hits] == [h.uid for h in before.hits]


# -- the collector pause across threads -----------------------------------------------------


def test_the_collector_pause_is_counted_across_threads() -> None:
    """Thread A pauses, B pauses, A ends: still paused (B's bulk work goes on undisturbed);
    B ends: back on. Before, A's end switched the collector on under B."""
    assert gc.isenabled() and nogc.paused_by() == 0
    a_in, b_in, a_out, b_out = (threading.Event() for _ in range(4))
    seen: dict[str, bool] = {}

    def a() -> None:
        with nogc.no_cyclic_gc():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with nogc.no_cyclic_gc():
            b_in.set()
            a_out.wait(5)
            seen["during b, after a"] = gc.isenabled()
        b_out.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"during b, after a": False}
    assert gc.isenabled() and nogc.paused_by() == 0


def test_a_collector_switched_off_by_its_owner_stays_off() -> None:
    gc.disable()
    try:
        with nogc.no_cyclic_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # restored to what the first block found
    finally:
        gc.enable()


# -- every cache is in the registry ---------------------------------------------------------

_CACHE_PATTERNS = (
    re.compile(r"@(?:functools\.)?(?:lru_cache|cache|cached_property)\b[^\n]*\n\s*def (\w+)"),
    re.compile(r"^\s*(?:self\.)?(\w+)\s*(?::[^=\n]*)?=\s*(?:weakref\.)?WeakKeyDictionary", re.M),
    re.compile(r"^\s*(?:self\.)?(_?\w*cache\w*)\s*:[^\n]*=", re.M),
    re.compile(r"^\s*(\w+)\s*:\s*Lru\s*=", re.M),
)


#: Names the scan finds that are handles on listed caches, not caches of their own.
HANDLES = {
    ("indexer.service.hits", "cache"),  # HitMaker's handle on VersionCaches.records
    ("indexer.service.served", "caches"),  # a version's VersionCaches
}


def _caches_in_code() -> set[tuple[str, str]]:
    root = ENGINE.parent
    found = set()
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        text = path.read_text(encoding="utf-8")
        for pattern in _CACHE_PATTERNS:
            found.update((module, name) for name in pattern.findall(text))
    return found - HANDLES


def test_every_cache_is_in_the_registry() -> None:
    from indexer.service.caches import CACHES

    listed = {
        (c.where.partition(":")[0], c.where.rpartition(".")[2].rpartition(":")[2]) for c in CACHES
    }
    found = _caches_in_code()
    assert ("indexer.engine.query", "analysed") in found  # the scan sees caches
    missing = sorted(f"{m}:{n}" for m, n in found - listed)
    assert not missing, f"caches not listed in indexer.service.caches.CACHES: {missing}"
    for entry in CACHES:  # and every listed cache is still there, by its name
        module, _, qualified = entry.where.partition(":")
        path = ENGINE.parent.parent / (module.replace(".", "/") + ".py")
        assert path.is_file(), entry
        assert re.search(rf"\b{qualified.rpartition('.')[2]}\b", path.read_text("utf-8")), entry
