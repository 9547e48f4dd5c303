"""SciLifeLab's infrastructure units and the publications they served (publications.scilifelab.se).

Files, each recognised by its content (``file_role``):

- the **units** file (``DERIVED_infrastructure_units_from_labels.json``: ``{"units": [{label,
  publications, qualifiers, by_year}]}``): one ``Facility`` per unit, ``name.en`` the label,
  ``acronym`` a trailing "(...)" that looks like an acronym ("(CBCS)", not "(Genomics
  Production)"), the type "SciLifeLab infrastructure unit", country SE, ``publications_by_year``
  from ``by_year`` and a description of how many publications it served and how;
- **publication** files (``{"entity": "publications", "publications": [...]}``, one a year):
  one ``Publication`` per publication, ``source_id`` its ``iuid``, with title, abstract, year,
  date (a day or month "00" is dropped: "2017-12-00" is "2017-12"), journal, authors ("Given
  Family"), DOI, PMID, the units it names (``FacilityUse``, ``how`` the qualifier or None) and
  the "display" link as ``source_url``. A publication in two files (a later snapshot of a year)
  is one record: the later file wins, the earlier copy is *folded*. A unit a publication names
  that the units file lacks still gets a unit record, with figures from the publications (it
  counts as fetched: the label is an item the files hold);
- ``universities.csv`` (abbreviations and names of universities): not mapped, every row counted
  as *skipped*.

A file that is none of these fails the run; a bad unit or publication (no label or iuid, a
list where a text belongs, a bad date or year count) is quarantined with its place and JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harvesters.core.errors import ParseError, SourceProtocolError
from harvesters.core.progress import Progress
from harvesters.core.records import (
    ACCESS_UNKNOWN,
    Facility,
    FacilityUse,
    Publication,
    Record,
    Ref,
    Text,
    YearCount,
)
from harvesters.sources.clean import clean_text
from harvesters.sources.csv_rows import decode_text, read_csv
from harvesters.sources.facilities.common import as_json, load_json, one_line, slug, text_value
from harvesters.sources.run import Parsed
from harvesters.store.database import RawPayload

TYPE = Text(sv="Infrastrukturenhet vid SciLifeLab", en="SciLifeLab infrastructure unit")
ROLE_UNITS, ROLE_PUBLICATIONS, ROLE_UNIVERSITIES = "units", "publications", "universities"
HOW = {
    "service": "as a service",
    "collaborative": "in collaboration",
    "technology development": "in technology development",
    "": "without saying how",
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ACRONYM = re.compile(r"\s*\(([A-Za-z][A-Za-z0-9&.-]{1,11})\)\s*$")


def file_role(payload: RawPayload) -> tuple[str, Any] | None:
    """(role, parsed content) of a SciLifeLab file, or None when it is not one."""
    head = payload.body.lstrip(b"\xef\xbb\xbf \r\n\t")[:1]
    if head in (b"{", b"["):
        try:
            data = load_json(payload)
        except SourceProtocolError:
            return None
        if isinstance(data, dict) and isinstance(data.get("units"), list):
            return ROLE_UNITS, data
        if (
            isinstance(data, dict)
            and isinstance(data.get("publications"), list)
            and (data.get("entity") == "publications" or _has_iuids(data["publications"]))
        ):
            return ROLE_PUBLICATIONS, data
        return None
    text, _ = decode_text(payload.body)
    first = text.split("\n", 1)[0].casefold()
    if "förkortning" in first and "engelskt namn" in first:
        return ROLE_UNIVERSITIES, text
    return None


def _has_iuids(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(p, dict) and "iuid" in p for p in items[:5])


@dataclass
class _Run:
    source: str
    fetched: int = 0
    skipped: int = 0
    folded: int = 0
    failures: list[ParseError] = field(default_factory=list)
    units: dict[str, Facility] = field(default_factory=dict)  # by id
    publications: dict[str, Publication] = field(default_factory=dict)  # by iuid

    def fail(self, fid: str | None, where: str, reason: str, raw: Any) -> None:
        self.failures.append(ParseError(fid, f"{where}: {reason}", where=where, raw=as_json(raw)))


def parse_scilifelab(
    source: str, payloads: Sequence[RawPayload], progress: Progress | None = None
) -> Parsed:
    run = _Run(source)
    files = []
    for payload in payloads:
        found = file_role(payload)
        if found is None:
            if payload.body.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"["):
                load_json(payload)  # a broken JSON file says so
            raise SourceProtocolError(
                f"{payload.label}: not a SciLifeLab units, publications or universities file"
            )
        files.append((payload, *found))
    for payload, role, data in files:
        if role == ROLE_UNITS:
            _read_units(run, payload, data["units"])
        elif role == ROLE_PUBLICATIONS:
            _read_publications(run, payload, data)
        else:
            _, rows = read_csv(data, ",")
            run.fetched += len(rows)
            run.skipped += len(rows)
    _units_from_labels(run)
    if progress:
        progress.set_total(run.fetched)
        progress.advance(run.fetched)
    records: list[Record] = [*run.units.values(), *run.publications.values()]
    return Parsed(list(records), run.fetched, run.failures, skipped=run.skipped, folded=run.folded)


def split_acronym(label: str) -> str | None:
    """ "CBCS" from "Chemical Biology Consortium Sweden (CBCS)"; None for "(Genomics
    Production)" or "(SNP&SEQ Technology Platform)"."""
    m = _ACRONYM.search(label)
    if not m or not label[: m.start()].strip():
        return None
    short = m.group(1)
    return short if sum(c.isupper() for c in short) >= 2 else None


