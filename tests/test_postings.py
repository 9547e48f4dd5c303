"""``indexer.engine.postings.write_term`` writes the bytes Whoosh's own W3 posting writer writes.

Each case writes the same terms twice into a fresh segment's field writer: once posting by
posting through ``W3FieldWriter.add`` / ``finish_term`` (Whoosh's path), once as whole lists
through ``write_term`` with Whoosh's pickle protocol (2); the postings file and every
term-table entry must be byte-identical. With our protocol (5) the bytes differ, so those
cases read every posting back through Whoosh's own matcher. Cases cover one block and
several (block limit 128), the last block exactly full, weights that are all 1, all equal or
mixed, fields with and without lengths, positional values, fixed-size values and no values,
and inlined short lists.
"""

from __future__ import annotations

import pickle
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

from indexer.engine.postings import write_term

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
    tmp_path: Path,
    name: str,
    field: Any,
    terms: list[Term],
    fast: bool,
    inline: int,
    protocol: int | None = 2,
    joined: bool = False,
) -> tuple[bytes, dict[bytes, bytes]]:
    """Write ``terms`` into a new segment; its postings file and term table. ``joined``
    hands ``write_term`` fixed-size values as one bytes; ``protocol=None`` takes its default."""
    storage = FileStorage(str(tmp_path / name)).create()
    codec = W3Codec()
    segment = codec.new_segment(storage, "seg")
    fw = codec.field_writer(storage, segment)
    fw.start_field("f", field)
    for tbytes, docs, weights, values, lengths in terms:
        lens = lengths if field.scorable else None
        if fast:
            vals: list[bytes] | bytes = b"".join(values) if joined else values
            if protocol is None:
                write_term(fw, tbytes, docs, weights, vals, lens, inline)
            else:
                write_term(fw, tbytes, docs, weights, vals, lens, inline, protocol)
            continue
        fw.start_term(tbytes)
        for d, w, v in zip(docs, weights, values, strict=True):
            fw.add(d, w, v, lens[d] if lens else None)
        fw.finish_term()
    fw.finish_field()
    fw.close()
    (tmp_path / name / "segment.pickle").write_bytes(pickle.dumps(segment))
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


def _read_back(tmp_path: Path, name: str, field: Any, terms: list[Term]) -> list[Any]:
    """Every term's postings (ids, weights, values) as Whoosh's own W3 matcher reads them."""
    storage = FileStorage(str(tmp_path / name))
    segment = pickle.loads((tmp_path / name / "segment.pickle").read_bytes())
    reader = W3Codec().terms_reader(storage, segment)
    out = []
    for tbytes, *_ in terms:
        matcher = reader.matcher("f", tbytes, field.format)
        postings = []
        while matcher.is_active():
            # an existence field has no values: None from a block, "" from an inlined list
            postings.append((matcher.id(), matcher.weight(), matcher.value() or None))
            matcher.next()
        out.append((tbytes, postings))
    reader.close()
    return out


@pytest.mark.parametrize("kind", sorted(FIELDS))
@pytest.mark.parametrize("inline", [0, 4])
def test_default_protocol_reads_back_as_whoosh_wrote_it(
    tmp_path: Path, kind: str, inline: int
) -> None:
    """Our default pickle protocol (5): Whoosh's matcher reads the same postings, block by block
    and inlined, as from its own writer; values of fixed size may come joined."""
    field = FIELDS[kind]()
    terms = _terms(kind, random.Random(11), inline=False)
    slow_table = _write(tmp_path, "slow", field, terms, fast=False, inline=0)[1]
    joined = kind == "frequency"
    fast = _write(
        tmp_path, "fast", field, terms, fast=True, inline=inline, protocol=None, joined=joined
    )
    expected = _read_back(tmp_path, "slow", field, terms)
    assert _read_back(tmp_path, "fast", field, terms) == expected
    assert sum(len(p) for _, p in expected) == sum(len(t[1]) for t in terms)
    for key, raw in fast[1].items():  # the statistics in the term table are Whoosh's
        ours, theirs = W3TermInfo.from_bytes(raw), W3TermInfo.from_bytes(slow_table[key])
        for stat in ("weight", "doc_frequency", "min_length", "max_length", "max_weight"):
            assert getattr(ours, stat)() == getattr(theirs, stat)(), stat
    if kind == "positions":  # the reason for protocol 5: no latin-1 detour per value
        assert len(fast[0]) < 0.8 * len(_write(tmp_path, "p2", field, terms, True, 0)[0])


def test_joined_values_must_fit_the_postings(tmp_path: Path) -> None:
    field = fields.TEXT(phrase=False)
    storage = FileStorage(str(tmp_path / "bad")).create()
    codec = W3Codec()
    fw = codec.field_writer(storage, codec.new_segment(storage, "seg"))
    fw.start_field("f", field)
    try:
        with pytest.raises(ValueError, match="7 bytes of values for 2 postings"):
            write_term(fw, b"t", [1, 2], [1.0, 1.0], b"\0" * 7, None)
    finally:
        fw.close()
