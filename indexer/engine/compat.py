"""Every private Whoosh name and copied Whoosh layout the engine relies on, checked.

The engine's fast paths (``writer``, ``postings``, ``scoring``, ``phrases``, ``top``,
``storage``, ``index``) reach inside Whoosh 2.7.5: private attributes and methods of its
segment writer, codec, matchers and readers, byte layouts and thresholds copied as literals,
one class replaced process-wide. Whoosh is frozen upstream and pinned in ``pyproject.toml``;
this module says what was written for which version and checks it:

- ``WRITTEN_FOR``: the Whoosh release the engine was written and measured against;
- ``PRIVATE``: each private name, its owner, what it is (a method, an attribute the owner's
  code sets, a class attribute, a module function, a keyword) and which engine module uses it;
- ``LAYOUTS``: each copied literal or byte layout, checked against what Whoosh computes;
- ``install_view_files``: the one process-wide class replacement (``storage.ViewBufferFile``
  for Whoosh's ``BufferFile`` in compound segment files).

``check()`` runs every check and raises ``WhooshIncompatible`` naming each mismatch; the
engine runs it when it is first imported (start-up) and ``tests/test_engine_compat.py`` runs
it too, and also checks that the engine's modules use no private Whoosh name missing here.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pickle import loads
from typing import Any

import whoosh
import whoosh.filedb.compound as _compound

#: The Whoosh release (whoosh-reloaded on PyPI) the engine was written for.
WRITTEN_FOR = (2, 7, 5)


class WhooshIncompatible(RuntimeError):
    """The installed Whoosh is not the one the engine's fast paths were written for."""


@dataclass(frozen=True)
class Private:
    """One private Whoosh name: ``owner`` (dotted path of a class or module), ``name``,
    ``kind`` ("method", "attribute" set by the owner's code, "class attribute", "function",
    "keyword" of the owner's constructor) and the engine module that ``used_in``."""

    owner: str
    name: str
    kind: str
    used_in: str


_W3 = "whoosh.codec.whoosh3"
_LEAF = f"{_W3}.W3LeafMatcher"
_FIELDS = f"{_W3}.W3FieldWriter"
_POSTS = f"{_W3}.W3PostingsWriter"
_WRITER = "whoosh.writing.SegmentWriter"
_LIST = "whoosh.matching.ListMatcher"
_COLUMN = "whoosh.columns.NumericColumn.Reader"

PRIVATE: tuple[Private, ...] = (
    # andnot: Whoosh's AndNot matcher with the check its skip_to misses
    Private("whoosh.matching.AndNotMatcher", "_find_next", "method", "andnot"),
    # scoring: postings read a block at a time, lengths read as one column
    *(Private(_LEAF, n, "attribute", "scoring") for n in ("_data", "_byteids", "_values")),
    *(Private(_LEAF, n, "method", "scoring") for n in ("_read_data", "_read_values")),
    Private(_LEAF, "_next_block", "method", "scoring"),
    *(Private(_LIST, n, "attribute", "scoring") for n in ("_ids", "_weights", "_values")),
    Private(_LIST, "_all_weights", "attribute", "scoring"),
    Private("whoosh.reading.SegmentReader", "_perdoc", "attribute", "scoring"),
    *(Private(_COLUMN, n, "attribute", "scoring") for n in ("_dbfile", "_basepos", "_count")),
    Private(_W3, "_lenfield", "function", "scoring"),
    Private("whoosh.scoring.BM25F", "_field_B", "attribute", "scoring, top"),
    # writer: a segment written through Whoosh's SegmentWriter, our postings inside it
    Private(_WRITER, "_lk", "keyword", "writer"),
    Private(_WRITER, "_added", "attribute", "writer"),
    *(
        Private(_WRITER, n, "method", "writer")
        for n in ("_close_segment", "_assemble_segment", "_commit_toc", "_finish")
    ),
    # postings: one term's postings written into the field writer's files
    *(
        Private(_FIELDS, n, "attribute", "postings")
        for n in ("_postwriter", "_fieldobj", "_tindex", "_fieldid")
    ),
    *(
        Private(_POSTS, n, "attribute", "postings")
        for n in ("_compression", "_blocklimit", "_postfile")
    ),
    Private(f"{_W3}.W3TermInfo", "_struct", "class attribute", "postings"),
    # storage: the file objects of compound segments
    *(
        Private("whoosh.filedb.structfile.BufferFile", n, "attribute", "storage")
        for n in ("_buf", "_name")
    ),
    # index: how many segments a version has (an incremental build starts afresh past some)
    Private("whoosh.index.FileIndex", "_segments", "method", "index"),
)


