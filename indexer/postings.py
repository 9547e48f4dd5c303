"""One term's postings, encoded byte for byte as Whoosh 2.7's W3 codec encodes them.

Owns the innermost loop of writing a segment. Whoosh's ``W3PostingsWriter`` takes postings
one ``add_posting`` call at a time (type assertions, running minima and maxima per posting),
and its block and term-info objects add a method call per statistic; for a build that writes
millions of postings that bookkeeping was a third of the build. ``write_term`` produces the
same bytes from whole lists: each block of up to ``blocklimit`` postings is the pickled tuple
(delta-encoded ids, minified weights, minified values), zlib-compressed at the codec's level,
behind a pickled block header and a length whose sign marks the last block; the term's entry
in the term table is ``W3TermInfo``'s struct followed by the postings' extent, or by the
postings themselves when they are inlined. ``tests/test_postings.py`` compares the bytes with
Whoosh's own writer.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Sequence
from pickle import dumps
from typing import Any

from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

_TERMINFO = struct.Struct("!BfIBBfII")  # W3TermInfo._struct
_MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC
_NO_ID = 0xFFFFFFFF


def _mini_weights(weights: Sequence[float]) -> Any:
    first = weights[0]
    if first == 1.0 and weights.count(1.0) == len(weights):
        return None
    if weights.count(first) == len(weights):
        return first
    return tuple(weights)


def _term_info(
    inlined: bool,
    weight: float,
    total: int,
    min_len: int | None,
    max_len: int,
    max_weight: float,
    docs: Sequence[int],
) -> bytes:
    """``W3TermInfo``'s fixed part: flags, statistics, first and last document."""
    return _TERMINFO.pack(
        inlined,
        weight,
        total,
        0 if min_len is None else length_to_byte(min_len),
        length_to_byte(max_len),
        max_weight,
        docs[0] if total else _NO_ID,
        docs[-1] if total else _NO_ID,
    )


def write_term(
    fw: Any,
    tbytes: bytes,
    docs: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    lengths: Sequence[int] | None,
    inline_limit: int = 0,
) -> None:
    """Write one term of the field ``fw`` (a started ``W3FieldWriter``) is in.

    ``docs`` ascending docnums, ``weights`` and ``values`` (encoded, may be empty) per posting,
    ``lengths`` the field length per docnum (quantised as the reader sees it) or None. Terms
    with at most ``inline_limit`` postings are kept in the term table.
    """
    pw = fw._postwriter
    raw_weights = weights
    weights = array("f", weights)  # Whoosh buffers weights as float32
    fixed = fw._fieldobj.format.fixed_value_size()
    compression = pw._compression
    limit = pw._blocklimit
    total = len(docs)
    lens = [lengths[d] for d in docs] if lengths is not None else None
    weight_sum = 0.0
    max_weight: float = 0
    min_len: int | None = None
    max_len = 0
    if total <= inline_limit:
        ws = weights
        weight_sum = sum(ws)
        max_weight = max(0, *raw_weights)
        if lens:
            kept = [n for n in lens if n]
            min_len = min(kept) if kept else None
            max_len = max(kept) if kept else 0
        head = _term_info(True, weight_sum, total, min_len, max_len, max_weight, docs)
        inlined = (tuple(docs), tuple(ws), tuple(v for v in values if v))
        fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, head + dumps(inlined, 2))
        return
    postfile = pw._postfile
    start = postfile.tell()
    out = [_MAGIC]
    for lo in range(0, total, limit):
        hi = min(lo + limit, total)
        ids = docs[lo:hi]
        ws = weights[lo:hi]
        prev = 0
        deltas = []
        for d in ids:
            deltas.append(d - prev)
            prev = d
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(v for v in values[lo:hi] if v)
        elif fixed == 0:
            mini_values = None
        else:
            mini_values = b"".join(values[lo:hi])
        data = dumps((tuple(deltas), _mini_weights(ws), mini_values), 2)
        if compression:
            data = zlib.compress(data, compression)
        block_max = max(0, *raw_weights[lo:hi])
        block_min: int | None = None
        block_maxlen = 0
        if lens:
            kept = [n for n in lens[lo:hi] if n]
            if kept:
                block_min, block_maxlen = min(kept), max(kept)
        info = dumps(
            (
                hi - lo,
                ids[-1],
                block_max,
                compression,
                length_to_byte(block_min),
                length_to_byte(block_maxlen),
            ),
            2,
        )
        size = len(info) + len(data)
        out.append(pack_int(-size if hi == total else size))
        out.append(info)
        out.append(data)
        weight_sum += sum(ws)
        if block_max > max_weight:
            max_weight = block_max
        if block_min is not None and (min_len is None or block_min < min_len):
            min_len = block_min
        max_len = max(max_len, block_maxlen)
    postfile.write(b"".join(out))
    head = _term_info(False, weight_sum, total, min_len, max_len, max_weight, docs)
    extent = pack_long(start) + pack_int(postfile.tell() - start)
    fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, head + extent)
