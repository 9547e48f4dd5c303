"""Downloads of a search: every matching project as CSV, and the newest ones as an Atom feed.

``GET /search.csv`` streams every match (up to ``CSV_MAX_ROWS``; a last row says so when more
matched) through ``indexer.service.export``: UTF-8 with a byte-order mark, comma or, with
``?delimiter=semicolon``, semicolon, formulas neutralised; its ``X-Total-Count`` header says
how many rows will follow, for the page's "being prepared" message. At most ``EXPORTS_AT_ONCE``
of them are prepared at a time (``in_turn``; an organisation's CSV too): a broad export holds a
server thread for its whole stream, so without a bound a handful of downloads would take every
thread from the searches; one more waits ``EXPORT_WAIT`` seconds for its turn, then answers 503
with Retry-After, and any beyond that answer 503 at once.
``GET /search.atom`` is an Atom 1.0 feed of the ``FEED_SIZE`` newest matches (by start date),
so a search can be followed in a feed reader. The XML is written as text with our own escaping:
only ``harvesters/`` imports XML libraries. Also the CSV helpers the statistics and
organisation pages share.
"""

from __future__ import annotations

import html
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ServiceUnavailable

from indexer.service import MAX_SIZE, Hit, InvalidRequest, SearchRequest, hit_rows, iter_csv
from webapp.charts import format_number
from webapp.i18n import current_lang, t
from webapp.params import request_from_args, state, with_params
from webapp.service import search_service

bp = Blueprint("exports", __name__)

DELIMITERS = {"comma": ",", ",": ",", "semicolon": ";", ";": ";"}
ATOM_TYPE = "application/atom+xml; charset=utf-8"
SUMMARY_CHARS = 600
EXPORT_RETRY_SECONDS = 10
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# -- shared CSV helpers ---------------------------------------------------------------------


def delimiter_from(args: MultiDict[str, str]) -> str:
    """The CSV delimiter the URL asks for (``comma`` by default, or ``semicolon``)."""
    raw = args.get("delimiter") or "comma"
    if raw not in DELIMITERS:
        raise InvalidRequest(f"delimiter must be comma or semicolon, not {raw[:20]!r}")
    return DELIMITERS[raw]


def csv_response(rows: Iterable[list[Any]], filename: str) -> Response:
    """A streamed CSV download of ``rows`` (BOM, CRLF, formulas neutralised)."""
    delimiter = delimiter_from(request.args)
    response = Response(iter_csv(rows, delimiter=delimiter), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def truncation_note(total: int, cap: int) -> str:
    return t("csv_truncated").format(total=total, cap=cap)


def hits_csv(hits: Iterable[Hit], total: int, cap: int, filename: str) -> Response:
    """Hits as a CSV download, with the truncation row when ``total`` exceeds ``cap``."""
    note = truncation_note(total, cap) if total > cap else None
    response = csv_response(hit_rows(_capped(hits, cap), note, current_lang()), filename)
    response.headers["X-Total-Count"] = str(min(total, cap))  # the page's progress: "n / total"
    return response


def _capped(hits: Iterable[Hit], cap: int) -> Iterator[Hit]:
    for i, hit in enumerate(hits):
        if i >= cap:
            return
        yield hit


def export_request(lang: str, drop: tuple[str, ...] = ("page", "size")) -> SearchRequest:
    """The search of this URL, without the parameters a download ignores."""
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in drop])
    cfg = current_app.config
    return request_from_args(args, lang, cfg["PAGE_SIZE"], cfg["MAX_QUERY_CHARS"])


class ExportPlaces:
    """``EXPORTS_AT_ONCE`` places for exports being prepared, and one place in line: an
    export that finds them all taken and someone already waiting is a 503 at once, so
    exports never hold more than ``EXPORTS_AT_ONCE`` + 1 of the server's threads."""

    def __init__(self, places: int) -> None:
        self.places = threading.BoundedSemaphore(max(1, places))
        self._lock = threading.Lock()
        self._waiting = 0

    def take(self, wait: float) -> bool:
        if self.places.acquire(blocking=False):
            return True
        with self._lock:
            if self._waiting:
                return False
            self._waiting += 1
        try:
            return self.places.acquire(timeout=wait)
        finally:
            with self._lock:
                self._waiting -= 1


class Turn:
    """One export's place; given back once, when its stream ends or its client goes."""

    def __init__(self, slots: threading.BoundedSemaphore) -> None:
        self._slots = slots
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                self._slots.release()

    def around(self, chunks: Iterable[Any]) -> Iterator[Any]:
        """``chunks``, giving the place back after the last (or when closed early)."""
        try:
            yield from chunks
        finally:
            self.release()


def export_turn() -> Turn:
    """Take a place among the exports being prepared (waiting ``EXPORT_WAIT`` seconds at
    most when it is first in line); none is a 503 that says when to try again."""
    places: ExportPlaces = current_app.extensions["export_places"]
    if not places.take(float(current_app.config["EXPORT_WAIT"])):
        raise ExportsBusy(
            "Other downloads are being prepared right now; try again in a few seconds.",
            retry_after=EXPORT_RETRY_SECONDS,
        )
    return Turn(places.places)


