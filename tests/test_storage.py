"""Zero-copy segment files: ``ViewFile`` behaves as a binary file, and indexes read through it."""

from __future__ import annotations

import io
import pickle
from itertools import accumulate
from pathlib import Path

import pytest
from whoosh import fields, index
from whoosh.qparser import QueryParser

from indexer.engine.storage import PEEK, ViewBufferFile, ViewFile, open_index

DATA = b"first line\nsecond\n" + pickle.dumps({"k": [1, 2, 3]}, 2) + b"tail"


def test_view_file_reads_like_bytesio() -> None:
    view, ref = ViewFile(memoryview(DATA)), io.BytesIO(DATA)
    for op in [
        lambda f: f.read(5),
        lambda f: f.readline(),
        lambda f: f.tell(),
        lambda f: f.readline(3),
        lambda f: f.seek(-4, io.SEEK_END),
        lambda f: f.read(),
        lambda f: f.read(10),
        lambda f: f.seek(2),
        lambda f: f.seek(3, io.SEEK_CUR),
        lambda f: f.read(-1),
        lambda f: f.seek(100),
        lambda f: f.read(1),
    ]:
        assert op(view) == op(ref)
    view.seek(len(b"first line\nsecond\n"))
    assert pickle.load(view) == {"k": [1, 2, 3]}  # type: ignore[arg-type]
    target = bytearray(4)
    assert view.readinto(target) == 4 and bytes(target) == b"tail"
    with pytest.raises(ValueError, match="negative"):
        view.seek(-1)


def test_pickles_load_through_peek_and_stop_where_they_end() -> None:
    """The unpickler peeks ahead and then reads only what it used: small pickles, one longer
    than a peek, and back to back, each leaving the position just after itself."""
    objs = [(128, 5, 3.0, 6, 17, 200), list(range(400)), {"k": "v" * 1000}, (1, 2)]
    data = b"".join(pickle.dumps(o, 2) for o in objs) + b"tail"
    view = ViewFile(memoryview(data))
    ends = list(accumulate(len(pickle.dumps(o, 2)) for o in objs))
    assert len(pickle.dumps(objs[1], 2)) > PEEK
    for obj, end in zip(objs, ends, strict=True):
        assert pickle.load(view) == obj
        assert view.tell() == end
    assert view.peek(2) == b"ta" and view.tell() == ends[-1]
    assert view.peek(10) == b"tail" == view.read()
    assert view.peek() == b""
    calls = []

    class Counted(ViewFile):
        __slots__ = ()

        def read(self, size: int | None = -1) -> bytes:
            calls.append(size)
            return super().read(size)

    counted = Counted(memoryview(data))
    assert pickle.load(counted) == objs[0]
    assert len(calls) <= 2  # not one read per opcode


def test_view_file_does_not_copy_the_buffer() -> None:
    buf = bytearray(DATA)
    view = ViewFile(memoryview(buf))
    buf[0:5] = b"FIRST"  # a copy would not see this
    assert view.read(5) == b"FIRST"


def test_index_opened_through_views_searches_and_reads(tmp_path: Path) -> None:
    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(stored=True))
    ix = index.create_in(str(tmp_path), schema)
    for batch in range(3):  # several compound segments
        with ix.writer() as w:
            for i in range(200):
                w.add_document(id=f"{batch}-{i}", body=f"glacier melt study {i} batch{batch}")
    ix.close()
    ix = open_index(tmp_path)
    try:
        with ix.searcher() as s:
            reader = s.reader()
            files = [seg for seg in reader.leaf_readers()]
            assert len(files) == 3
            for leaf, _ in files:
                assert isinstance(leaf._terms._dbfile, ViewBufferFile)
            q = QueryParser("body", schema).parse('"melt study" batch1')
            hits = s.search(q, limit=None)
            assert len(hits) == 200
            assert all(h["id"].startswith("1-") for h in hits)
            assert s.document(id="2-7")["body"] == "glacier melt study 7 batch2"
    finally:
        ix.close()
