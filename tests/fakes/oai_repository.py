"""The data side of the fake OAI-PMH repository (``tests.fakes.oai_server``): what it answers.

``Repository`` holds the records and the issued resumption tokens and turns a parsed query into
the exact bytes of a 200 answer (OAI errors included), in one of two modes:

``sickle``  the files of ``oai-pmh-fixtures/`` as they are: Identify, ListMetadataFormats,
            ListSets, GetRecord, ListRecords (token = the next file: ListRecords.xml → ... →
            ListRecords4.xml) and ListIdentifiers (ListIdentifiers.xml → ListIdentifiers2.xml).
            A token is a file name, optionally followed by ``#anything``. from/until are ignored.
``cerif``   the OpenAIRE v1.2 samples of ``openaire-cerif/``: Identify, ListMetadataFormats and
            ListSets from the ``openaire_oaipmh_example_*`` files (granularity, deletedRecord and
            formats can be overridden), and the ``<record>``s of each
            ``openaire_cerif_xml_example_*.xml`` (ListRecords-style responses) as the members of
            one set (``openaire_cris_projects`` → projects, ``_funding`` → fundings, ...; the
            header setSpec is normalised to that set, the samples being inconsistent about it).
            Lists are cut into pages of ``page_size`` with generated tokens that carry
            ``& = %3D + /`` and surrounding whitespace; from/until filter on datestamps;
            ``touch``/``delete``/``remove``/``add`` change the records at runtime, and
            ``while_paging`` holds edits made before a list's next page (one per page);
            ``by_datestamp`` orders lists by datestamp, so a record changed during a walk
            moves to its end and shifts the rest, as on many live servers; every page of a
            set in ``broken_sets`` answers HTTP 500 (a record it cannot serialise);
            ``expire_tokens`` makes every issued token answer badResumptionToken.

Arguments are checked as a live repository does: badVerb; badArgument for unknown, repeated or
missing arguments, a resumptionToken that is not alone, bad or mixed-granularity dates;
cannotDisseminateFormat; idDoesNotExist; noRecordsMatch when nothing matches.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

NS = "http://www.openarchives.org/OAI/2.0/"
DAY, SECONDS = "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"
SETS = {
    f"openaire_cris_{name}": f"openaire_cerif_xml_example_{file}.xml"
    for name, file in [
        ("projects", "projects"),
        ("funding", "fundings"),
        ("orgunits", "orgunits"),
        ("persons", "persons"),
        ("equipments", "equipments"),
        ("publications", "publications"),
        ("products", "products"),
        ("patents", "patents"),
        ("events", "events"),
    ]
}
ARGS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
_DOCTYPES = {
    "xxe": '<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "lol": '<!DOCTYPE OAI-PMH [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>",
}
_ENTITY_REF = {"xxe": "&xxe;", "lol": "&lol9;"}


@dataclass
class FakeRecord:
    identifier: str
    datestamp: str
    set_spec: str
    metadata: str | None  # the serialized metadata element; None when deleted
    deleted: bool = False


class OAIProblem(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code, self.message = code, message


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_cerif_records(folder: Path) -> list[FakeRecord]:
    """The ``<record>``s of the OpenAIRE samples, each a member of the set of its file."""
    records: list[FakeRecord] = []
    for set_spec, name in SETS.items():
        root = etree.parse(str(folder / name)).getroot()
        for rec in root.iter(f"{{{NS}}}record"):
            header = rec.find(f"{{{NS}}}header")
            meta = rec.find(f"{{{NS}}}metadata")
            child = None if meta is None else next(meta.iterchildren(tag=etree.Element), None)
            records.append(
                FakeRecord(
                    identifier=(header.findtext(f"{{{NS}}}identifier") or "").strip(),
                    datestamp=(header.findtext(f"{{{NS}}}datestamp") or "").strip(),
                    set_spec=set_spec,
                    metadata=None
                    if child is None
                    else etree.tostring(child, encoding="unicode", with_tail=False),
                    deleted=header.get("status") == "deleted",
                )
            )
    return records


class Repository:
    """The records, tokens and answers of the fake repository (thread-safe)."""

    def __init__(
        self,
        data_dir: Path,
        mode: str = "cerif",
        *,
        page_size: int = 3,
        granularity: str | None = None,
        deleted_record: str | None = None,
        formats: list[tuple[str, str, str]] | None = None,
        by_datestamp: bool = False,
    ) -> None:
        if mode not in ("sickle", "cerif"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.fixtures = Path(data_dir) / "oai-pmh-fixtures"
        self.cerif_dir = Path(data_dir) / "openaire-cerif"
        self.page_size = page_size
        self.granularity = granularity
        self.deleted_record = deleted_record
        self.formats = formats
        self.by_datestamp = by_datestamp  # lists in datestamp order, as many servers keep them
        self.while_paging: list[Callable[[], None]] = []  # edits made before a list's next page
        self.broken_sets: set[str] = set()  # sets whose every list page answers HTTP 500
        self.base_url = "http://127.0.0.1/oai"  # the server sets the real one
        self.records = load_cerif_records(self.cerif_dir) if mode == "cerif" else []
        self._tokens: dict[str, tuple[str, dict[str, str], int]] = {}
        self._serial = itertools.count(1)
        self._lock = threading.RLock()

    def expire_tokens(self) -> None:
        """Forget every issued token, as a server does when they expire."""
        with self._lock:
            self._tokens.clear()

    def record(self, identifier: str) -> FakeRecord:
        with self._lock:
            return next(r for r in self.records if r.identifier == identifier)

    def touch(
        self, identifier: str, metadata: str | None = None, datestamp: str | None = None
    ) -> None:
        """A change at the source: a new datestamp (default now) and optionally new metadata."""
        with self._lock:
            rec = self.record(identifier)
            rec.datestamp = datestamp or _now()
            if metadata is not None:
                rec.metadata, rec.deleted = metadata, False

    def delete(self, identifier: str, datestamp: str | None = None, keep_set: bool = True) -> None:
        """A deletion the repository reports (``<header status="deleted">``); without
        ``keep_set`` its header names no set, as some servers write them."""
        with self._lock:
            rec = self.record(identifier)
            rec.deleted, rec.metadata, rec.datestamp = True, None, datestamp or _now()
            if not keep_set:
                rec.set_spec = ""

    def remove(self, identifier: str) -> None:
        """A deletion the repository does not report (deletedRecord "no"): the record vanishes."""
        with self._lock:
            self.records.remove(self.record(identifier))

    def add(self, record: FakeRecord) -> None:
        with self._lock:
            self.records.append(record)

    def set_of(self, query: dict[str, list[str]]) -> str | None:
        """The set a list request walks (its own, or its resumption token's)."""
        with self._lock:
            tokens = query.get("resumptionToken")
            if tokens:
                state = self._tokens.get(tokens[0])
                return state[1].get("set") if state else None
            return next(iter(query.get("set") or []), None)

    def page_of(self, verb: str | None, query: dict[str, list[str]]) -> int | None:
        if verb not in ("ListRecords", "ListIdentifiers"):
            return None
        tokens = query.get("resumptionToken")
        if not tokens:
            return 1
        token = tokens[0]
        if self.mode == "sickle":
            match = re.match(r"List\w+?(\d*)\.xml", token)
            return int(match.group(1) or 1) if match else None
        state = self._tokens.get(token)
        return None if state is None else state[2] // self.page_size + 1

    def answer(self, query: dict[str, list[str]], fault: str) -> bytes:
        """The body of the 200 answer to ``query`` (an OAI error response included)."""
        try:
            verb, args = _validate(query)
            if fault.isalpha() and fault[0].islower() and fault not in _SHAPES:
                raise OAIProblem(fault, "scripted")
            if self.mode == "sickle":
                return self._sickle(verb, args, fault).encode("utf-8")
            return _with_request(self._cerif(verb, args, fault), verb, args, self.base_url)
        except OAIProblem as exc:
            fixture = self.fixtures / f"{exc.code}.xml"
            if exc.message == "scripted" and fixture.is_file():
                return fixture.read_bytes()
            error = f"<error code={quoteattr(exc.code)}>{escape(exc.message)}</error>"
            return _envelope(error, self.base_url).encode("utf-8")

    def _sickle(self, verb: str, args: dict[str, str], fault: str) -> str:
        fixed = {"Identify": "Identify.xml", "ListMetadataFormats": "ListMetadataFormats.xml"}
        if verb in fixed or verb == "ListSets":
            return (self.fixtures / fixed.get(verb, "ListSets.xml")).read_text("utf-8")
        prefixes = re.findall(
            r"<metadataPrefix>([^<]+)<", (self.fixtures / "ListMetadataFormats.xml").read_text()
        )
        if "metadataPrefix" in args and args["metadataPrefix"] not in prefixes:
            raise OAIProblem("cannotDisseminateFormat", args["metadataPrefix"])
        if verb == "GetRecord":
            if args["identifier"] != "oai:test.example.com:1996652":
                raise OAIProblem("idDoesNotExist", args["identifier"])
            return (self.fixtures / "GetRecord.xml").read_text("utf-8")
        token = args.get("resumptionToken")
        name = (token or f"{verb}.xml").split("#")[0]
        if not re.fullmatch(rf"{verb}\d?\.xml", name) or not (self.fixtures / name).is_file():
            raise OAIProblem("badResumptionToken", "The resumptionToken is invalid")
        body = (self.fixtures / name).read_text("utf-8")
        if fault == "empty":
            fresh = escape(f"{name}#empty{next(self._serial)}")
            return _envelope(f"<{verb}><resumptionToken>{fresh}</resumptionToken></{verb}>", "")
        if fault == "repeat" and token:
            body = re.sub(r">[^<]*</resumptionToken>", f">{escape(token)}</resumptionToken>", body)
        return _shape(body, fault)

    def _cerif(self, verb: str, args: dict[str, str], fault: str) -> str:
        folder = self.cerif_dir
        if verb == "Identify":
            text = (folder / "openaire_oaipmh_example_Identify.xml").read_text("utf-8")
            if self.granularity:
                text = re.sub(r"(<granularity>)[^<]*", rf"\g<1>{self.granularity}", text)
            if self.deleted_record:
                text = re.sub(r"(<deletedRecord>)[^<]*", rf"\g<1>{self.deleted_record}", text)
            return text
        if verb == "ListSets":
            return (folder / "openaire_oaipmh_example_ListSets.xml").read_text("utf-8")
        if verb == "ListMetadataFormats" and self.formats is None:
            return (folder / "openaire_oaipmh_example_ListMetadataFormats.xml").read_text("utf-8")
        if verb == "ListMetadataFormats":
            return _envelope(_formats_xml(self.formats or []), self.base_url)
        with self._lock:
            sent = args.get("resumptionToken")
            if sent is not None:
                state = self._tokens.get(sent)
                if state is None:
                    raise OAIProblem("badResumptionToken", "The resumptionToken has expired")
                verb_of_token, args, offset = state
                if verb_of_token != verb:
                    raise OAIProblem("badResumptionToken", "issued for another verb")
            else:
                offset = 0
            if sent is not None and self.while_paging:  # the source changes under the walk
                self.while_paging.pop(0)()
            self._check_prefix(args["metadataPrefix"])
            if verb == "GetRecord":
                rec = next((r for r in self.records if r.identifier == args["identifier"]), None)
                if rec is None:
                    raise OAIProblem("idDoesNotExist", args["identifier"])
                return _envelope(f"<GetRecord>{_record_xml(rec, False)}</GetRecord>", "")
            matching = self._matching(args)
            if not matching and offset == 0:
                raise OAIProblem("noRecordsMatch", "no record matches the arguments")
            end = offset + self.page_size
            chunk = [] if fault == "empty" else matching[offset:end]
            token = ""
            if fault == "empty":
                token = self._issue(verb, args, offset)
            elif fault == "repeat" and sent is not None:
                token = sent
            elif end < len(matching):
                token = self._issue(verb, args, end)
        extra = int(fault[5:]) if fault.startswith("size+") else 0
        items = "".join(_record_xml(r, verb == "ListIdentifiers") for r in chunk)
        padded = f"\n      {escape(token)}\n    " if token else ""
        resumption = (
            f'<resumptionToken completeListSize="{len(matching) + extra}" cursor="{offset}">'
            f"{padded}</resumptionToken>"
            if token or offset
            else ""
        )
        return _shape(_envelope(f"<{verb}>{items}{resumption}</{verb}>", ""), fault)

    def _issue(self, verb: str, args: dict[str, str], offset: int) -> str:
        token = f"rt{next(self._serial)}:{offset}&set={args.get('set', '')}=%3D+/"
        self._tokens[token] = (verb, dict(args), offset)
        return token

    def _check_prefix(self, prefix: str) -> None:
        known = [f[0] for f in self.formats] if self.formats else ["oai_cerif_openaire_v1_2"]
        if prefix not in known:
            raise OAIProblem("cannotDisseminateFormat", prefix)

    def _matching(self, args: dict[str, str]) -> list[FakeRecord]:
        granularity = self.granularity or SECONDS
        low = _bound(args.get("from"), granularity, False)
        high = _bound(args.get("until"), granularity, True)
        if "from" in args and "until" in args and len(args["from"]) != len(args["until"]):
            raise OAIProblem("badArgument", "from and until differ in granularity")
        if low and high and low > high:
            raise OAIProblem("badArgument", "from is after until")
        found = [
            r
            for r in self.records
            if (not args.get("set") or r.set_spec == args["set"])
            and (low is None or _parse_stamp(r.datestamp) >= low)
            and (high is None or _parse_stamp(r.datestamp) <= high)
        ]
        if self.by_datestamp:  # a changed record moves to the end: the list shifts
            found.sort(key=lambda r: (_parse_stamp(r.datestamp), r.identifier))
        return found


_SHAPES = {"broken", "truncated", "repeat", "empty", "xxe", "lol", "cut"}


def _validate(query: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = query.get("verb") or []
    if len(verbs) != 1 or verbs[0] not in ARGS:
        raise OAIProblem("badVerb", f"illegal verb {verbs!r}")
    verb = verbs[0]
    required, optional = ARGS[verb]
    args = {k: v[0] for k, v in query.items() if k != "verb"}
    repeated = [k for k, v in query.items() if len(v) > 1]
    unknown = set(args) - required - optional
    if repeated or unknown:
        raise OAIProblem("badArgument", f"repeated {repeated} or unknown {sorted(unknown)}")
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIProblem("badArgument", "resumptionToken is an exclusive argument")
        return verb, args
    if required - set(args):
        raise OAIProblem("badArgument", f"missing {sorted(required - set(args))}")
    return verb, args


def _parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _bound(value: str | None, granularity: str, upper: bool) -> datetime | None:
    if value is None:
        return None
    day = re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    if not day and not (
        granularity == SECONDS and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value)
    ):
        raise OAIProblem("badArgument", f"bad datestamp {value!r} for granularity {granularity}")
    if day:
        start = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return start + timedelta(days=1, seconds=-1) if upper else start
    return _parse_stamp(value)


def _record_xml(rec: FakeRecord, header_only: bool) -> str:
    status = ' status="deleted"' if rec.deleted else ""
    header = (
        f"<header{status}><identifier>{escape(rec.identifier)}</identifier>"
        f"<datestamp>{rec.datestamp}</datestamp>"
        + (f"<setSpec>{rec.set_spec}</setSpec>" if rec.set_spec else "")
        + "</header>"
    )
    if header_only:
        return header
    metadata = "" if rec.deleted or rec.metadata is None else f"<metadata>{rec.metadata}</metadata>"
    return f"<record>{header}{metadata}</record>"


def _formats_xml(formats: list[tuple[str, str, str]]) -> str:
    return (
        "<ListMetadataFormats>"
        + "".join(
            f"<metadataFormat><metadataPrefix>{escape(p)}</metadataPrefix><schema>{escape(s)}"
            f"</schema><metadataNamespace>{escape(n)}</metadataNamespace></metadataFormat>"
            for p, s, n in formats
        )
        + "</ListMetadataFormats>"
    )


def _envelope(inner: str, base_url: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{NS}">'
        f"<responseDate>{_now()}</responseDate><request>{escape(base_url)}</request>"
        f"{inner}</OAI-PMH>"
    )


def _with_request(body: str, verb: str, args: dict[str, str], base_url: str) -> bytes:
    """``body`` with its ``<request>`` element describing this request (the samples' is stale)."""
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in {"verb": verb, **args}.items())
    request = f"<request{attrs}>{escape(base_url)}</request>"
    return re.sub(
        r"<request\b[^>]*?(?:/>|>[^<]*</request>)", lambda _: request, body, count=1
    ).encode()


def _shape(body: str, fault: str) -> str:
    """``body`` (a full response) changed by a content fault; otherwise as it is."""
    if fault in _DOCTYPES:
        declaration_end = body.index("?>") + 2 if body.startswith("<?xml") else 0
        body = body[:declaration_end] + "\n" + _DOCTYPES[fault] + body[declaration_end:]
        start = body.index("<metadata>")
        insert_at = body.index(">", start + len("<metadata>")) + 1
        body = body[:insert_at] + _ENTITY_REF[fault] + body[insert_at:]
    return body