def in_turn(make: Callable[[], Response]) -> Response:
    """The streamed response ``make`` builds, prepared in its turn; the place is given back
    when the stream ends, when it is closed (the client went, or it never started), and at
    the latest when the response is collected."""
    turn = export_turn()
    try:
        response = make()
        response.response = turn.around(response.response)
    except BaseException:
        turn.release()
        raise
    response.call_on_close(turn.release)
    weakref.finalize(response, turn.release)
    return response


class ExportsBusy(ServiceUnavailable):
    """Every place for exports is taken (a 503 with a short Retry-After)."""


# -- routes ---------------------------------------------------------------------------------


@bp.get("/search.csv")
def search_csv() -> Response:
    """Every matching project in the order of the search, streamed, in its turn."""
    req = export_request(current_lang())
    service = search_service(current_app)
    total = service.count(req)  # parses the query now, so a bad one is a 400, not a cut stream
    cap = int(current_app.config["CSV_MAX_ROWS"])
    delimiter_from(request.args)  # a bad delimiter is a 400 before waiting for a turn
    return in_turn(
        lambda: hits_csv(service.iter_hits(req, cap=cap), total, cap, "research-index-search.csv")
    )


@bp.get("/search.atom")
def search_atom() -> Response:
    """An Atom feed of the newest projects (by start date) that match the search."""
    lang = current_lang()
    size = max(1, min(int(current_app.config["FEED_SIZE"]), MAX_SIZE))
    req = replace(
        export_request(lang, drop=("page", "size", "sort")),
        sort="start_desc",
        size=size,
        page=1,
        with_facets=False,
    )
    service = search_service(current_app)
    result = service.search(req)
    built = _rfc3339(str(service.info().get("built") or "")) or datetime.now(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    pairs = state(request.args)
    root = request.host_url.rstrip("/")
    query = _query_string(with_params(pairs, page=None, size=None, sort=None))
    self_url = f"{root}/search.atom{query}"
    entries = [_entry(h, root, lang, built) for h in result.hits]
    updated = max((e[0] for e in entries), default=built)
    title = t("feed_title") + (f": {result.query}" if result.query else "") + f" – {t('site')}"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">',
        f"<id>{xml_text(self_url)}</id>",
        f"<title>{xml_text(title)}</title>",
        f"<subtitle>{xml_text(t('feed_subtitle').format(total=result.total))}</subtitle>",
        f"<updated>{updated}</updated>",
        f'<link rel="self" type="application/atom+xml" href="{xml_text(self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{xml_text(root + "/search" + query)}"/>',
        f"<author><name>{xml_text(t('site'))}</name></author>",
        "<generator>research-index</generator>",
        *(e[1] for e in entries),
        "</feed>",
    ]
    return Response("\n".join(lines) + "\n", content_type=ATOM_TYPE)


# -- Atom -----------------------------------------------------------------------------------


def xml_text(value: object) -> str:
    """Text safe inside an XML element or a double-quoted attribute."""
    return html.escape(_XML_BAD.sub("", str(value)), quote=True)


def _query_string(qs: str) -> str:
    return "" if qs == "?" else qs


def _rfc3339(raw: str | None) -> str | None:
    """An ISO date or time as an Atom date (UTC, ``Z``); naive times are taken as UTC."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(h: Hit, root: str, lang: str, fallback: str) -> tuple[str, str]:
    record = h.record
    page = "facility" if h.kind == "facility" else "project"
    url = f"{root}/{page}/{_path(h.source)}/{_path(h.id)}"
    updated = (
        _rfc3339(record.get("updated"))
        or _rfc3339(record.get("loaded"))
        or _rfc3339(h.start)
        or fallback
    )
    published = _rfc3339(h.start)
    parts = [
        "<entry>",
        f"<id>{xml_text(url)}</id>",
        f"<title>{xml_text(h.title)}</title>",
        f"<updated>{updated}</updated>",
        f"<published>{published}</published>" if published else "",
        f'<link rel="alternate" type="text/html" href="{xml_text(url)}"/>',
        f'<category term="{xml_text(h.status or h.kind)}" '
        f'label="{xml_text(t(h.status) if h.status else t("facility_one"))}"/>',
        f'<summary type="text">{xml_text(_summary(h, lang))}</summary>',
        "</entry>",
    ]
    return updated, "".join(p for p in parts if p)


def _summary(h: Hit, lang: str) -> str:
    meta = []
    if h.coordinator and h.coordinator.name:
        meta.append(h.coordinator.name)
    if h.funders:
        meta.append(", ".join(f.name or f.id or "" for f in h.funders))
    if h.kind == "facility":  # a facility has no period: where it is, who may use it
        where = [h.record.get("city"), h.record.get("country")]
        meta.append(", ".join(x for x in where if x) or t("facility_one"))
    else:
        meta.append(f"{h.start or '?'} – {h.end or t('open_ended')}")
    if h.total_sek is not None:
        meta.append(f"{format_number(h.total_sek, lang)} {t('sek')}")
    abstract = record_text(h.record.get("abstract"), lang)
    if len(abstract) > SUMMARY_CHARS:
        abstract = abstract[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return " · ".join(meta) + ("\n\n" + abstract if abstract else "")


def record_text(value: Any, lang: str) -> str:
    """A bilingual text of a record dict in ``lang``, else the other language, else ``""``."""
    if not isinstance(value, dict):
        return ""
    first, second = ("sv", "en") if lang == "sv" else ("en", "sv")
    return str(value.get(first) or value.get(second) or "")


def _path(value: str) -> str:
    return quote(value, safe="")
