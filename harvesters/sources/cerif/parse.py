"""CERIF XML (OpenAIRE Guidelines for CRIS Managers 1.1/1.2): one record's XML into one entity.

Pure parsing, no I/O. ``parse_entity`` takes the first child of an OAI-PMH ``<metadata>`` (bytes
or an lxml element) and returns a ``Project``, a ``Facility`` (Equipment), an ``Organisation``
(OrgUnit), a ``PersonRecord`` (Person), a ``FundingEntity`` (Funding: no record kind of its own;
``harvesters.sources.cerif.links.resolve_links`` folds it into projects) or ``Unsupported`` for
entities not mapped yet (Publication, Product, Patent, Event, ...): a skip, not an error. A record
that cannot be used raises ``ParseError``. Decisions (data-sources.md 2.2; reliability.md H12, U8):

- Namespaces: profile 1.2 and 1.1; any other is a ``ParseError``. Children match by local name
  (vocabulary elements such as a Funding ``Type`` carry their own namespace).
- Bytes are parsed without DTD loading, network or entity resolution, with ``huge_tree`` for
  long abstracts; a document declaring entities is refused; an entity reference adds no text.
- Languages: ``xml:lang`` sv -> sv slot, en -> en slot; untagged text -> en when no en-tagged
  text exists; another language -> en only when there is no sv, en or untagged text at all.
- ``OrgRef.id``: the Swedish org number (an ``Identifier`` whose type names one, or an untyped
  NNNNNN-NNNN value), else the ROR URL, else the CERIF id. ``Ref.id`` is always the CERIF id.
- Amounts keep their ``currency``, never converted; an Amount without an ISO code is a
  ``ParseError`` in a top-level Funding and dropped from an embedded copy.
- Subjects: only SSIF/SCB-scheme codes of 1, 3 or 5 digits become ``SubjectPath``s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeAlias

from lxml import etree

from harvesters.core import records as r
from harvesters.core.errors import ParseError
from harvesters.sources.cerif.links import (
    CerifEntity,
    FundingEntity,
    Unsupported,
    funding_record,
    org_key,
)
from harvesters.sources.clean import clean_orcid, clean_str, clean_text, parse_amount, parse_date

NS_12 = "https://www.openaire.eu/cerif-profile/1.2/"
NS_11 = "https://www.openaire.eu/cerif-profile/1.1/"
NAMESPACES = (NS_12, NS_11)
MAPPED = ("Project", "Funding", "OrgUnit", "Person", "Equipment")
UNSUPPORTED = ("Publication", "Product", "Patent", "Event", "Service", "Medium")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Element: TypeAlias = etree._Element


def parse_xml(data: bytes, record_id: str | None = None) -> Element:
    """Parse one record's bytes safely; ``ParseError`` for malformed XML or entity declarations.

    OAI-PMH is UTF-8 only, which lets a byte scan refuse entity declarations before libxml2 (whose
    expansion limits ``huge_tree`` relaxes) sees them; the parsed DTD is checked again after."""
    if b"\x00" in data or not _is_utf8(data):
        raise ParseError(record_id, "the document is not UTF-8 (OAI-PMH requires UTF-8)")
    if b"<!ENTITY" in data:
        raise ParseError(record_id, "the document declares XML entities; refused")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(record_id, f"not well-formed XML: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError(record_id, "the document declares XML entities; refused")
    return root


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_entity(
    xml: bytes | Element, source: str, oai_identifier: str | None = None
) -> CerifEntity:
    """One CERIF entity as a record, a ``FundingEntity`` or ``Unsupported``.

    ``xml`` is the first child of ``<metadata>``; ``oai_identifier`` names the record in errors
    when it has no ``id``. Raises ``ParseError(record_id, reason)`` when it cannot be used.
    """
    root = parse_xml(xml, oai_identifier) if isinstance(xml, bytes) else xml
    if not isinstance(root.tag, str):
        raise ParseError(oai_identifier, "the metadata is not an element")
    qname = etree.QName(root)
    name, rid = qname.localname, clean_str(root.get("id"))
    if qname.namespace not in NAMESPACES:
        raise ParseError(
            rid or oai_identifier,
            f"unknown namespace {qname.namespace!r} for <{name}>; "
            f"expected one of {', '.join(NAMESPACES)}",
        )
    if name in UNSUPPORTED:
        return Unsupported(entity=name, id=rid or oai_identifier)
    if name not in MAPPED:
        raise ParseError(rid or oai_identifier, f"unknown CERIF entity <{name}>")
    if not rid:
        raise ParseError(oai_identifier, f"{name} has no id attribute")
    try:
        return _BUILDERS[name](root, source, rid)
    except ValueError as exc:
        raise ParseError(rid, str(exc)) from exc


# -- element helpers ----------------------------------------------------------------------------


def _local(el: Element) -> str | None:
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def _kids(el: Element | None, *names: str) -> list[Element]:
    """Child elements with one of these local names, in document order, any namespace."""
    return [] if el is None else [c for c in el if isinstance(c.tag, str) and _local(c) in names]


def _kid(el: Element | None, *path: str) -> Element | None:
    """The first element down a path of local names."""
    for name in path:
        found = _kids(el, name)
        el = found[0] if found else None
    return el


def _text(el: Element | None) -> str:
    """The element's text without comments, processing instructions or entity references."""
    if el is None:
        return ""
    parts = [el.text or ""]
    for child in el:
        parts.extend((_text(child) if isinstance(child.tag, str) else "", child.tail or ""))
    return "".join(parts)


