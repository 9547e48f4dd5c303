"""OAI-PMH 2.0 responses as data: the safe lxml parser and the parsed shapes (no network).

``parse_xml`` is the only way an OAI-PMH response is parsed in this project. Its lxml parser
expands no entities, loads no DTD, never touches the network, accepts huge text nodes
(``huge_tree``: a 12 MB abstract is legal) and does not ``recover``: a body that is not
well-formed raises ``MalformedResponse`` naming the URL and the lxml error instead of silently
losing the rest of the page (and its resumptionToken). A document that still contains an
entity reference (declared in a DOCTYPE, e.g. ``SYSTEM "file:///etc/passwd"``) is refused as a
``SourceProtocolError``: OAI-PMH needs no DTD, and an unexpanded ``&x;`` would only break the
metadata parser later. libxml2 itself rejects entity amplification (billion laughs).

The rest turns elements into frozen dataclasses: ``Identify``, ``MetadataFormat``, ``OAISet``,
``OAIHeader``, ``OAIRecord`` (``metadata_xml`` is the serialized first element child of
``<metadata>``, self-contained with its namespace declarations; None for a deleted record) and
``Page``. ``choose_prefix`` picks the OpenAIRE CERIF format out of ListMetadataFormats;
``format_datestamp`` and ``next_from`` write ``from`` values in the repository's granularity.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from lxml import etree

from harvesters.core.errors import SourceProtocolError
from harvesters.sources.oai.errors import oai_error
from harvesters.store.database import RawPayload

log = logging.getLogger("research_index.oai")

NS = "http://www.openarchives.org/OAI/2.0/"
XML = "application/xml"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
CERIF_PREFIX_START = "oai_cerif_openaire"
CERIF_NAMESPACES = (
    "https://www.openaire.eu/cerif-profile/1.2/",
    "https://www.openaire.eu/cerif-profile/1.1/",
)
_EXCERPT = 120
DEFAULT_OVERLAP = timedelta(seconds=120)

T = TypeVar("T")


class MalformedResponse(SourceProtocolError):
    """The body is not well-formed XML (a broken or truncated page)."""

    def __init__(self, url: str, detail: str, excerpt: str) -> None:
        super().__init__(f"{url}: the response is not well-formed XML ({detail}); starts {excerpt}")
        self.url = url
        self.detail = detail


@dataclass(frozen=True)
class Identify:
    repository_name: str
    base_url: str
    protocol_version: str
    earliest_datestamp: str
    deleted_record: str  # "no", "transient" or "persistent" (lower-cased as sent)
    granularity: str  # DAY or SECONDS
    admin_emails: tuple[str, ...]
    response_date: str
    payload: RawPayload


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str


@dataclass(frozen=True)
class OAISet:
    spec: str
    name: str


@dataclass(frozen=True)
class OAIHeader:
    identifier: str  # "" when the header had none: the caller counts it as a failed record
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]
    page: str  # label (request URL) of the raw page it came in


@dataclass(frozen=True)
class OAIRecord(OAIHeader):
    metadata_xml: bytes | None = None  # None when deleted (or when the record had no metadata)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One response of a list request: its raw payload, its items, and where the list goes."""

    payload: RawPayload
    items: tuple[T, ...]
    token: str | None  # None: the list ends here
    complete_list_size: int | None
    response_date: str
    number: int  # 1-based, within the current pass of the walk


def q(tag: str) -> str:
    """``tag`` in the OAI-PMH namespace."""
    return f"{{{NS}}}{tag}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        recover=False,
    )


