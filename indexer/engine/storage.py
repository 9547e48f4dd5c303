"""Opening an index without copying its segments into memory.

Owns how segment files are read. Whoosh keeps each segment in one compound file, maps it into
memory, and hands every reader a ``BufferFile`` over its part of the map; but ``BufferFile``
starts by copying that part into a ``BytesIO``. Opening a reader therefore copied every
segment's term table and postings (about a second per 100,000 projects), and an incremental
build opens the index twice. ``ViewFile`` reads straight from the map instead: a file
object (read, readline, readinto, peek, seek, tell) over a ``memoryview``, copying only the
bytes a read asks for. ``peek`` is there for the unpickler: with it, loading a small pickle
(every posting block starts with one) is one peek and one read instead of a read per opcode.
``open_index`` installs it before opening; everything in this package opens indexes through
it.
"""

from __future__ import annotations

import os
from io import SEEK_CUR, SEEK_END, SEEK_SET
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.structfile import BufferFile

from indexer.engine import compat

PEEK = 256  # bytes a peek returns: a posting block's header is about 30


class ViewFile:
    """A read-only binary file over a buffer, without copying it (own position per file)."""

    __slots__ = ("_view", "_pos", "closed")

    def __init__(self, buf: Any) -> None:
        self._view = memoryview(buf).cast("B")
        self._pos = 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        pos = self._pos
        end = len(self._view) if size is None or size < 0 else min(pos + size, len(self._view))
        if end <= pos:
            return b""
        self._pos = end
        return bytes(self._view[pos:end])

    def readinto(self, target: Any) -> int:
        data = self.read(len(memoryview(target).cast("B")))
        memoryview(target).cast("B")[: len(data)] = data
        return len(data)

    def peek(self, size: int = 1) -> bytes:
        """Bytes from the position on, without moving it: at most ``PEEK`` of them (the
        unpickler asks for 128 KiB ahead, uses what it is given and reads on if that was not
        enough)."""
        pos = self._pos
        return bytes(self._view[pos : pos + min(max(size, 1), PEEK)])

    def readline(self, size: int | None = -1) -> bytes:
        view, pos = self._view, self._pos
        limit = len(view) if size is None or size < 0 else min(pos + size, len(view))
        i = pos
        while i < limit and view[i] != 10:
            i += 1
        return self.read(min(i + 1, limit) - pos)

    def seek(self, offset: int, whence: int = SEEK_SET) -> int:
        if whence == SEEK_SET:
            pos = offset
        elif whence == SEEK_CUR:
            pos = self._pos + offset
        elif whence == SEEK_END:
            pos = len(self._view) + offset
        else:
            raise ValueError(f"bad whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self.closed = True
        self._view.release()


class ViewBufferFile(BufferFile):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh's ``BufferFile`` reading through a :class:`ViewFile` instead of a copy."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = ViewFile(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False


def install() -> None:
    """Make compound segments hand out :class:`ViewBufferFile` (idempotent; the replacement
    itself is ``compat.install_view_files``, the engine's only one)."""
    compat.install_view_files(ViewBufferFile)


def open_index(path: str | os.PathLike[str] | Path, schema: Any = None) -> Any:
    """Open the Whoosh index in ``path`` with zero-copy segment files; with ``schema``, Whoosh
    uses it instead of unpickling the one stored in the index."""
    install()
    return whoosh_index.open_dir(str(path), schema=schema)
