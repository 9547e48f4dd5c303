"""Record-level content faults of the fake OAI repository: one record of a page made unreadable.

``corrupt(body, fault)`` changes the first record of a whole ListRecords page (the bytes
``Repository.answer`` made) by inserting a ``Keyword`` (or an ``Abstract``) into its metadata:

``ctrlchar``  a 0x1a control character in the text (not allowed in XML 1.0)
``badbytes``  a lone 0xff byte next to real UTF-8 (``på``): not UTF-8
``ndash``     the HTML entity ``&ndash;``, which XML does not define
``latinone``  ``Forskning på älvar och öar``, and the whole page in ISO-8859-1 without an XML
              declaration (characters Latin-1 lacks become character references)
``hugetext``  an English ``Abstract`` of 12 MB (``HUGE`` bytes of ``x``): legal XML
``noident``   the record's ``<identifier>`` left empty
"""

from __future__ import annotations

import re

HUGE = 12 * 1024 * 1024
RECORD_FAULTS = ("ctrlchar", "badbytes", "ndash", "latinone", "hugetext", "noident")
LATIN_KEYWORD = "Forskning på älvar och öar"

_INSERTS = {
    "ctrlchar": b"<Keyword>bad\x1acontrol</Keyword>",
    "badbytes": "<Keyword>Forskning på ".encode() + b"\xff</Keyword>",
    "ndash": b"<Keyword>a &ndash; b</Keyword>",
    "latinone": f"<Keyword>{LATIN_KEYWORD}</Keyword>".encode(),
    "hugetext": b'<Abstract xml:lang="en">' + b"x" * HUGE + b"</Abstract>",
}


def corrupt(body: bytes, fault: str) -> bytes:
    """``body`` with the first record broken by ``fault`` (see the module docstring)."""
    if fault == "noident":
        empty = b"<identifier></identifier>"
        return re.sub(rb"<identifier>[^<]*</identifier>", empty, body, count=1)
    start = body.index(b"<metadata>")
    insert_at = body.index(b">", start + len(b"<metadata>")) + 1
    out = body[:insert_at] + _INSERTS[fault] + body[insert_at:]
    if fault == "latinone":
        text = re.sub(r"^<\?xml[^>]*\?>\s*", "", out.decode("utf-8"))
        out = text.encode("latin-1", "xmlcharrefreplace")
    return out
