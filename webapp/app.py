"""The web app: faceted search, detail pages, statistics, JSON API and CSV export (Flask).

``create_app(test_config=None)`` is the factory: it reads the settings, opens one search
service on the published index (``app.extensions["search"]``), registers the blueprints and
the error handlers, and adds security headers to every response. Before routing, a URL longer
than ``MAX_URL_BYTES`` is a 414 and a declared body over ``MAX_CONTENT_LENGTH`` a 413 (the app
only serves GETs, so it never reads a body). JSON is written HTML-safe: ``<``, ``>``, ``&``,
U+2028 and U+2029 inside strings are ``\\u`` escapes, as Go's ``encoding/json`` does, so no
response can be mistaken for markup. Links taken from records go through the ``web_url``
filter: only http(s) addresses become links, so a ``javascript:`` URL in a record stays text.
Only this package imports flask; ``webapp.cli.commands`` is the composition root of the
``research-index`` command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request
from flask.json.provider import DefaultJSONProvider

from indexer.service import SearchService
from webapp import errors
from webapp.charts import format_number
from webapp.config import defaults
from webapp.i18n import current_lang, t
from webapp.params import check_api_args

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOWNLOADS = (".csv", ".atom", ".graphml")  # the API's searches as files: as strict as the API
MAX_URL_BYTES = 16 * 1024  # a 1,000-character query in any script needs at most ~12 KB
_JSON_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


class HtmlSafeJSON(DefaultJSONProvider):
    """Flask's JSON with the characters HTML gives meaning to escaped (same data once parsed)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **kwargs).translate(_JSON_UNSAFE)


def web_url(value: object) -> str | None:
    """``value`` when it is an http or https address, else None (never a script URL)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.json = HtmlSafeJSON(app)
    app.config.from_mapping(defaults())
    home = Path(os.environ.get("RESEARCH_INDEX_HOME", "./index_data"))
    app.config["INDEX_DIR"] = str(home / "index")
    if test_config:
        app.config.update(test_config)
    # the data folder the status page reports on: the index's parent unless configured
    app.config.setdefault("HOME_DIR", str(Path(app.config["INDEX_DIR"]).parent))
    app.extensions["search"] = SearchService(
        app.config["INDEX_DIR"], switch_in_background=bool(app.config.get("SWITCH_IN_BACKGROUND"))
    )
    app.jinja_env.globals.update(t=t)
    app.jinja_env.filters["web_url"] = web_url
    app.jinja_env.filters["num"] = lambda value: format_number(value, current_lang())
    app.jinja_env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}

    from webapp import (
        api,
        ecosystem,
        exports,
        facilities,
        funders,
        orgs,
        pages,
        people,
        stats,
        trail,
    )
    from webapp.openapi import document as openapi

    app.jinja_env.globals.update(person_url=people.person_url)

    app.register_blueprint(pages.bp)
    app.register_blueprint(facilities.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(ecosystem.bp)
    app.register_blueprint(funders.bp)
    app.register_blueprint(exports.bp)
    app.extensions["export_places"] = exports.ExportPlaces(int(app.config["EXPORTS_AT_ONCE"]))
    app.register_blueprint(orgs.bp)
    app.register_blueprint(people.bp)
    errors.register(app)
    trail.register(app)

    @app.before_request
    def refuse_oversized() -> None:
        environ = request.environ
        if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > (
            MAX_URL_BYTES
        ):
            abort(414, f"The address is longer than {MAX_URL_BYTES // 1024} KB.")
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            abort(413, "This site only answers GET requests; the request body is too large.")

    @app.before_request
    def strict_api() -> None:
        """The API and the downloads keep to the OpenAPI document (pages are lenient)."""
        if request.path.startswith("/api/") or request.path.endswith(DOWNLOADS):
            check_api_args(request.args)

    @app.before_request
    def choose_language() -> None:
        current_lang()  # sets g.lang, which every template reads

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        chosen = request.args.get("lang")
        if chosen in ("en", "sv") and request.cookies.get("lang") != chosen:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return app