@cache
def _resolve(path: str) -> Any:
    """A dotted path to a module, or to a class (nested classes too) within one."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def _code_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _code_names(const)
    return names


def _sets(cls: type, name: str) -> bool:
    """Whether code of ``cls`` (or of a class it inherits from) uses ``self.<name>``: the name
    is among the attribute names its functions' code refers to."""
    for klass in inspect.getmro(cls):
        for value in vars(klass).values():
            func = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
            code = getattr(func, "__code__", None)
            if code is not None and name in _code_names(code):
                return True
    return False


def _check_private(item: Private) -> str | None:
    try:
        owner = _resolve(item.owner)
    except (ImportError, AttributeError):
        return f"{item.owner} is gone (used by engine.{item.used_in})"
    if item.kind in ("method", "function"):
        ok = callable(getattr(owner, item.name, None))
    elif item.kind == "class attribute":
        ok = hasattr(owner, item.name)
    elif item.kind == "attribute":
        ok = _sets(owner, item.name)
    elif item.kind == "keyword":
        ok = item.name in inspect.signature(owner).parameters
    else:
        return f"unknown kind {item.kind!r} for {item.name}"
    if ok:
        return None
    return f"{item.owner}.{item.name} ({item.kind}) is gone (used by engine.{item.used_in})"


# -- copied layouts and thresholds ------------------------------------------------------------


def _terminfo() -> bool:
    from whoosh.codec.whoosh3 import W3TermInfo

    from indexer.engine.postings import _TERMINFO

    return bool(_TERMINFO.format == W3TermInfo._struct.format)


def _block_magic() -> bool:
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

    from indexer.engine.postings import _MAGIC

    return bool(_MAGIC == WHOOSH3_HEADER_MAGIC)


def _or_threshold() -> bool:
    """``Or._matcher`` builds a tree of unions above this many documents in a segment."""
    from whoosh.query.compound import Or

    from indexer.engine.scoring import _ARRAY_UNION_MAX_DOCS

    found = re.search(r"dc > (\d+)", inspect.getsource(Or._matcher))
    return bool(found and int(found.group(1)) == _ARRAY_UNION_MAX_DOCS)


def _length_column() -> bool:
    from whoosh.codec.whoosh3 import _lenfield

    return bool(_lenfield("title") == "_title_len")


def _positions_layout() -> bool:
    """A ``Positions`` value: a 4-byte count, then a protocol-2 pickle of the deltas that
    starts like an empty list and ends with "."; one position below 256 is byte 10 of a
    13-byte value, one below 65,536 bytes 10-11 (little end first) of a 14-byte one."""
    from whoosh.formats import Positions

    from indexer.engine.phrases import _LIST_PICKLE

    fmt = Positions()
    for positions in ([5], [300], [3, 9, 40]):
        value = fmt.encode(positions)
        if not (value[4:].startswith(_LIST_PICKLE) and value.endswith(b".")):
            return False
        if list(accumulate(loads(value[4:]))) != positions:
            return False
    one, two = fmt.encode([5]), fmt.encode([300])
    return len(one) == 13 and one[10] == 5 and len(two) == 14 and (two[10] | two[11] << 8) == 300


LAYOUTS: dict[str, Callable[[], bool]] = {
    "postings._TERMINFO is W3TermInfo's struct": _terminfo,
    "postings._MAGIC is the W3 block header": _block_magic,
    "scoring._ARRAY_UNION_MAX_DOCS is Or's union threshold": _or_threshold,
    "scoring reads lengths from the column _<field>_len": _length_column,
    "phrases reads Positions values in place": _positions_layout,
}


def problems() -> list[str]:
    """Every mismatch between the installed Whoosh and what the engine was written for."""
    out: list[str] = []
    version = tuple(getattr(whoosh, "__version__", ()))
    if version != WRITTEN_FOR:
        wanted = ".".join(map(str, WRITTEN_FOR))
        out.append(f"Whoosh {'.'.join(map(str, version))} is installed; the engine needs {wanted}")
    out.extend(p for item in PRIVATE if (p := _check_private(item)))
    for what, test in LAYOUTS.items():
        try:
            ok = test()
        except Exception as exc:  # a layout that no longer even computes is a mismatch too
            out.append(f"{what}: {type(exc).__name__}: {exc}")
            continue
        if not ok:
            out.append(f"{what}: no longer true")
    return out


_checked = False


def check() -> None:
    """Raise ``WhooshIncompatible`` listing every mismatch (once per process)."""
    global _checked
    if _checked:
        return
    found = problems()
    if found:
        raise WhooshIncompatible(
            "the search engine's fast paths do not fit the installed Whoosh:\n- "
            + "\n- ".join(found)
        )
    _checked = True


def install_view_files(view_file_class: type) -> None:
    """Make Whoosh's compound segment files hand out ``view_file_class`` instead of its
    ``BufferFile`` (process-wide; idempotent): the only class of Whoosh the engine replaces."""
    _compound.BufferFile = view_file_class
