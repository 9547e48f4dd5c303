"""Frequent terms' postings as plain arrays beside Whoosh's blocks, so they read fast.

Owns a segment's ``.frq`` part: for every term found in at least ``SHARE`` of the segment's
documents (and ``FLOOR`` of them), its document numbers (int32) and weights (float32, as Whoosh
keeps them), written when the segment is and assembled into its compound file with Whoosh's
own parts, so it is copied, linked and cleaned up with the segment.

Why: a query word is looked up in a dozen fields, and a common one ("projekt" in 74 % of
the abstracts) has tens of thousands of postings. Whoosh keeps them in blocks of 128, each a
pickled tuple of Python ints and floats, zlib-compressed; decoding them was most of a first
search's time (~12 ms for 74,000 postings, against ~2 ms for the same two arrays here). The
scorer (``indexer.engine.scoring``) takes a frequent term's postings from here and every other
term's from the blocks; both give the same lists, which the tests compare. A segment without
this part (written by Whoosh, or by an older build) is simply read from its blocks.

The layout: the arrays of one term after another (ids, then weights), then a JSON table of
the terms (field, term bytes as hex, number of postings, offset), then the table's length as
eight bytes, little-endian. The arrays are in the writing machine's byte order, which the
table names.
"""

from __future__ import annotations

import json
import logging
import struct
import sys
import weakref
from array import array
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

log = logging.getLogger("research_index.index")

EXT = ".frq"
#: A term is frequent in a segment when it is in this share of its documents...
SHARE = 0.1
#: ...and in at least this many (a small segment's terms are cheap to decode anyway).
FLOOR = 512
_VERSION = 1
_TRAILER = struct.Struct("<Q")

Postings = tuple[list[int], list[float]]


def threshold(doc_count: int) -> int:
    """The fewest postings that make a term frequent in a segment of ``doc_count`` documents."""
    return max(FLOOR, int(doc_count * SHARE))


class FrequentWriter:
    """Writes a segment's frequent terms as its fields are written (``add``), into the
    segment's ``.frq`` part, made at the first one; ``close`` adds the table."""

    def __init__(self, segment: Any, storage: Any, doc_count: int) -> None:
        self.segment, self.storage = segment, storage
        self.least = threshold(doc_count)
        self.terms: list[tuple[str, str, int, int]] = []
        self.out: Any = None
        self.size = 0

    def bind(self, fieldname: str) -> Callable[[bytes, Sequence[int], Any], None]:
        """``add`` for one field's terms."""
        return partial(self.add, fieldname)

    def add(self, fieldname: str, tbytes: bytes, docs: Sequence[int], weights: Any) -> None:
        """A term's postings (ascending docnums, a weight each), kept when it is frequent."""
        count = len(docs)
        if count < self.least:
            return
        ids = array("i", docs)
        ws = (
            weights
            if isinstance(weights, array) and weights.typecode == "f"
            else array("f", weights)
        )
        if len(ws) != count:
            raise ValueError(f"{count} postings with {len(ws)} weights")
        if self.out is None:
            self.out = self.segment.create_file(self.storage, EXT)
        self.terms.append((fieldname, tbytes.hex(), count, self.size))
        for part in (ids.tobytes(), ws.tobytes()):
            self.out.write(part)
            self.size += len(part)

    def abort(self) -> None:
        """Close and delete an unfinished part (the segment is being abandoned)."""
        if self.out is not None:
            self.out.close()
            self.out = None
            self.storage.delete_file(self.segment.make_filename(EXT))

    def close(self) -> None:
        """Finish the part with its table (no frequent term: no part)."""
        if self.out is None:
            return
        table = json.dumps(
            {"version": _VERSION, "byteorder": sys.byteorder, "terms": self.terms}
        ).encode("utf-8")
        self.out.write(table)
        self.out.write(_TRAILER.pack(len(table)))
        self.out.close()
        self.out = None


class FrequentTable:
    """One segment's frequent terms, read from its ``.frq`` part."""

    def __init__(self, file: Any, size: int) -> None:
        (length,) = _TRAILER.unpack(bytes(file.get(size - _TRAILER.size, _TRAILER.size)))
        start = size - _TRAILER.size - length
        if length <= 0 or start < 0:
            raise ValueError("a frequent-terms part without its table")
        table = json.loads(bytes(file.get(start, length)))
        if not isinstance(table, dict) or table.get("version") != _VERSION:
            raise ValueError("not a frequent-terms table of this version")
        self.swap = table["byteorder"] != sys.byteorder
        self.file = file
        self.terms: dict[tuple[str, bytes], tuple[int, int]] = {
            (field, bytes.fromhex(text)): (int(count), int(offset))
            for field, text, count, offset in table["terms"]
        }
        for count, offset in self.terms.values():  # every term's arrays before the table
            if count <= 0 or offset < 0 or offset + 8 * count > start:
                raise ValueError("a frequent term's arrays outside the part")

    def has(self, fieldname: str, tbytes: bytes) -> bool:
        return (fieldname, tbytes) in self.terms

    def get(self, fieldname: str, tbytes: bytes) -> Postings:
        """A frequent term's docnums and weights as lists (``KeyError`` for another term)."""
        count, offset = self.terms[fieldname, tbytes]
        ids, weights = array("i"), array("f")
        ids.frombytes(self.file.get(offset, 4 * count))
        weights.frombytes(self.file.get(offset + 4 * count, 4 * count))
        if self.swap:
            ids.byteswap()
            weights.byteswap()
        return ids.tolist(), weights.tolist()


# Segment reader -> its table (None: the segment has no frequent-terms part).
_TABLES: weakref.WeakKeyDictionary[Any, FrequentTable | None] = weakref.WeakKeyDictionary()


def table(reader: Any) -> FrequentTable | None:
    """The frequent-terms table of a segment reader's segment, opened once per reader."""
    if reader in _TABLES:
        return _TABLES[reader]
    found: FrequentTable | None = None
    segment, storage = reader.segment(), reader.storage()
    if segment is not None and storage is not None:
        name = segment.make_filename(EXT)
        if storage.file_exists(name):
            try:
                found = FrequentTable(storage.open_file(name), storage.file_length(name))
            except (ValueError, KeyError, TypeError, AttributeError, struct.error) as exc:
                log.warning(
                    "segment %s: unreadable frequent terms (%s); read from its blocks",
                    segment.segment_id(),
                    exc,
                )
    _TABLES[reader] = found
    return found