def _read_units(run: _Run, payload: RawPayload, items: list[Any]) -> None:
    for n, item in enumerate(items, 1):
        run.fetched += 1
        where = f"{payload.label} unit {n}"
        label = None
        try:
            if not isinstance(item, dict):
                raise ValueError("a unit must be an object")
            label = one_line(item, "label")
            if not label:
                raise ValueError("a unit needs a label")
            if slug(label) in run.units:
                raise ValueError(f"the unit {label!r} is listed twice")
            qualifiers = _counts(item.get("qualifiers"), "qualifiers")
            years = _counts(item.get("by_year"), "by_year")
            by_year = tuple(YearCount(_year(y), c) for y, c in sorted(years.items()))
            total = item.get("publications", sum(qualifiers.values()))
            if isinstance(total, bool) or not isinstance(total, int) or total < 0:
                raise ValueError(f"publications must be a count, not {total!r}")
        except ValueError as exc:
            run.fail(slug(label) if label else None, where, str(exc), item)
            continue
        run.units[slug(label)] = _unit(run.source, label, total, qualifiers, by_year)


def _counts(value: Any, what: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object of counts")
    for key, count in value.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{what}: {key!r} has no count ({count!r})")
    return dict(value)


def _year(value: str) -> int:
    if not re.fullmatch(r"\d{4}", str(value)):
        raise ValueError(f"by_year: {value!r} is not a year")
    return int(value)


def _unit(
    source: str, label: str, total: int, qualifiers: dict[str, int], by_year: tuple[YearCount, ...]
) -> Facility:
    return Facility(
        source=source,
        source_id=slug(label),
        name=Text(en=label),
        acronym=split_acronym(label),
        description=Text(en=_description(total, qualifiers, by_year)),
        types=(TYPE,),
        country="SE",
        access_for=ACCESS_UNKNOWN,
        publications_by_year=by_year,
    )


def _description(total: int, qualifiers: dict[str, int], by_year: tuple[YearCount, ...]) -> str:
    """ "Named in 107 publications of SciLifeLab's publication database (2010-2017): 78 in
    collaboration, 18 in technology development, 11 as a service."""
    span = ""
    if by_year:
        first, last = by_year[0].year, by_year[-1].year
        span = f" ({first})" if first == last else f" ({first}-{last})"
    noun = "publication" if total == 1 else "publications"
    text = f"Named in {total} {noun} of SciLifeLab's publication database{span}"
    parts = [
        f"{count} {HOW.get(how.casefold(), f'as {how}')}"
        for how, count in sorted(qualifiers.items(), key=lambda kv: (-kv[1], kv[0]))
        if count
    ]
    return text + (": " + ", ".join(parts) if parts else "") + "."


def _read_publications(run: _Run, payload: RawPayload, data: dict[str, Any]) -> None:
    file_year = str(data.get("year") or "")
    for n, item in enumerate(data["publications"], 1):
        run.fetched += 1
        where = f"{payload.label} publication {n}"
        iuid = item.get("iuid") if isinstance(item, dict) else None
        fid = iuid if isinstance(iuid, str) and iuid.strip() else None
        try:
            publication = _publication(run.source, item, file_year)
        except ValueError as exc:
            run.fail(fid, where, str(exc), item)
            continue
        if publication.source_id in run.publications:
            run.folded += 1  # the later file's copy wins
        run.publications[publication.source_id] = publication


def _publication(source: str, item: Any, file_year: str) -> Publication:
    if not isinstance(item, dict):
        raise ValueError("a publication must be an object")
    iuid = one_line(item, "iuid")
    if not iuid:
        raise ValueError("a publication needs an iuid")
    title = one_line(item, "title")
    if not title:
        raise ValueError("a publication needs a title")
    published = _date(text_value(item, "published"))
    year = int(published[:4]) if published else (int(file_year) if file_year.isdigit() else None)
    labels = item.get("labels") or {}
    if not isinstance(labels, dict):
        raise ValueError("labels must be an object of unit: qualifier")
    uses = []
    for label, how in labels.items():
        name = " ".join(str(label).split())
        if not slug(name) or not (how is None or isinstance(how, str)):
            raise ValueError(f"labels: {label!r}: {how!r} is not a unit and its qualifier")
        uses.append(FacilityUse(Ref(slug(name), Text(en=name)), (how or "").strip() or None))
    journal = item.get("journal")
    if journal is not None and not isinstance(journal, dict):
        raise ValueError("journal must be an object")
    abstract = item.get("abstract")
    if isinstance(abstract, dict | list):
        raise ValueError("abstract must be a text")
    return Publication(
        source=source,
        source_id=iuid,
        title=Text(en=title),
        abstract=Text(en=clean_text(abstract)),
        year=year,
        published=published,
        journal=one_line(journal, "title") if journal else None,
        authors=_authors(item.get("authors")),
        doi=one_line(item, "doi"),
        pmid=one_line(item, "pmid"),
        facilities=tuple(uses),
        source_url=_display(item.get("links")),
    )


def _date(value: str | None) -> str | None:
    """ "2016-12-23"; "2017-12-00" -> "2017-12"; "2017-00-00" -> "2017"."""
    if not value:
        return None
    m = _DATE.match(value)
    if not m:
        raise ValueError(f"published is not a date: {value!r}")
    parts = [p for p in m.groups() if p is not None]
    while len(parts) > 1 and parts[-1] == "00":
        parts.pop()
    return "-".join(parts)


def _authors(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("authors must be a list")
    out = []
    for author in value:
        if not isinstance(author, dict):
            raise ValueError("an author must be an object")
        name = " ".join(p for p in (one_line(author, "given"), one_line(author, "family")) if p)
        if name:
            out.append(name)
    return tuple(out)


def _display(links: Any) -> str | None:
    display = links.get("display") if isinstance(links, dict) else None
    href = display.get("href") if isinstance(display, dict) else None
    return href if isinstance(href, str) and href.startswith(("http://", "https://")) else None


def _units_from_labels(run: _Run) -> None:
    """A unit the publications name that the units file lacks: a record from their figures."""
    found: dict[str, tuple[str, dict[str, int], dict[int, int]]] = {}
    for publication in run.publications.values():
        for use in publication.facilities:
            uid = use.facility.id or ""
            if uid in run.units:
                continue
            label = use.facility.name.en or uid
            _, how, years = found.setdefault(uid, (label, {}, {}))
            how[use.how or ""] = how.get(use.how or "", 0) + 1
            if publication.year is not None:
                years[publication.year] = years.get(publication.year, 0) + 1
    for uid, (label, how, years) in sorted(found.items()):
        run.fetched += 1
        by_year = tuple(YearCount(y, c) for y, c in sorted(years.items()))
        run.units[uid] = _unit(run.source, label, sum(how.values()), how, by_year)