def _id_of(el: Element | None) -> str | None:
    return clean_str(el.get("id")) if el is not None else None


def _line(value: object) -> str | None:
    """A one-line value (title, name, code): every whitespace run, newlines too, is one space."""
    return clean_str(" ".join(str(value).split())) if value is not None else None


def _str(el: Element | None, *path: str) -> str | None:
    return _line(_text(_kid(el, *path)))


def _strs(el: Element, name: str) -> list[str]:
    """The cleaned, non-empty texts of a repeated child, duplicates removed."""
    return list(dict.fromkeys(s for s in (_line(_text(k)) for k in _kids(el, name)) if s))


def _lang_slot(el: Element) -> str:
    lang = (el.get(_XML_LANG) or "").strip().lower().replace("_", "-").split("-")[0]
    return {"sv": "sv", "swe": "sv", "en": "en", "eng": "en", "": "untagged"}.get(lang, "other")


def _multilingual(els: Iterable[Element], clean: Callable[[object], str | None] = _line) -> r.Text:
    """sv and en slots from ``xml:lang``-tagged elements (rules in the module docstring)."""
    first: dict[str, str] = {}
    for el in els:
        value = clean(_text(el))
        if value:
            first.setdefault(_lang_slot(el), value)
    sv = first.get("sv")
    en = first.get("en") or first.get("untagged") or (None if sv else first.get("other"))
    return r.Text(sv=sv, en=en)


def _label(value: str | None) -> r.Text:
    """A readable label for a vocabulary URI: ``...#HigherEducation`` -> ``Higher education``."""
    if not value or "#" not in value:
        return r.Text(en=value)
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value.rsplit("#", 1)[1]).replace("_", " ")
    return r.Text(en=words[:1].upper() + words[1:].lower())


def _date(value: str | None, *, end: bool = False, what: str = "date") -> str | None:
    try:
        return parse_date(value, end=end)
    except ValueError as exc:
        raise ValueError(f"bad {what} {value!r}") from exc


# -- identifiers --------------------------------------------------------------------------------

_ORGNR_TYPE = re.compile(r"org(ani[sz]ation)?s?[-_ ]?(nr|no|number|nummer)\b|orgnr", re.I)
_ORGNR_VALUE = re.compile(r"^(\d{6})-?(\d{4})$")
# CERIF element -> Identifier.type; an "Alternative..." element maps to the same type.
_SCHEMES = {"RORID": "ror", "GRID": "grid", "ISNI": "isni", "FundRefID": "fundref"}
_SCHEMES |= {"ORCID": "orcid", "ResearcherID": "researcherid", "ScopusAuthorID": "scopus"}
_SCHEMES |= {"DAI": "dai", "GrantDOI": "doi"}


def _identifiers(el: Element, *, org: bool = False) -> tuple[r.Identifier, ...]:
    """``Identifier @type`` and the named identifiers (RORID, ORCID, ...) with their Alternatives;
    with ``org``, a value typed as an org number or untyped NNNNNN-NNNN becomes ``orgnr``."""
    out: list[r.Identifier] = []
    for child in _kids(el, "Identifier", *_SCHEMES, *(f"Alternative{k}" for k in _SCHEMES)):
        value, local = _line(_text(child)), _local(child) or ""
        if not value:
            continue
        if local == "Identifier":
            kind = clean_str(child.get("type")) or ("url" if value.startswith("http") else "other")
            m = _ORGNR_VALUE.match(value)
            if org and (_ORGNR_TYPE.search(kind) or (m and kind == "other")):
                kind, value = "orgnr", f"{m.group(1)}-{m.group(2)}" if m else value
        else:
            kind = _SCHEMES[local.removeprefix("Alternative")]
            if kind == "ror" and not value.startswith("http"):
                value = f"https://ror.org/{value}"
            elif kind == "orcid":
                value = clean_orcid(value) or value
        out.append(r.Identifier(type=kind, value=value))
    return tuple(dict.fromkeys(out))


