"""The search a visitor came from, kept along their way (every "back" link returns to it).

A search page gives the links it shows (to projects, facilities, organisations, funders and
people) a ``back`` parameter: its own query string. A page opened with one carries it on to
the detail pages it links to, and its "Back to search" link goes to ``/search`` with that
query. The parameter is read as a search's known parameters only (``params.state``), so it
can never send anyone off the site or smuggle anything into a page; the language is left
out (the visitor's choice, kept by its cookie, holds on the way back).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from flask import Flask, g, request
from werkzeug.datastructures import MultiDict

from indexer.service import InvalidRequest
from webapp.params import request_from_args, state

MAX_BACK = 4000  # characters of a kept search (a URL keeps to 16 KB in all)


def keep(pairs: list[tuple[str, str]]) -> None:
    """Links made for this response carry the search ``pairs`` (the search page's own)."""
    g.back = urlencode(_kept(pairs))
    g.searching = True


def along(url: str) -> str:
    """``url``, a link to this same page (another language, another page of its list),
    still carrying the search it came from; a search page's own links need none."""
    return url if g.get("searching") else with_back(url)


def with_back(url: str) -> str:
    """``url`` with the kept search added (a Jinja filter: ``href="{{ link|back }}"``)."""
    kept = g.get("back")
    if not kept:
        return url
    return f"{url}{'&' if '?' in url else '?'}back={quote(kept, safe='')}"


def back_url(default: str = "/search") -> str:
    """Where "Back to search" goes: the kept search, or ``default``."""
    kept = g.get("back")
    return f"/search?{kept}" if kept else default


def _readable(raw: str, app: Flask) -> str:
    """``raw`` as a kept search: its known parameters, or nothing when the search they make
    would be refused (a 400 is no way back)."""
    if not raw:
        return ""
    args = MultiDict(parse_qsl(raw))
    try:
        request_from_args(args, "en", app.config["PAGE_SIZE"], app.config["MAX_QUERY_CHARS"])
    except InvalidRequest:
        return ""
    return urlencode(_kept(state(args)))


def _kept(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A search as kept: without its language (the page returned to is in the language the
    visitor chose since, which the cookie keeps)."""
    return [(k, v) for k, v in pairs if k != "lang"]


def register(app: Flask) -> None:
    @app.before_request
    def read_back() -> None:
        g.back = _readable(request.args.get("back", "")[:MAX_BACK], app)

    app.jinja_env.filters["back"] = with_back
    app.jinja_env.filters["along"] = along
    app.jinja_env.globals.update(back_url=back_url)
