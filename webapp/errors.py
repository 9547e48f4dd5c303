"""Domain errors -> HTTP, in one place: JSON under /api, an HTML page elsewhere.

``InvalidQuery``/``InvalidRequest`` -> 400, ``RecordNotFound`` -> 404, ``RecordMoved`` -> 301
to the record it became part of, ``RecordWithdrawn`` -> 410, ``IndexMissing`` -> 503,
Werkzeug's own HTTP errors keep their code, and anything else is logged and answered 500
without details. Every JSON error has the same shape:
``{"ok": false, "status": n, "error": "...", "message": "..."}``.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Flask, Response, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.service import (
    IndexMissing,
    InvalidQuery,
    InvalidRequest,
    RecordMoved,
    RecordNotFound,
    RecordWithdrawn,
)

log = logging.getLogger("research_index.web")

_MAP: tuple[tuple[type[Exception], int, str], ...] = (
    (InvalidQuery, 400, "invalid_query"),
    (InvalidRequest, 400, "invalid_request"),
    (RecordNotFound, 404, "not_found"),
    (RecordWithdrawn, 410, "withdrawn"),
    (IndexMissing, 503, "index_unavailable"),
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(
        (".json", ".csv", ".graphml", ".atom")
    )


def error_response(status: int, code: str, message: str) -> Response:
    if wants_json():
        response = jsonify({"ok": False, "status": status, "error": code, "message": message})
    else:
        response = Response(
            render_template("error.html", status=status, code=code, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response


def register(app: Flask) -> None:
    for exc_type, status, code in _MAP:
        app.register_error_handler(
            exc_type, lambda exc, s=status, c=code: error_response(s, c, str(exc))
        )

    @app.errorhandler(RecordMoved)
    def moved(exc: RecordMoved) -> Response:
        """A record that became part of a merged facility: its new address, for good."""
        target = f"{quote(exc.source, safe='')}/{quote(exc.source_id)}"
        url = (
            f"/api/v1/projects/{target}"
            if request.path.startswith("/api/")
            else (f"/facility/{target}")
        )
        return redirect(url, code=301)  # type: ignore[return-value]

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(status, name, exc.description or exc.name or "error")
        if getattr(exc, "valid_methods", None):  # a 405 says what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        retry = getattr(exc, "retry_after", None)
        if status == 503 and isinstance(retry, int):  # a busy moment, not a missing index
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.path)
        return error_response(500, "internal_error", "An unexpected error occurred.")
