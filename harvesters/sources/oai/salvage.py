"""An OAI-PMH list page that is not well-formed as a whole, read record by record where safe.

One broken record (a control character such as 0x1a, bytes that are not UTF-8, an entity only
HTML defines such as ``&ndash;``) must not cost the rest of its page, nor hide it: the broken
record is quarantined with its reason and its raw text, and the others are read. A broken
*page* still fails loudly (``MalformedResponse``), never truncated silently. ``parse_page``:

1. parses the page as ``harvesters.sources.oai.responses.parse_xml`` does; well-formed pages end
here;
2. a page with a DOCTYPE is never salvaged (entity declarations are refused as they are);
3. a page that is mostly not UTF-8 (a server sending Latin-1 without saying so; weighed as
   ``decode_text`` does) is read as Windows-1252, with a warning;
4. otherwise it cuts the page into its ``<record>`` elements. The rest of the page (envelope,
   request, resumptionToken) must be well-formed on its own, and each cut must hold exactly one
   record, or the page is broken: a page cut short, garbage between records, a record that does
   not close (and so swallows the next) all fail here. Each record is
   then parsed alone inside that envelope; those that fail are the ``BrokenRecord``s, the page
   without them is parsed and returned. A page whose records all parse alone is broken between
   them and fails.

The page's raw payload is stored unchanged, so a re-parse salvages the same records again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from harvesters.core.errors import SourceProtocolError
from harvesters.sources.clean import clean_str
from harvesters.sources.csv_rows import decode_text
from harvesters.sources.oai.responses import MalformedResponse, parse_xml

log = logging.getLogger("research_index.oai")

_RECORD = re.compile(
    rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)record(?=[\s>])[^>]*>.*?</(?P=p)record\s*>", re.S
)
_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record(?=[\s>])")
_IDENTIFIER = re.compile(
    rb"<(?:[\w.-]+:)?identifier(?:\s[^>]*)?>(.*?)</(?:[\w.-]+:)?identifier", re.S
)
_WHERE = re.compile(r",? line \d+, column \d+|\s*\(<string>, line \d+\)")


@dataclass(frozen=True)
class BrokenRecord:
    """A ``<record>`` of a page that is not well-formed on its own."""

    identifier: str | None  # read from its header when it can be
    position: int  # 1-based among the page's records
    reason: str
    raw: bytes


def parse_page(body: bytes, url: str) -> tuple[Any, list[BrokenRecord]]:
    """The root of the page and the records left out of it; see the module docstring."""
    try:
        return parse_xml(body, url), []
    except MalformedResponse as exc:
        first = exc
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise first
    text, note = decode_text(body)
    if note and not _declares_other_encoding(body):
        body = text.encode("utf-8")
        try:
            root = parse_xml(body, url)
        except MalformedResponse:
            pass
        else:
            log.warning("%s: %s", url, note)
            return root, []
    return _salvage(body, url, first)


def _declares_other_encoding(body: bytes) -> bool:
    """The XML declaration names an encoding other than UTF-8 (libxml2 then decoded it)."""
    m = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.-]+)", body)
    return m is not None and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")


def _salvage(body: bytes, url: str, first: MalformedResponse) -> tuple[Any, list[BrokenRecord]]:
    spans = [m.span() for m in _RECORD.finditer(body)]
    if not spans or any(len(_START.findall(body, a, b)) != 1 for a, b in spans):
        raise first  # a record whose end tag is broken swallows the next: not one record each
    head, tail = body[: spans[0][0]], body[spans[-1][1] :]
    try:
        parse_xml(_without(body, spans), url)
    except SourceProtocolError:
        raise first from None
    broken: list[BrokenRecord] = []
    bad_spans: list[tuple[int, int]] = []
    for position, (start, end) in enumerate(spans, start=1):
        chunk = body[start:end]
        try:
            parse_xml(head + chunk + tail, url)
        except MalformedResponse as exc:
            reason = _WHERE.sub("", exc.detail).strip() or "not well-formed XML"
            broken.append(BrokenRecord(_identifier(chunk), position, reason, chunk))
            bad_spans.append((start, end))
        except SourceProtocolError as exc:
            broken.append(BrokenRecord(_identifier(chunk), position, str(exc), chunk))
            bad_spans.append((start, end))
    if not broken:
        raise first
    try:
        root = parse_xml(_without(body, bad_spans), url)
    except SourceProtocolError:
        raise first from None
    log.warning(
        "%s: %d of %d record(s) are not well-formed XML; the others were read",
        url,
        len(broken),
        len(spans),
    )
    return root, broken


def _without(body: bytes, spans: list[tuple[int, int]]) -> bytes:
    parts, at = [], 0
    for start, end in spans:
        parts.append(body[at:start])
        at = end
    parts.append(body[at:])
    return b"".join(parts)


def _identifier(chunk: bytes) -> str | None:
    m = _IDENTIFIER.search(chunk)
    if not m:
        return None
    return clean_str(m.group(1).decode("utf-8", "replace"))