# -- embedded neighbours ------------------------------------------------------------------------


def _person_name(el: Element | None) -> str:
    pn = _kid(el, "PersonName")
    parts = (_str(pn, "FirstNames"), _str(pn, "OtherNames"), _str(pn, "FamilyNames"))
    return " ".join(p for p in parts if p) or _str(el, "DisplayName") or ""


def _name(el: Element) -> r.Text:
    """``Name`` in sv/en, else the ``Acronym`` (an embedded copy may carry only that)."""
    name = _multilingual(_kids(el, "Name"))
    return name if name else r.Text(en=_str(el, "Acronym"))


def _ref(el: Element | None) -> r.Ref | None:
    return None if el is None else r.Ref(id=_id_of(el), name=_name(el))


def _orgref(holder: Element | None) -> r.OrgRef | None:
    """The OrgUnit (or Person, or bare DisplayName) inside a link element, as an ``OrgRef``."""
    org, person = _kid(holder, "OrgUnit"), _kid(holder, "Person")
    if org is not None:
        key = org_key(_identifiers(org, org=True), _id_of(org))
        return r.OrgRef(id=key, name=_name(org), type=_label(_str(org, "Type")))
    if person is not None:
        name = _person_name(person) or _str(holder, "DisplayName")
        return r.OrgRef(id=_id_of(person), name=r.Text(en=name or None))
    display = _str(holder, "DisplayName")
    return r.OrgRef(name=r.Text(en=display)) if display else None


# -- entities -----------------------------------------------------------------------------------