def parse_xml(body: bytes, url: str) -> Any:
    """The root element of ``body``; ``MalformedResponse`` if it is not well-formed XML."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        excerpt = " ".join(body[:_EXCERPT].decode("utf-8", "replace").split())
        raise MalformedResponse(url, str(exc), repr(excerpt or "(empty body)")) from exc
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        raise SourceProtocolError(
            f"{url}: the response uses the XML entity {entity.text} declared in a DOCTYPE; "
            "refused (entities are never expanded)"
        )
    return root


def text_of(element: Any, tag: str) -> str:
    """The stripped text of the first OAI child ``tag`` of ``element``, or ``""``."""
    child = element.find(q(tag))
    return (child.text or "").strip() if child is not None else ""


def verb_element(root: Any, verb: str, url: str) -> Any:
    """The ``<verb>`` element of an OAI-PMH response; its ``<error>`` raised as an OAIError."""
    if root.tag != q("OAI-PMH"):
        raise SourceProtocolError(
            f"{url}: not an OAI-PMH 2.0 response (root element {etree.QName(root).text})"
        )
    errors = root.findall(q("error"))
    if errors:
        message = "; ".join(" ".join((e.text or "").split()) for e in errors if e.text)
        raise oai_error(errors[0].get("code"), message, url)
    element = root.find(q(verb))
    if element is None:
        raise SourceProtocolError(f"{url}: the OAI-PMH response has no <{verb}> element")
    return element


def resumption(element: Any) -> tuple[str | None, int | None]:
    """(token or None when the list ends, completeListSize or None) of a list element."""
    token_el = element.find(q("resumptionToken"))
    if token_el is None:
        return None, None
    token = (token_el.text or "").strip() or None
    size_text = (token_el.get("completeListSize") or "").strip()
    size = int(size_text) if size_text.isdigit() else None
    return token, size


def normalise_granularity(value: str) -> str:
    """DAY or SECONDS from what Identify says (case and spelling forgiven; missing → DAY)."""
    text = value.strip()
    if text in (DAY, SECONDS):
        return text
    result = SECONDS if "hh" in text.lower() else DAY
    log.warning("non-standard OAI-PMH granularity %r; using %s", value, result)
    return result


def parse_identify(element: Any, response_date: str, payload: RawPayload) -> Identify:
    return Identify(
        repository_name=text_of(element, "repositoryName"),
        base_url=text_of(element, "baseURL"),
        protocol_version=text_of(element, "protocolVersion"),
        earliest_datestamp=text_of(element, "earliestDatestamp"),
        deleted_record=text_of(element, "deletedRecord").lower(),
        granularity=normalise_granularity(text_of(element, "granularity")),
        admin_emails=tuple(
            (e.text or "").strip() for e in element.findall(q("adminEmail")) if e.text
        ),
        response_date=response_date,
        payload=payload,
    )


def parse_metadata_formats(element: Any) -> list[MetadataFormat]:
    return [
        MetadataFormat(
            text_of(fmt, "metadataPrefix"),
            text_of(fmt, "schema"),
            text_of(fmt, "metadataNamespace"),
        )
        for fmt in element.findall(q("metadataFormat"))
    ]


def parse_set(element: Any, page: str) -> OAISet:
    return OAISet(text_of(element, "setSpec"), text_of(element, "setName"))


def parse_header(element: Any, page: str) -> OAIHeader:
    identifier = text_of(element, "identifier")
    if not identifier:  # seen in the wild (Sickle's ListRecords4.xml): kept, so it is counted
        log.warning("%s: a record header has no <identifier>; passed on with identifier ''", page)
    return OAIHeader(
        identifier=identifier,
        datestamp=text_of(element, "datestamp"),
        deleted=element.get("status") == "deleted",
        sets=tuple((s.text or "").strip() for s in element.findall(q("setSpec")) if s.text),
        page=page,
    )


def parse_record(element: Any, page: str) -> OAIRecord:
    header_el = element.find(q("header"))
    if header_el is None:
        raise SourceProtocolError(f"{page}: a <record> has no <header>")
    header = parse_header(header_el, page)
    metadata: bytes | None = None
    metadata_el = element.find(q("metadata"))
    if not header.deleted and metadata_el is not None:
        child = next(metadata_el.iterchildren(tag=etree.Element), None)
        if child is not None:
            metadata = etree.tostring(
                child, encoding="utf-8", xml_declaration=False, with_tail=False
            )
    return OAIRecord(
        header.identifier, header.datestamp, header.deleted, header.sets, page, metadata
    )


def _ns_key(namespace: str) -> str:
    return namespace.strip().rstrip("/").lower()


def choose_prefix(
    formats: Iterable[MetadataFormat],
    wanted_prefix_start: str = CERIF_PREFIX_START,
    namespaces: Sequence[str] = CERIF_NAMESPACES,
) -> str | None:
    """The metadataPrefix to harvest, or None when the repository offers no such format.

    A prefix that starts with ``wanted_prefix_start`` wins (among several, the one whose
    namespace comes first in ``namespaces``, then the first listed); failing that, the first
    format whose namespace is in ``namespaces`` (in that order of preference), whatever its
    prefix is called. Namespaces compare without a trailing slash, case-insensitively.
    """
    formats = list(formats)
    rank = {_ns_key(ns): i for i, ns in enumerate(namespaces)}
    by_start = [f for f in formats if f.prefix.startswith(wanted_prefix_start)]
    if by_start:
        best = min(by_start, key=lambda f: rank.get(_ns_key(f.namespace), len(rank)))
        return best.prefix
    by_namespace = [f for f in formats if _ns_key(f.namespace) in rank]
    if by_namespace:
        return min(by_namespace, key=lambda f: rank[_ns_key(f.namespace)]).prefix
    return None


def format_datestamp(when: datetime, granularity: str) -> str:
    """``when`` as an OAI datestamp in ``granularity`` (UTC; a naive datetime counts as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    if granularity == SECONDS:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if granularity != DAY:
        raise ValueError(f"unknown OAI-PMH granularity {granularity!r}")
    return when.strftime("%Y-%m-%d")


def next_from(
    last_success_start: datetime | str | None,
    granularity: str,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> str | None:
    """The ``from`` of the next incremental harvest, or None (no success yet: harvest it all).

    It is the start of the last successful harvest minus ``overlap`` (clock skew, records
    committed while that harvest ran), truncated to the server's granularity; an ISO string
    such as ``2024-05-01T10:00:00Z`` is accepted too.
    """
    if last_success_start is None or last_success_start == "":
        return None
    if isinstance(last_success_start, str):
        last_success_start = datetime.fromisoformat(last_success_start.strip())
    return format_datestamp(last_success_start - overlap, granularity)
