"""An OAI-PMH repository made with a server someone else wrote: the ``oaipmh`` package.

``OaipmhServer`` serves the OpenAIRE CERIF samples (the records of
``tests.fakes.oai_repository.load_cerif_records``) through ``oaipmh.server.Server``, the
protocol implementation of the ``oaipmh`` package on PyPI (a maintained fork of pyoai), on a
real HTTP server on 127.0.0.1: its own Identify, argument checks, resumption tokens (pages of
``page_size``), error responses and XML writing. What this project supplies is only the data:
the records, which a test may change (``touch``, ``delete``) between harvests. So the
harvester is tested against a server this project did not write.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from oaipmh import common, error, metadata, server

from tests.fakes.oai_repository import SETS, FakeRecord, load_cerif_records

PREFIX = "oai_cerif_openaire_v1_2"
CERIF_NS = "https://www.openaire.eu/cerif-profile/1.2/"
SCHEMA = "https://www.openaire.eu/schema/cris/current/openaire-cerif-profile.xsd"


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


class _Data:
    """The ``IOAI`` interface of ``oaipmh.interfaces``, over the sample records."""

    def __init__(self, records: list[FakeRecord], base_url: str) -> None:
        self.records = records
        self.base_url = base_url
        self.lock = threading.RLock()

    def identify(self) -> common.Identify:
        return common.Identify(
            repositoryName="CERIF samples served by the oaipmh package",
            baseURL=self.base_url,
            protocolVersion="2.0",
            adminEmails=["nobody@example.org"],
            earliestDatestamp=datetime(2000, 1, 1),
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
        return [(PREFIX, SCHEMA, CERIF_NS)]

    def listSets(self) -> list[tuple[str, str, None]]:  # noqa: N802
        return [(spec, spec, None) for spec in SETS]

    def _header(self, r: FakeRecord) -> common.Header:
        specs = [r.set_spec] if r.set_spec else []
        return common.Header(None, r.identifier, _stamp(r.datestamp), specs, r.deleted)

    def _matching(
        self,
        metadataPrefix: str,
        set: str | None,
        from_: datetime | None,
        until: datetime | None,  # noqa: A002, N803
    ) -> list[FakeRecord]:
        if metadataPrefix != PREFIX:
            raise error.CannotDisseminateFormatError(metadataPrefix)
        with self.lock:
            found = [
                r
                for r in self.records
                if (set is None or r.set_spec == set)
                and (from_ is None or _stamp(r.datestamp) >= from_)
                and (until is None or _stamp(r.datestamp) <= until)
            ]
        if not found:
            raise error.NoRecordsMatchError("nothing matches")
        return found

    def listIdentifiers(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[common.Header]:  # noqa: A002, N802, N803, E501
        return [self._header(r) for r in self._matching(metadataPrefix, set, from_, until)]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[Any, Any, None]]:  # noqa: A002, N802, N803, E501
        return [
            (self._header(r), None if r.deleted else r.metadata, None)
            for r in self._matching(metadataPrefix, set, from_, until)
        ]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:  # noqa: N802, N803
        with self.lock:
            found = next((r for r in self.records if r.identifier == identifier), None)
        if found is None:
            raise error.IdDoesNotExistError(identifier)
        return self._header(found), None if found.deleted else found.metadata, None


def _write(element: Any, xml: str) -> None:
    """The metadata writer: the record's CERIF element, as the sample has it."""
    element.append(etree.fromstring(xml))


class OaipmhServer:
    """The samples behind ``oaipmh.server.Server`` on 127.0.0.1; a context manager."""

    def __init__(self, data_dir: Path, page_size: int = 2) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        self.data = _Data(load_cerif_records(Path(data_dir) / "openaire-cerif"), self.base_url)
        registry = metadata.MetadataRegistry()
        registry.registerWriter(PREFIX, _write)
        self.oai = server.Server(self.data, registry, resumption_batch_size=page_size)
        self.httpd.oai = self.oai  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def record(self, identifier: str) -> FakeRecord:
        return next(r for r in self.data.records if r.identifier == identifier)

    def touch(self, identifier: str, metadata_xml: str) -> None:
        with self.data.lock:
            rec = self.record(identifier)
            rec.metadata, rec.datestamp = metadata_xml, _now()

    def delete(self, identifier: str) -> None:
        with self.data.lock:
            rec = self.record(identifier)
            rec.deleted, rec.metadata, rec.datestamp = True, None, _now()

    def __enter__(self) -> OaipmhServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        body = self.server.oai.handleRequest(query)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return