_ROLES = {
    "PrincipalInvestigator": r.Text(sv="Projektledare", en="Principal Investigator"),
    "Member": r.Text(sv="Projektdeltagare", en="Team member"),
    "Contact": r.Text(sv="Kontaktperson", en="Contact"),
    "Coordinator": r.Text(sv="Koordinator", en="Coordinator"),
}
_SSIF_SCHEME = re.compile(r"ssif|svensk|forskningsamne|forskningsämne|scb|hsv|uka", re.I)
_CODE = re.compile(r"(\d{1,5})\s*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _project(el: Element, source: str, rid: str) -> r.Project:
    consortium = _kid(el, "Consortium")
    people: list[r.Person] = []
    for holder in [*_kids(_kid(el, "Team"), *_ROLES), *_kids(consortium, "Coordinator")]:
        person = _kid(holder, "Person")
        if person is None:
            continue
        people.append(
            r.Person(  # nameless people are kept for resolve_links to name, then dropped
                name=_person_name(person) or _str(holder, "DisplayName") or "",
                role=_ROLES[_local(holder) or "Member"],
                orcid=clean_orcid(_text(_kid(person, "ORCID"))),
                person_id=_id_of(person),
            )
        )
    coordinators = [h for h in _kids(consortium, "Coordinator") if _kid(h, "OrgUnit") is not None]
    fundings = [f for f in (_funded(f, source) for f in _kids(el, "Funded")) if f is not None]
    uses = [ref for ref in (_ref(_kid(u, "Equipment")) for u in _kids(el, "Uses")) if ref]
    return r.Project(
        source=source,
        source_id=rid,
        title=_multilingual(_kids(el, "Title")),
        abstract=_multilingual(_kids(el, "Abstract"), clean_text),
        start=_date(_str(el, "StartDate"), what="StartDate"),
        end=_date(_str(el, "EndDate"), end=True, what="EndDate"),
        coordinator=_orgref(coordinators[0]) if coordinators else None,
        fundings=tuple(fundings),
        people=tuple(dict.fromkeys(p for p in people if p.name or p.person_id)),
        subjects=_subjects(_kids(el, "Subject")),
        acronym=_str(el, "Acronym"),
        keywords=tuple(_strs(el, "Keyword")),
        identifiers=_identifiers(el),
        facilities=tuple(dict.fromkeys(uses)),
    )


def _funded(el: Element, source: str) -> r.Funding | None:
    """One ``Funded``: ``By`` names the funder, ``As`` embeds the Funding (amount, period).

    The funder is ``By``, else the embedded Funding's ``Funder``, else one up its ``PartOf``
    chain (a grant inherits its programme's funder; amounts are never inherited)."""
    by = _orgref(_kid(el, "By"))
    embedded = _kid(el, "As", "Funding")
    entity = None
    if embedded is not None:
        entity = _funding_entity(embedded, source, _id_of(embedded) or "", strict=False)
    if by is None and entity is None:
        return None
    funder = by or (entity.funder if entity else None) or _chain_funder(embedded) or r.OrgRef()
    return funding_record(entity, funder) if entity else r.Funding(funder=funder)


def _chain_funder(el: Element | None) -> r.OrgRef | None:
    for _ in range(50):  # bounded: an embedded chain is a tree, but a hostile one may be deep
        if el is None:
            return None
        found = _orgref(_kid(el, "Funder"))
        if found is not None:
            return found
        el = _kid(el, "PartOf", "Funding")
    return None


def _funding_entity(el: Element, source: str, rid: str, *, strict: bool) -> FundingEntity:
    amount_el, duration = _kid(el, "Amount"), _kid(el, "Duration")
    amount = parse_amount(_text(amount_el)) if amount_el is not None else None
    currency = (clean_str(amount_el.get("currency")) or "").upper() if amount_el is not None else ""
    if amount is not None and not _CURRENCY.match(currency):
        if strict:
            raise ValueError(f"Amount {amount:g} has no ISO currency code (got {currency!r})")
        amount = None
    get = duration.get if duration is not None else (lambda _key: None)
    return FundingEntity(
        source=source,
        id=rid,
        name=_multilingual(_kids(el, "Name")),
        acronym=_str(el, "Acronym"),
        type=_str(el, "Type"),
        amount=amount,
        currency=currency if amount is not None else None,
        funder=_orgref(_kid(el, "Funder")),
        identifiers=_identifiers(el),
        part_of=_id_of(_kid(el, "PartOf", "Funding")),
        start=_date(get("startDate"), what="Duration startDate"),
        end=_date(get("endDate"), end=True, what="Duration endDate"),
    )


def _subjects(els: Iterable[Element]) -> tuple[r.SubjectPath, ...]:
    paths: list[r.SubjectPath] = []
    for el in els:
        m = _CODE.search(_line(_text(el)) or "")
        if _SSIF_SCHEME.search(el.get("scheme") or "") and m and len(m.group(1)) in (1, 3, 5):
            code = m.group(1)
            paths.append(
                r.SubjectPath(
                    level1=r.Subject(code[:1]),
                    level3=r.Subject(code[:3]) if len(code) >= 3 else None,
                    level5=r.Subject(code) if len(code) == 5 else None,
                )
            )
    return tuple(dict.fromkeys(paths))


def _equipment(el: Element, source: str, rid: str) -> r.Facility:
    owners = [o for o in (_orgref(h) for h in _kids(el, "Owner")) if o is not None]
    return r.Facility(
        source=source,
        source_id=rid,
        name=_multilingual(_kids(el, "Name")),
        acronym=_str(el, "Acronym"),
        description=_multilingual(_kids(el, "Description"), clean_text),
        owners=tuple(dict.fromkeys(owners)),
        types=tuple(_label(t) for t in _strs(el, "Type")),
        identifiers=_identifiers(el),
    )


def _orgunit(el: Element, source: str, rid: str) -> r.Organisation:
    urls = [a for a in _strs(el, "ElectronicAddress") if a.startswith(("http://", "https://"))]
    return r.Organisation(
        source=source,
        source_id=rid,
        name=_multilingual(_kids(el, "Name")),
        acronym=_str(el, "Acronym"),
        type=_label(_str(el, "Type")),
        identifiers=_identifiers(el, org=True) + tuple(r.Identifier("url", u) for u in urls),
        part_of=_ref(_kid(el, "PartOf", "OrgUnit")),
    )


def _person(el: Element, source: str, rid: str) -> r.PersonRecord:
    name = _person_name(el)
    if not name:
        raise ValueError("Person has no PersonName")
    affiliations = [a for a in (_ref(_kid(h, "OrgUnit")) for h in _kids(el, "Affiliation")) if a]
    return r.PersonRecord(
        source=source,
        source_id=rid,
        name=name,
        orcid=clean_orcid(_text(_kid(el, "ORCID"))),
        identifiers=_identifiers(el),
        affiliations=tuple(dict.fromkeys(affiliations)),
    )


_BUILDERS: dict[str, Callable[[Element, str, str], CerifEntity]] = {
    "Project": _project,
    "Funding": lambda el, source, rid: _funding_entity(el, source, rid, strict=True),
    "OrgUnit": _orgunit,
    "Person": _person,
    "Equipment": _equipment,
}
