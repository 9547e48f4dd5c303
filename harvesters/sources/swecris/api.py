"""SweCRIS REST harvesting: page through ``/scp/search`` and fetch single projects.

Network only: every page is kept as a ``RawPayload`` (the request URL and the exact bytes) and
normalised later by ``harvesters.sources.swecris.normalise``. HTTP retries, timeouts and the retry
budget belong to ``harvesters.sources.http.HttpClient``; this module adds the paging rules of the
search endpoint:

* pages ``page=1,2,...`` of ``size`` rows until the rows collected equal the reported ``total``;
* a page that is not valid JSON is requested up to twice more, then the run fails;
* a ``total`` that changes mid-walk restarts the walk from page 1 once; a second change fails;
* an empty page before ``total`` is reached, a page with more than ``size`` rows, more rows than
  ``total``, or more than ``ceil(total / size) + 2`` pages all fail the run
  (``SourceProtocolError``): a harvest that is silently short must never be committed;
* HTTP 401/403 fail at once with a message saying where the rotating public token is published.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import quote, urlencode

from harvesters.core.config import SWECRIS_TOKEN_PAGE, Config
from harvesters.core.errors import AuthenticationError, ConfigError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.sources.http import HttpClient
from harvesters.sources.swecris.normalise import rows_from_json
from harvesters.store.database import RawPayload

log = logging.getLogger("research_index.swecris")

JSON = "application/json"
SEARCH_PATH = "/scp/search"
PROJECT_PATH = "/projects/"
JSON_ATTEMPTS = 3  # a page that is not valid JSON is requested this many times in all
WALKS = 2  # a total that moves restarts the walk once


class _TotalMoved(Exception):
    def __init__(self, page: int, first: int, now: int) -> None:
        super().__init__(f"page {page} reported total {now}, page 1 reported {first}")


def _headers(config: Config) -> dict[str, str]:
    return {"Authorization": f"Bearer {config.swecris_token}", "Accept": JSON}


def _token_refused(exc: AuthenticationError) -> AuthenticationError:
    status = getattr(exc, "status", None)
    code = f"HTTP {status}" if status else "HTTP 401/403"
    return AuthenticationError(
        f"SweCRIS refused the token ({code}). The public token rotates about once a year; "
        f"the current one is published at {SWECRIS_TOKEN_PAGE} — set SWECRIS_TOKEN or "
        f"[swecris] token in config.toml. ({exc})"
    )


def search_url(base_url: str, page: int, size: int, search: dict[str, Any] | None = None) -> str:
    """The ``/scp/search`` URL of one page; list values repeat the parameter (``year[]``)."""
    params: list[tuple[str, Any]] = list((search or {}).items())
    params += [("page", page), ("size", size)]
    return f"{base_url.rstrip('/')}{SEARCH_PATH}?{urlencode(params, doseq=True)}"


def fetch_search_pages(
    config: Config,
    client: HttpClient | None = None,
    progress: Progress | None = None,
    search: dict[str, Any] | None = None,
) -> list[RawPayload]:
    """Every page of a SweCRIS search (all projects when ``search`` is empty), one payload each.

    ``search`` holds extra query parameters such as ``searchText`` or ``year[]``; ``page`` and
    ``size`` are ours. Without ``client`` one is built from ``config`` and closed afterwards.
    Raises ``AuthenticationError``, ``SourceUnavailable`` or ``SourceProtocolError``.
    """
    if search and ({"page", "size"} & set(search)):
        raise ValueError("search must not set 'page' or 'size'; they are set by the walk")
    size = int(config.swecris_page_size)
    if size <= 0:
        raise ConfigError(f"SWECRIS_PAGE_SIZE / swecris.page_size must be positive, got {size}")
    own = client is None
    http = client if client is not None else HttpClient.from_config(config)
    try:
        for walk in range(1, WALKS + 1):
            try:
                return _walk(config, http, size, search, progress)
            except _TotalMoved as moved:
                if walk == WALKS:
                    raise SourceProtocolError(
                        f"SweCRIS total moved while paging, again after a restart ({moved}); "
                        "the data is changing under us, try the harvest later"
                    ) from None
                log.warning("SweCRIS total moved while paging (%s); restarting from page 1", moved)
                if progress is not None:
                    progress.done = 0
        raise AssertionError("unreachable")  # pragma: no cover
    except AuthenticationError as exc:
        raise _token_refused(exc) from exc
    finally:
        if own:
            http.close()


def _walk(
    config: Config,
    http: HttpClient,
    size: int,
    search: dict[str, Any] | None,
    progress: Progress | None,
) -> list[RawPayload]:
    payloads: list[RawPayload] = []
    collected = 0
    total: int | None = None
    max_pages = 1
    page = 1
    while True:
        url = search_url(config.swecris_base_url, page, size, search)
        body, rows, page_total = _fetch_page(http, url, page, _headers(config))
        if page_total is None:
            raise SourceProtocolError(f"SweCRIS page {page} has no 'total' ({url})")
        if total is None:
            total = page_total
            max_pages = math.ceil(total / size) + 2
            if progress is not None:
                progress.set_total(total)
        elif page_total != total:
            raise _TotalMoved(page, total, page_total)
        if len(rows) > size:
            raise SourceProtocolError(
                f"SweCRIS page {page} has {len(rows)} rows, more than the page size {size} ({url})"
            )
        if not rows and collected < total:
            raise SourceProtocolError(
                f"SweCRIS page {page} is empty after {collected} of {total} rows ({url}); "
                "the harvest would be short"
            )
        payloads.append(RawPayload(label=url, body=body, content_type=JSON))
        collected += len(rows)
        if progress is not None:
            progress.advance(len(rows))
        if collected == total:
            log.info("SweCRIS search: %d rows in %d pages", collected, len(payloads))
            return payloads
        if collected > total:
            raise SourceProtocolError(
                f"SweCRIS returned {collected} rows by page {page}, more than the total {total}"
            )
        page += 1
        if page > max_pages:
            raise SourceProtocolError(
                f"SweCRIS paging did not reach the total {total} within {max_pages} pages of "
                f"{size} (got {collected} rows); refusing to page on"
            )


def _fetch_page(
    http: HttpClient, url: str, page: int, headers: dict[str, str]
) -> tuple[bytes, list[dict[str, Any]], int | None]:
    """One page's bytes, rows and total; a page that is not JSON is asked for again."""
    last: SourceProtocolError | None = None
    for attempt in range(1, JSON_ATTEMPTS + 1):
        body = http.get(url, headers=headers).content
        try:
            rows, total = rows_from_json(body)
        except SourceProtocolError as exc:
            last = exc
            log.warning(
                "SweCRIS page %d attempt %d of %d: %s (%s)", page, attempt, JSON_ATTEMPTS, exc, url
            )
            continue
        return body, rows, total
    raise SourceProtocolError(
        f"SweCRIS page {page} was not usable JSON after {JSON_ATTEMPTS} attempts ({url}): {last}"
    )


def project_url(base_url: str, project_id: str) -> str:
    """The ``/projects/{id}`` URL; the id is encoded whole (ids such as ``107/08_SNSB``)."""
    return f"{base_url.rstrip('/')}{PROJECT_PATH}{quote(project_id, safe='')}"


def fetch_project(config: Config, project_id: str, client: HttpClient | None = None) -> RawPayload:
    """One project from ``/projects/{id}`` as a raw payload (404 raises ``HttpStatusError``)."""
    url = project_url(config.swecris_base_url, project_id)
    own = client is None
    http = client if client is not None else HttpClient.from_config(config)
    try:
        response = http.get(url, headers=_headers(config))
    except AuthenticationError as exc:
        raise _token_refused(exc) from exc
    finally:
        if own:
            http.close()
    return RawPayload(label=url, body=response.content, content_type=JSON)
