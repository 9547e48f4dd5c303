"""The JSON API under /api/v1: search with facets, one project, similar projects, status.

Responses are the search service's result objects as JSON (``to_dict()``), with links; every
error has the one shape of ``webapp.errors``. Pages are bounded (``MAX_PAGE_SIZE``); to walk
every result past the page-depth limit, follow ``links.next`` with its ``cursor``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.service import MAX_DEPTH, InvalidRequest, status_for_home
from webapp.i18n import current_lang
from webapp.pages import search_request
from webapp.params import state, with_params
from webapp.service import search_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search() -> Response:
    lang = current_lang()
    cursor = request.args.get("cursor")
    service = search_service(current_app)
    if cursor:
        return _walk(cursor, lang)
    result = service.search(search_request(lang))
    data = result.to_dict()
    pairs = state(request.args)
    data["links"] = {
        "self": "/api/v1/search" + with_params(pairs, page=result.page),
        "next": ("/api/v1/search" + with_params(pairs, page=result.page + 1))
        if result.page < result.pages and result.page * result.size < MAX_DEPTH
        else None,
        "walk": "/api/v1/search" + with_params(pairs, cursor=_encode({"o": 0})),
        "csv": "/search.csv" + with_params(pairs, size=None),
    }
    data["ok"] = True
    return jsonify(data)


def _walk(cursor: str, lang: str) -> Response:
    """Keyset-style walk over every match, ``size`` at a time, in the request's sort order."""
    state_ = _decode(cursor)
    offset = state_.get("o")
    if type(offset) is not int or offset < 0:
        raise InvalidRequest("the cursor is not valid; start again from links.walk")
    req = replace(search_request(lang), page=1)
    service = search_service(current_app)
    window = service.window(req, offset, req.size)
    hits, total = window.hits, window.total
    pairs = [(k, v) for k, v in state(request.args) if k != "page"]
    nxt = offset + len(hits)
    return jsonify(
        {
            "ok": True,
            "total": total,
            "offset": offset,
            "hits": [h.to_dict() for h in hits],
            "links": {
                "next": "/api/v1/search" + with_params(pairs, cursor=_encode({"o": nxt}))
                if nxt < total and hits
                else None,
            },
        }
    )


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("the cursor is not valid; start again from links.walk") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the cursor is not valid; start again from links.walk")
    return data


@bp.get("/projects/<source>/<path:pid>")
def project(source: str, pid: str) -> Response:
    service = search_service(current_app)
    p = service.get(source, pid)
    data = {
        "ok": True,
        "project": p.to_dict(),
        "links": {
            "html": f"/project/{source}/{pid}",
            "similar": f"/api/v1/projects/{source}/{pid}/similar",
        },
    }
    return jsonify(data)


@bp.get("/projects/<source>/<path:pid>/similar")
def similar(source: str, pid: str) -> Response:
    hits = search_service(current_app).similar(source, pid, limit=10, lang=current_lang())
    return jsonify({"ok": True, "hits": [h.to_dict() for h in hits]})


@bp.get("/status")
def status() -> Response:
    info = search_service(current_app).info()
    status = status_for_home(current_app.config["HOME_DIR"])
    return jsonify(
        {"ok": True, "index": info, "sources": status["sources"], "runs": status["runs"]}
    )
