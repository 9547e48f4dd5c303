"""Similar records: the projects (or facilities) whose words are most like one record's.

``similar_hits`` reads the record's titles and long texts in both languages and asks the
engine for the documents of the same kind that share the most weighty words
(``Snapshot.similar``, over ``text_exact``), leaving out the record itself, its twin copies
and the duplicate copies of other twins.
"""

from __future__ import annotations

import json

from harvesters.core.records import record_from_dict
from indexer.documents.projects import today_int, uid_of
from indexer.engine import Snapshot
from indexer.errors import RecordNotFound
from indexer.service.hits import HitMaker, body, title
from indexer.service.results import Hit
from indexer.service.served import ServedVersion

SIMILAR_FIELD = "text_exact"


def similar_hits(
    version: ServedVersion,
    snapshot: Snapshot,
    source: str,
    source_id: str,
    limit: int,
    lang: str,
) -> list[Hit]:
    docnum = snapshot.document_number(uid_of(source, source_id))
    if docnum is None:
        raise RecordNotFound(f"no project {source_id!r} in {source}")
    p = record_from_dict(json.loads(snapshot.stored(docnum)["record"]))
    name, long = title(p), body(p)
    text = " ".join(t for t in (name.sv, name.en, long.sv, long.en) if t)
    if not text:
        return []
    related = {uid_of(source, t) for t in getattr(p, "twins", ())}
    table = version.table
    same_kind = table.projects if docnum in table.projects else table.live - table.projects
    maker = HitMaker(table, lang, today_int(), version.caches.records)
    out: list[Hit] = []
    within = table.canonical & same_kind
    for other, uid in snapshot.similar(docnum, SIMILAR_FIELD, text, limit * 3, 20, within):
        if other == docnum or uid in related:
            continue
        out.append(maker.from_docnum(snapshot, other))
        if len(out) == limit:
            break
    return out
