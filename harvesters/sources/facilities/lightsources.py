"""Light sources and their beamlines from the XAS Data Library (``facilities/*.json``).

Every file of the folder is imported in one run; each is recognised by its shape
(``file_role``):

- **facility tables** (``synchrotrons.json``, ``fels.json``): key -> {fullname, country, post,
  email, website, active, ...}. One ``Facility`` per key: ``name.en`` the fullname, ``acronym``
  the key (its slug is the ``source_id``: "MAX IV" -> ``max-iv``), the type "Synchrotron light
  source" or "Free-electron laser" (told apart by the file's name; a table of another name
  takes lightsources.org's category), ``country`` from the country name, ``city`` from the
  postal address when it is clear (``addresses``), ``contact`` the e-mail, ``url`` the web site,
  ``access_for`` unknown;
- **beamline files** (``Europe.json``, ``Americas.json``, ``Asia.json``): light source key ->
  beamline -> {name, purpose, range, flux, size, status, website}. One ``Facility`` per
  beamline, ``source_id`` "<light source>.<beamline>" (``max-iv.i811``), ``part_of`` its light
  source, a description from purpose, energy range (keV), flux, beam size and status, and the
  country, region and city of its light source;
- **lightsources.org.json**: a list of facilities with HTML addresses. An entry that matches a
  light source (by abbreviation, by ``names.json``, or by full name) adds what that one lacks
  (web site, country, city, e-mail, type) and its spellings, and counts as *folded*; an entry
  that matches none becomes a record of its own;
- **names.json**: the lightsources.org <-> IUCr name tables; they give aliases ("MAX IV" is
  "MAXLAB") and match lightsources.org entries without an abbreviation.

``aliases`` holds every other spelling a file gives (the name and the acronym are not
repeated). A missing file takes away only what it says: without the facility tables,
beamlines still link to their light source by id (with its key as the name) but know no
country; without lightsources.org nothing is added; without names.json there are no IUCr
aliases. Ids do not depend on which files are there (they come from the keys, which
lightsources.org shares). A file that is none of these fails the run; a bad entry (not an
object, a name that is a list, a duplicate key or beamline) is quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harvesters.core import places
from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.records import ACCESS_UNKNOWN, Facility, Ref, Text
from harvesters.sources.facilities.addresses import address_text, city_from_address, email_in
from harvesters.sources.facilities.common import (
    as_json,
    file_name,
    load_json,
    one_line,
    slug,
    text_value,
    web_url,
)
from harvesters.sources.run import Parsed
from harvesters.store.database import RawPayload

SYNCHROTRON = Text(sv="Synkrotronljuskälla", en="Synchrotron light source")
FEL = Text(sv="Frielektronlaser", en="Free-electron laser")
BEAMLINE = Text(sv="Strålrör", en="Beamline")
CATEGORIES = {"synchrotron": SYNCHROTRON, "free-electron laser": FEL}

ROLE_TABLE, ROLE_BEAMLINES, ROLE_LSO, ROLE_NAMES = "table", "beamlines", "lso", "names"


def file_role(data: Any) -> str | None:
    """Which light-source file ``data`` (parsed JSON) is, by its shape, or None. Most of the
    entries must have the shape: a broken one is the parser's to quarantine."""
    if isinstance(data, list):
        entries = [x for x in data if isinstance(x, dict) and "title" in x]
        fields = any(k.startswith("field_") for x in entries for k in x)
        return ROLE_LSO if fields and _most(len(entries), len(data)) else None
    if not isinstance(data, dict) or not data:
        return None
    values = list(data.values())
    if set(data) <= {"lso2iucr", "iucr2lso"} and all(isinstance(v, dict) for v in values):
        return ROLE_NAMES
    if _most(sum(1 for v in values if isinstance(v, dict) and "fullname" in v), len(values)):
        return ROLE_TABLE
    inner = [b for v in values if isinstance(v, dict) for b in v.values()]
    lines = sum(1 for b in inner if isinstance(b, dict) and ("purpose" in b or "range" in b))
    return ROLE_BEAMLINES if _most(lines, len(inner)) else None


def _most(some: int, of: int) -> bool:
    return some > 0 and 2 * some > of


@dataclass
class _Source:
    """A light source while its files are read; lightsources.org fills in what it lacks."""

    key: str
    name: str
    type: Text | None
    country: str | None = None
    city: str | None = None
    contact: str | None = None
    url: str | None = None
    inactive: bool = False
    spellings: list[str] = field(default_factory=list)


