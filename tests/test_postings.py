"""``indexer.postings.write_term`` writes the bytes Whoosh's own W3 posting writer writes.

Each case writes the same terms twice into a fresh segment's field writer: once posting by
posting through ``W3FieldWriter.add`` / ``finish_term`` (Whoosh's path), once as whole lists
through ``write_term``; the postings file and every term-table entry must be byte-identical.
Cases cover one block and several (block limit 128), the last block exactly full, weights
that are all 1, all equal or mixed, fields with and without lengths, positional values,
fixed-size values and no values, and inlined short lists.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint

from indexer.postings import write_term

Term = tuple[bytes, list[int], list[float], list[bytes], list[int] | None]


def _terms(kind: str, rng: random.Random, inline: bool) -> list[Term]:
    out: list[Term] = []
    sizes = [1, 2, 4, 5, 127, 128, 129, 256, 300, 1000] if not inline else [1, 2, 3, 4, 4]
    for i, size in enumerate(sizes):
        docs = sorted(rng.sample(range(5000), size))
        mode = i % 3  # weights all 1, all equal, mixed
        freqs = [1 if mode == 0 else 3 if mode == 1 else rng.randint(1, 9) for _ in docs]
        if kind == "positions":
            fmt = Positions()
            values = [fmt.encode(sorted(rng.sample(range(400), f))) for f in freqs]
        elif kind == "frequency":
            values = [pack_uint(f) for f in freqs]
        else:
            freqs = [1] * size
            values = [b""] * size
        lengths = [0] * 5000
        for d, f in zip(docs, freqs, strict=True):
            lengths[d] = f + rng.randint(0, 300)
        out.append((f"t{i:03d}".encode(), docs, [float(f) for f in freqs], values, lengths))
    return out


def _write(
    tmp_path: Path, name: str, field: Any, terms: list[Term], fast: bool, inline: int
) -> tuple[bytes, dict[bytes, bytes]]:
    """Write ``terms`` into a new segment; its postings file and term table."""
    storage = FileStorage(str(tmp_path / name)).create()
    codec = W3Codec()
    segment = codec.new_segment(storage, "seg")
    fw = codec.field_writer(storage, segment)
    fw.start_field("f", field)
    for tbytes, docs, weights, values, lengths in terms:
        lens = lengths if field.scorable else None
        if fast:
            write_term(fw, tbytes, docs, weights, values, lens, inline)
            continue
        fw.start_term(tbytes)
        for d, w, v in zip(docs, weights, values, strict=True):
            fw.add(d, w, v, lens[d] if lens else None)
        fw.finish_term()
    fw.finish_field()
    fw.close()
    with storage.open_file(segment.make_filename(W3Codec.POSTS_EXT)) as f:
        posts = f.read()
    reader = OrderedHashReader(storage.open_file(segment.make_filename(W3Codec.TERMS_EXT)))
    table = dict(reader.items())
    reader.close()
    return posts, table


FIELDS = {
    "positions": lambda: fields.TEXT(phrase=True),
    "frequency": lambda: fields.TEXT(phrase=False),
    "existence": lambda: fields.ID(),
}


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_blocks_are_byte_identical_to_whoosh(tmp_path: Path, kind: str) -> None:
    field = FIELDS[kind]()
    expected_format = {"positions": Positions, "frequency": Frequency, "existence": Existence}
    assert type(field.format) is expected_format[kind]
    terms = _terms(kind, random.Random(7), inline=False)
    slow = _write(tmp_path, "slow", field, terms, fast=False, inline=0)
    fast = _write(tmp_path, "fast", field, terms, fast=True, inline=0)
    assert fast[0] == slow[0]  # the postings file
    assert fast[1] == slow[1]  # every term's entry in the term table
    assert len(slow[1]) == len(terms)


def test_inlined_terms_read_back_as_whoosh_reads_them(tmp_path: Path) -> None:
    """Whoosh's writer never inlines (its limit is 1), so inlined entries are checked by what
    its term info reader makes of them: same postings and statistics as the written blocks."""
    field = fields.TEXT(phrase=True)
    terms = _terms("positions", random.Random(3), inline=True)
    slow = _write(tmp_path, "slow", field, terms, fast=False, inline=0)
    fast = _write(tmp_path, "fast", field, terms, fast=True, inline=4)
    assert fast[0] == b""  # nothing reached the postings file
    for key, raw in fast[1].items():
        inlined = W3TermInfo.from_bytes(raw)
        blocks = W3TermInfo.from_bytes(slow[1][key])
        assert inlined.is_inlined() and not blocks.is_inlined()
        for stat in ("weight", "doc_frequency", "min_length", "max_length", "max_weight"):
            assert getattr(inlined, stat)() == getattr(blocks, stat)(), stat
        assert (inlined.min_id(), inlined.max_id()) == (blocks.min_id(), blocks.max_id())
        ids, weights, values = inlined.inlined_postings()
        term = next(t for t in terms if key.endswith(t[0]))
        assert list(ids) == term[1] and list(weights) == term[2] and list(values) == term[3]
