"""Reading downloaded or hand-kept text files (CSV, JSON) without losing a row to one bad byte.

- ``decode_text(body)``: UTF-8 (a byte-order mark is dropped). A file that is not UTF-8 is
  weighed as a whole: when its bytes that are not UTF-8 outnumber its valid UTF-8 multi-byte
  characters, it is read as Windows-1252 (what Excel on a Swedish Windows saves; Latin-1 åäö
  included) and the caller is told so. One Latin-1 sequence that happens to be valid UTF-8
  ("André" before an empty field: E9 A4 A4) does not flip the decision. Otherwise the file is
  UTF-8 with a few damaged bytes, kept as lone surrogates (``surrogateescape``) so that only the
  row holding them is refused (``bad_bytes`` names them) while the rest of the file is read.
- ``read_csv(text, delimiter, label)``: the header and every row as a ``CsvRow`` with its
  values, its first and last physical line and its raw text; fields may be large (the ``csv``
  module's field limit is raised to ``FIELD_LIMIT`` for the process). A row whose column count
  is wrong is marked (``CsvRow.error``), never dropped. A row that spans several physical lines
  where every line after the first (but the last, where the runaway quote may close again),
  read on its own, has the header's column count is an unbalanced quote that swallowed the
  lines after it: the first line becomes a bad row of its own and the others are read one by
  one (a legitimate multi-line field does not look like that).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

FIELD_LIMIT = 256 * 1024 * 1024  # characters in one CSV field (a 12 MB abstract is legal)
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))

_SURROGATE = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def decode_text(body: bytes | str) -> tuple[str, str | None]:
    """(text, note): the note says when the bytes were read as Windows-1252, else None."""
    if isinstance(body, str):
        return body.lstrip("\ufeff"), None
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "surrogateescape")
    damaged = sum(1 for _ in _SURROGATE.finditer(text))
    multibyte = sum(1 for _ in _NON_ASCII.finditer(text)) - damaged
    if damaged > multibyte:
        return _cp1252(body), (
            f"not UTF-8 ({damaged} bytes are not, {multibyte} characters are); "
            "read as Windows-1252 (Latin-1)"
        )
    return text, None


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("research_index_latin1", _latin1_fallback)


def _cp1252(body: bytes) -> str:
    """Windows-1252, with Latin-1 for the five bytes it leaves undefined."""
    return body.decode("cp1252", errors="research_index_latin1")


def bad_bytes(text: str) -> str | None:
    """A reason naming the undecodable bytes in ``text`` (see ``decode_text``), or None."""
    found = _SURROGATE.findall(text)
    if not found:
        return None
    shown = ", ".join(dict.fromkeys(f"0x{ord(c) - 0xDC00:02x}" for c in found[:8]))
    return f"not valid UTF-8 (byte {shown})"


def bad_bytes_in(value: object) -> str | None:
    """``bad_bytes`` over every string inside a JSON-like value."""
    if isinstance(value, str):
        return bad_bytes(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = bad_bytes_in(item)
        if found:
            return found
    return None


@dataclass(frozen=True)
class CsvRow:
    values: list[str]
    first_line: int  # 1-based physical lines of the file
    last_line: int
    raw: str
    error: str | None = None  # why the row cannot be used as it is (column count, quote)

    @property
    def lines(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


def read_csv(text: str, delimiter: str) -> tuple[list[str], list[CsvRow]]:
    """The header and the rows of ``text``; blank lines are left out. See the module docstring."""
    lines = list(io.StringIO(text, newline=""))
    consumed = 0

    def feed():  # type: ignore[no-untyped-def]
        nonlocal consumed
        for line in lines:
            consumed += 1
            yield line

    reader = csv.reader(feed(), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return [], []
    width = len(header)
    rows: list[CsvRow] = []
    start = consumed + 1
    for values in reader:
        first, last = start, consumed
        start = consumed + 1
        if not values or not any(v.strip() for v in values):
            continue
        raw = "".join(lines[first - 1 : last])
        if last > first:
            chunk = lines[first - 1 : last]
            split = _split_stray_quote(chunk, first, delimiter, width, len(values) == width)
            if split:
                rows.extend(split)
                continue
        if len(values) == width:
            rows.append(CsvRow(values, first, last, raw))
            continue
        error = f"{len(values)} columns where the header has {width}"
        rows.append(CsvRow(values, first, last, raw, error))
    return header, rows


def _split_stray_quote(
    chunk: list[str], first: int, delimiter: str, width: int, fits: bool
) -> list[CsvRow] | None:
    """The rows of a multi-line row that an unbalanced quote made, or None when it is not one.

    ``fits``: the multi-line row has the header's width (the quote opened the last column);
    then every later line must fit the header too, the last one included."""
    if width < 3:
        return None
    parsed = [next(csv.reader([line], delimiter=delimiter), []) for line in chunk]
    rest = [(n, v) for n, v in enumerate(parsed[1:], start=1) if any(x.strip() for x in v)]
    # the last line may be where the runaway quote closed again: it is a bad row then
    checked = rest if (fits or len(rest) == 1) else rest[:-1]
    if not rest or any(len(v) != width for _, v in checked):
        return None
    bad = CsvRow(
        parsed[0],
        first,
        first,
        chunk[0],
        f'an unbalanced quote (") swallowed lines {first + 1}-{first + len(chunk) - 1}; '
        "they were read on their own",
    )
    out = [bad]
    for n, v in rest:
        error = None if len(v) == width else f"{len(v)} columns where the header has {width}"
        out.append(CsvRow(v, first + n, first + n, chunk[n], error))
    return out