@dataclass
class _Run:
    source: str
    failures: list[ParseError] = field(default_factory=list)
    sources: dict[str, _Source] = field(default_factory=dict)  # by key
    own: dict[str, _Source] = field(default_factory=dict)  # lightsources.org only, by id
    fetched: int = 0
    folded: int = 0

    def fail(self, fid: str | None, where: str, reason: str, raw: Any) -> None:
        self.failures.append(ParseError(fid, f"{where}: {reason}", where=where, raw=as_json(raw)))


def parse_lightsources(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    files: dict[str, list[tuple[RawPayload, Any]]] = {
        ROLE_TABLE: [],
        ROLE_BEAMLINES: [],
        ROLE_LSO: [],
        ROLE_NAMES: [],
    }
    for payload in payloads:
        data = load_json(payload)
        role = file_role(data)
        if role is None:
            raise SourceProtocolError(
                f"{payload.label}: not a light-source file of the XAS Data Library (a facility "
                "table, beamlines, lightsources.org.json or names.json)"
            )
        files[role].append((payload, data))
    lso2iucr: dict[str, Any] = {}
    iucr2lso: dict[str, Any] = {}
    for _, data in files[ROLE_NAMES]:
        lso2iucr.update(data.get("lso2iucr") or {})
        iucr2lso.update(data.get("iucr2lso") or {})
    run = _Run(source)
    for payload, data in files[ROLE_TABLE]:
        _read_table(run, payload, data, lso2iucr)
    for payload, data in files[ROLE_LSO]:
        _read_lso(run, payload, data, iucr2lso)
    beamlines = [
        b for payload, data in files[ROLE_BEAMLINES] for b in _read_beamlines(run, payload, data)
    ]
    records = [_facility(source, s) for s in [*run.sources.values(), *run.own.values()]]
    records.extend(beamlines)
    if progress:
        progress.set_total(run.fetched)
        progress.advance(run.fetched)
    return Parsed(list(records), run.fetched, run.failures, folded=run.folded)


def _table_type(payload: RawPayload) -> Text | None:
    stem = file_name(payload).rsplit(".", 1)[0].casefold()
    if "fel" in stem.replace("-", "").split("_")[0]:
        return FEL
    return SYNCHROTRON if "synchrotron" in stem else None


def _read_table(run: _Run, payload: RawPayload, data: dict[str, Any], lso2iucr: dict) -> None:
    kind = _table_type(payload)
    for key, entry in data.items():
        run.fetched += 1
        where = f"{payload.label} {key!r}"
        fid = slug(key) or None
        try:
            key_text = " ".join(key.split())
            if not fid:
                raise ValueError("the key has no letters or digits")
            if any(slug(s.key) == fid for s in run.sources.values()):
                raise ValueError(f"the light source {key_text!r} is listed twice")
            fullname = text_value(entry, "fullname") or key_text
            country_name = text_value(entry, "country")
            country = places.country_code(country_name)
            post = text_value(entry, "post")
            found = _Source(
                key=key_text,
                name=fullname,
                type=kind,
                country=country,
                city=city_from_address(post, country),
                contact=text_value(entry, "email"),
                url=web_url(one_line(entry, "website")),
                inactive=entry.get("active") is False,
            )
        except (ValueError, AttributeError) as exc:
            run.fail(fid, where, _reason(exc), entry)
            continue
        iucr = lso2iucr.get(key)
        if isinstance(iucr, str):
            found.spellings.append(iucr)
        run.sources[key_text] = found


def _reason(exc: Exception) -> str:
    if isinstance(exc, AttributeError):
        return "an entry must be an object"
    return str(exc)


def _read_lso(run: _Run, payload: RawPayload, data: list[Any], iucr2lso: dict) -> None:
    by_name = {s.name.casefold(): s for s in run.sources.values()}
    for n, entry in enumerate(data, 1):
        run.fetched += 1
        where = f"{payload.label} item {n}"
        try:
            title = text_value(entry, "title")
            abbr = text_value(entry, "field_abbreviation_value")
            if not title and not abbr:
                raise ValueError("neither a title nor an abbreviation")
            address = address_text(text_value(entry, "field_address_value"))
            country = places.country_code(text_value(entry, "field_country_value"))
            category = (text_value(entry, "field_category_value") or "").casefold()
            url = web_url(one_line(entry, "field_website_url"))
        except (ValueError, AttributeError) as exc:
            run.fail(None, where, _reason(exc), entry)
            continue
        keys = [abbr, iucr2lso.get(abbr or ""), iucr2lso.get(title or ""), title]
        key = next((k for k in keys if isinstance(k, str) and k in run.sources), None)
        target = run.sources.get(key) if key else by_name.get((title or "").casefold())
        if target is None:
            own_key = next((k for k in keys if isinstance(k, str) and k), "")
            fid = slug(own_key)
            if fid in run.own or any(slug(k) == fid for k in run.sources):
                run.fail(fid, where, f"the facility {own_key!r} is listed twice", entry)
                continue
            target = run.own[fid] = _Source(key=abbr or own_key, name=title or own_key, type=None)
        else:
            run.folded += 1
        target.spellings.extend(s for s in (title, abbr) if s)
        target.type = target.type or CATEGORIES.get(category)
        target.country = target.country or country
        target.url = target.url or url
        target.contact = target.contact or email_in(address)
        target.city = target.city or city_from_address(address, target.country)


def _facility(source: str, s: _Source) -> Facility:
    own = {s.name.casefold(), s.key.casefold()}
    aliases = []
    for spelling in s.spellings:
        if spelling.casefold() not in own:
            own.add(spelling.casefold())
            aliases.append(spelling)
    return Facility(
        source=source,
        source_id=slug(s.key),
        name=Text(en=s.name),
        acronym=s.key if s.key != s.name else None,
        description=Text(en="No longer in operation.") if s.inactive else Text(),
        types=(s.type,) if s.type else (),
        city=s.city,
        country=s.country,
        region=places.region_of_town(s.city, s.country),
        contact=s.contact,
        url=s.url,
        access_for=ACCESS_UNKNOWN,
        aliases=tuple(aliases),
    )


def _read_beamlines(run: _Run, payload: RawPayload, data: dict[str, Any]) -> list[Facility]:
    out: list[Facility] = []
    seen: set[str] = set()
    for parent_key, lines in data.items():
        if not isinstance(lines, dict):
            run.fetched += 1
            run.fail(
                slug(parent_key) or None,
                f"{payload.label} {parent_key!r}",
                "not an object of beamlines",
                lines,
            )
            continue
        parent = run.sources.get(parent_key) or _Source(parent_key, parent_key, None)
        parent_place = _facility(run.source, parent)
        for key, entry in lines.items():
            run.fetched += 1
            where = f"{payload.label} {parent_key!r} {key!r}"
            fid = f"{slug(parent_key)}.{slug(key)}"
            try:
                if not slug(key) or not slug(parent_key):
                    raise ValueError("a beamline needs a name and a light source")
                if fid in seen:
                    raise ValueError("the beamline is listed twice")
                record = _beamline(run.source, fid, key, entry, parent_place)
            except (ValueError, AttributeError) as exc:
                run.fail(fid, where, _reason(exc), entry)
                continue
            seen.add(fid)
            out.append(record)
    return out


def _beamline(source: str, fid: str, key: str, entry: Any, parent: Facility) -> Facility:
    if not isinstance(entry, dict):
        raise ValueError("a beamline must be an object")
    name = one_line(entry, "name")
    return replace(
        parent,
        source_id=fid,
        name=Text(en=name or key),
        acronym=key if name and name != key else None,
        description=Text(en=_beamline_text(key, entry, parent.name.en or "")),
        types=(BEAMLINE,),
        contact=None,
        url=web_url(one_line(entry, "website")),
        aliases=(),
        part_of=Ref(id=parent.source_id, name=parent.name),
    )


def _beamline_text(key: str, entry: dict[str, Any], parent: str) -> str:
    """ "Beamline I811 of MAX IV Laboratory. Purpose: General purpose XAFS. Energy range:
    2.3 - 20 keV. ..." (units only where the value has none of its own)."""
    parts = [f"Beamline {key} of {parent}."]
    for label, column, unit in (
        ("Purpose", "purpose", ""),
        ("Energy range", "range", "keV"),
        ("Flux", "flux", "photons/s"),
        ("Beam size", "size", "mm"),
        ("Status", "status", ""),
    ):
        value = one_line(entry, column)
        if not value:
            continue
        value = value.rstrip(",;")
        if unit and not any(c.isalpha() and c not in "xX" for c in value):
            value = f"{value} {unit}"
        parts.append(f"{label}: {value[:1].upper()}{value[1:]}.")
    return " ".join(parts)
