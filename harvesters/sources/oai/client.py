"""An OAI-PMH 2.0 client on ``HttpClient`` and lxml: the protocol, not the metadata format.

Owns the six verbs and the rules for walking a list safely (reliability.md H1-H3, H6-H11):

* every response is parsed by ``harvesters.sources.oai.responses`` (no entity expansion, no DTD or
network
  access, ``huge_tree``, ``recover=False``); a page that is not well-formed XML is fetched once
  more, then fails loudly (``MalformedResponse``: the URL and the lxml error), never truncated;
  a page that is well-formed but for some of its records is read without them
  (``harvesters.sources.oai.salvage``: the caller quarantines them when it parses the stored page);
* an ``<error>`` becomes the exception of its code (``harvesters.sources.oai.errors``), except
  ``noRecordsMatch`` on the first page of a list, which is an empty, successful list, and
  ``noSetHierarchy`` from ListSets, which is an empty set list;
* resumption tokens are stripped and sent alone with ``verb`` (requests URL-encodes them once);
  an empty or missing ``<resumptionToken>`` ends the list; a token seen before in the same pass
  stops the walk (``SourceProtocolError``); pages with no records but a token are followed, at
  most ``max_empty_pages`` in a row, and a walk never exceeds ``max_pages`` requests;
* ``badResumptionToken`` after the first page restarts the list with the same arguments, at most
  ``restarts`` times, then fails. **Records already yielded are yielded again on a restart**: the
  caller must dedupe by identifier (last one wins);
* ``completeListSize``, when sent, is compared with the records of the final pass; a mismatch is
  logged and left on ``ListWalk.size_mismatch`` for the caller to judge;
* an item that comes twice in one pass, or a ``completeListSize`` that moves between its pages,
  means the list shifted under the walk (a record changed while it was paged, and the server
  orders by datestamp): ``ListWalk.drift`` says so, and the caller walks the list again.

Each page is yielded with its ``RawPayload`` (request URL and exact bytes) so the caller can keep
it. HTTP retries, ``Retry-After``, timeouts and the retry budget belong to ``HttpClient``.
``format_datestamp`` and ``next_from`` (from ``harvesters.sources.oai.responses``) build ``from``
values in the server's granularity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from harvesters.core.errors import SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.sources.http import HttpClient
from harvesters.sources.oai.errors import BadResumptionToken, NoRecordsMatch, NoSetHierarchy
from harvesters.sources.oai.responses import (
    CERIF_NAMESPACES,
    CERIF_PREFIX_START,
    DAY,
    SECONDS,
    XML,
    Identify,
    MalformedResponse,
    MetadataFormat,
    OAIHeader,
    OAIRecord,
    OAISet,
    Page,
    choose_prefix,
    format_datestamp,
    next_from,
    parse_header,
    parse_identify,
    parse_metadata_formats,
    parse_record,
    parse_set,
    q,
    resumption,
    text_of,
    verb_element,
)
from harvesters.sources.oai.salvage import parse_page
from harvesters.store.database import RawPayload

__all__ = [
    "CERIF_NAMESPACES",
    "CERIF_PREFIX_START",
    "DAY",
    "SECONDS",
    "Identify",
    "ListWalk",
    "MalformedResponse",
    "MetadataFormat",
    "OAIClient",
    "OAIHeader",
    "OAIRecord",
    "OAISet",
    "Page",
    "choose_prefix",
    "format_datestamp",
    "next_from",
]

log = logging.getLogger("research_index.oai")

XML_ATTEMPTS = 2  # a page that is not well-formed XML is requested this many times in all

T = TypeVar("T")
DateArg = str | datetime | None


class _Expired(Exception):
    """Internal: badResumptionToken after the first page, i.e. the list must be restarted."""

    def __init__(self, error: BadResumptionToken) -> None:
        super().__init__(str(error))
        self.error = error


class ListWalk(Generic[T]):
    """One list request (ListRecords, ListIdentifiers, ListSets) followed to its end.

    Iterate once to get the ``Page``s. Afterwards: ``count`` (items of the final pass),
    ``yielded`` (all items yielded, re-yields after a restart included), ``pages``,
    ``restarts``, ``complete_list_size`` (the last one the server sent), ``size_mismatch``
    (None, or why ``count`` differs from ``complete_list_size``), ``response_date`` (of the
    first response: the safe base for the next incremental ``from``) and ``finished``.
    """

    def __init__(
        self,
        client: OAIClient,
        verb: str,
        params: dict[str, str],
        item_tag: str,
        parse_item: Callable[[Any, str], T],
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.verb = verb
        self.params = {"verb": verb, **params}
        self.item_tag = item_tag
        self.parse_item = parse_item
        self.progress = progress
        self.count = 0
        self.yielded = 0
        self.pages = 0
        self.restarts = 0
        self.complete_list_size: int | None = None
        self.size_mismatch: str | None = None
        self.repeated: list[str] = []  # identifiers that came twice in the final pass
        self.sizes: set[int] = set()  # the completeListSizes of the final pass
        self.response_date: str | None = None
        self.finished = False
        self._started = False

    def __iter__(self) -> Iterator[Page[T]]:
        if self._started:
            raise RuntimeError("a ListWalk can be iterated only once; start a new one")
        self._started = True
        return self._run()

    def items(self) -> Iterator[T]:
        """The items of every page, in order (re-yielded after a restart)."""
        for page in self:
            yield from page.items

    def _run(self) -> Iterator[Page[T]]:
        while True:
            try:
                yield from self._pass()
                break
            except _Expired as expired:
                error = expired.error
                if self.restarts >= self.client.restarts:
                    raise BadResumptionToken(
                        f"{error.oai_message or 'token refused'} "
                        f"(the list was already restarted {self.restarts} time(s))",
                        code=error.code,
                        url=error.url,
                    ) from error
                self.restarts += 1
                log.warning(
                    "%s: resumptionToken refused (%s); restarting the list from its first page "
                    "(restart %d of %d; records already yielded come again)",
                    error.url,
                    error.oai_message or error.code,
                    self.restarts,
                    self.client.restarts,
                )
        self._finish()

    def _pass(self) -> Iterator[Page[T]]:
        client = self.client
        params = dict(self.params)
        seen: set[str] = set()
        identifiers: set[str] = set()
        empty_run = 0
        number = 0
        self.count = 0
        self.repeated, self.sizes = [], set()
        while True:
            if self.pages >= client.max_pages:
                raise SourceProtocolError(
                    f"{client.base_url}: {self.verb} did not end within {client.max_pages} "
                    "pages; stopped"
                )
            number += 1
            sent_token = params.get("resumptionToken")
            try:
                page = client._page(self.verb, params, self.item_tag, self.parse_item, number)
            except NoRecordsMatch as exc:
                if sent_token is not None:
                    log.warning("%s: noRecordsMatch after a resumptionToken; list ends", exc.url)
                return
            except BadResumptionToken as exc:
                if sent_token is None:
                    raise
                raise _Expired(exc) from exc
            self.pages += 1
            if self.response_date is None:
                self.response_date = page.response_date
            if page.complete_list_size is not None:
                self.complete_list_size = page.complete_list_size
                self.sizes.add(page.complete_list_size)
            for item in page.items:
                identifier = getattr(item, "identifier", None)
                if identifier and identifier in identifiers:
                    self.repeated.append(identifier)
                elif identifier:
                    identifiers.add(identifier)
            self.count += len(page.items)
            self.yielded += len(page.items)
            if self.progress is not None:
                self.progress.set_total(self.complete_list_size)
                self.progress.advance(len(page.items))
            yield page
            if page.token is None:
                return
            if page.token in seen:
                raise SourceProtocolError(
                    f"{page.payload.label}: the repository sent the resumptionToken "
                    f"{page.token!r} again; stopping instead of looping"
                )
            seen.add(page.token)
            empty_run = 0 if page.items else empty_run + 1
            if empty_run > client.max_empty_pages:
                raise SourceProtocolError(
                    f"{page.payload.label}: {empty_run} pages in a row had no "
                    f"{self.item_tag} but a resumptionToken (limit {client.max_empty_pages})"
                )
            params = {"verb": self.verb, "resumptionToken": page.token}

    @property
    def drift(self) -> str | None:
        """Why the list seems to have shifted while it was walked (an item came twice, or the
        announced size moved): records may have been skipped. None when it held still."""
        if self.repeated:
            shown = ", ".join(self.repeated[:3])
            return f"{len(self.repeated)} item(s) came twice in one walk ({shown})"
        if len(self.sizes) > 1:
            sizes = ", ".join(map(str, sorted(self.sizes)))
            return f"completeListSize moved during the walk ({sizes})"
        return None

    def _finish(self) -> None:
        self.finished = True
        size = self.complete_list_size
        if size is not None and size != self.count:
            self.size_mismatch = (
                f"{self.client.base_url}: {self.verb} announced completeListSize={size} "
                f"but {self.count} item(s) came"
            )
            log.warning("%s", self.size_mismatch)


class OAIClient:
    """An OAI-PMH 2.0 client for one repository (``base_url``). Not thread-safe."""

    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        *,
        max_empty_pages: int = 20,
        max_pages: int = 100_000,
        restarts: int = 2,
    ) -> None:
        self.base_url = base_url
        self.http = http
        self.max_empty_pages = max_empty_pages
        self.max_pages = max_pages
        self.restarts = restarts
        self.granularity: str | None = None  # learnt from identify()

    # -- single requests ------------------------------------------------------------------------

    def identify(self) -> Identify:
        """The repository's Identify answer; also remembers its granularity."""
        payload, root, element = self._request("Identify", {"verb": "Identify"})
        info = parse_identify(element, text_of(root, "responseDate"), payload)
        self.granularity = info.granularity
        return info

    def list_metadata_formats(self, identifier: str | None = None) -> list[MetadataFormat]:
        """The formats the repository (or one item) can disseminate."""
        params = {"verb": "ListMetadataFormats"}
        if identifier:
            params["identifier"] = identifier
        _, _, element = self._request("ListMetadataFormats", params)
        return parse_metadata_formats(element)

    def get_record(self, identifier: str, prefix: str) -> OAIRecord:
        """One record (possibly deleted); ``IdDoesNotExist`` when unknown."""
        params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": prefix}
        payload, _, element = self._request("GetRecord", params)
        record = element.find(q("record"))
        if record is None:
            raise SourceProtocolError(f"{payload.label}: GetRecord answered without a <record>")
        return parse_record(record, payload.label)

    # -- lists ----------------------------------------------------------------------------------

    def list_sets(self) -> list[OAISet]:
        """Every set (all pages); a repository without sets gives an empty list."""
        walk = ListWalk(self, "ListSets", {}, "set", parse_set)
        try:
            return list(walk.items())
        except NoSetHierarchy:
            return []

    def list_record_pages(
        self,
        prefix: str,
        set_spec: str | None = None,
        from_: DateArg = None,
        until: DateArg = None,
        progress: Progress | None = None,
    ) -> ListWalk[OAIRecord]:
        """ListRecords as pages, each with its ``RawPayload``; see the module docstring."""
        params = self._list_params(prefix, set_spec, from_, until)
        return ListWalk(self, "ListRecords", params, "record", parse_record, progress)

    def list_records(
        self,
        prefix: str,
        set_spec: str | None = None,
        from_: DateArg = None,
        until: DateArg = None,
    ) -> Iterator[OAIRecord]:
        """ListRecords as records; re-yields after a restart (dedupe by identifier)."""
        return self.list_record_pages(prefix, set_spec, from_, until).items()

    def list_identifier_pages(
        self,
        prefix: str,
        set_spec: str | None = None,
        from_: DateArg = None,
        until: DateArg = None,
        progress: Progress | None = None,
    ) -> ListWalk[OAIHeader]:
        """ListIdentifiers as pages (headers only: the cheap way to reconcile deletions)."""
        params = self._list_params(prefix, set_spec, from_, until)
        return ListWalk(self, "ListIdentifiers", params, "header", parse_header, progress)

    def list_identifiers(
        self,
        prefix: str,
        set_spec: str | None = None,
        from_: DateArg = None,
        until: DateArg = None,
    ) -> Iterator[OAIHeader]:
        """ListIdentifiers as headers; re-yields after a restart (dedupe by identifier)."""
        return self.list_identifier_pages(prefix, set_spec, from_, until).items()

    # -- plumbing -------------------------------------------------------------------------------

    def _list_params(
        self, prefix: str, set_spec: str | None, from_: DateArg, until: DateArg
    ) -> dict[str, str]:
        params = {"metadataPrefix": prefix}
        if set_spec:
            params["set"] = set_spec
        for name, value in (("from", from_), ("until", until)):
            if isinstance(value, datetime):
                value = format_datestamp(value, self.granularity or self.identify().granularity)
            if value:
                params[name] = value
        return params

    def _page(
        self,
        verb: str,
        params: dict[str, str],
        item_tag: str,
        parse_item: Callable[[Any, str], T],
        number: int,
    ) -> Page[T]:
        payload, root, element = self._request(verb, params)
        items = tuple(parse_item(el, payload.label) for el in element.iterchildren(q(item_tag)))
        token, size = resumption(element)
        return Page(payload, items, token, size, text_of(root, "responseDate"), number)

    def _request(self, verb: str, params: dict[str, str]) -> tuple[RawPayload, Any, Any]:
        """GET, parse, raise the OAI error if any; the payload, the root and the verb element."""
        attempt = 1
        while True:
            response = self.http.get(self.base_url, params=params)
            url, body = response.url, response.content
            try:
                root, _broken = parse_page(body, url)
            except MalformedResponse as exc:
                if attempt >= XML_ATTEMPTS:
                    raise
                attempt += 1
                log.warning("%s; requesting the page again", exc)
                continue
            payload = RawPayload(label=url, body=body, content_type=XML)
            return payload, root, verb_element(root, verb, url)
