"""SweCRIS normalisation: raw API pages and export files into ``Project`` records.

Pure functions, no I/O beyond decoding bytes handed in. ``harvesters.sources.swecris.rows`` reads
every SweCRIS shape we meet into raw rows (re-exported here); ``normalise_row`` makes one row a
project, whatever the key casing, with people and subjects as lists or packed with ``¤``. A row
it cannot use (no projectId, a list where one value belongs, a bad date or amount, bytes that
are not UTF-8) is a ``ParseError`` with the row's id and the reason.

A SweCRIS row is one funding decision. ``group_projects`` folds rows into projects by
``projectId``. ``link_twins`` finds the RJ/Vinnova twins (same number, title and amount under
two funders) and applies the documented rule: the canonical twin is the one *not* filed under
Riksbankens Jubileumsfond (``_RJ``; the number is a Vinnova diary number), otherwise the
lowest projectId; the other twin keeps its page and its search hit but sets ``twin_of`` and
counts neither as a project nor as money in any statistic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from harvesters.core.errors import ParseError
from harvesters.core.records import (
    AwardType,
    Funding,
    OrgRef,
    Person,
    Project,
    Subject,
    SubjectPath,
    Text,
)
from harvesters.sources.clean import (
    clean_orcid,
    clean_str,
    clean_text,
    parse_amount,
    parse_date,
    parse_int,
    parse_timestamp,
)
from harvesters.sources.csv_rows import bad_bytes_in
from harvesters.sources.swecris.rows import camel, csv_rows, rows_from_csv, rows_from_json

__all__ = ["csv_rows", "group_projects", "link_twins", "normalise_row", "rows_from_csv"]
__all__ += ["rows_from_json", "row_id"]

SOURCE = "swecris"
PROJECT_URL = "https://www.vr.se/english/swecris.html#/project/{id}"
_SUFFIX = re.compile(r"^(?P<number>.+)_(?P<funder>[A-Za-z]+)$")


# -- row -> one-funding project ------------------------------------------------------------------


def row_id(row: dict[str, Any]) -> str | None:
    """The projectId of a raw row, whatever the key casing; None when absent."""
    return clean_str(row.get("projectId", row.get("ProjectId")))


def normalise_row(raw: dict[str, Any]) -> Project:
    """One SweCRIS row (one funding decision) as a project with a single funding.

    Raises ``ParseError`` with the row's id and the reason when the row cannot be used.
    """
    if not isinstance(raw, dict):
        raise ParseError(None, f"expected an object, got {type(raw).__name__}")
    row = {camel(str(k)): v for k, v in raw.items() if k is not None}
    wrong = next((k for k in _SCALARS if isinstance(row.get(k), dict | list)), None)
    pid = None if wrong == "projectId" else clean_str(row.get("projectId"))
    if wrong:
        raise ParseError(pid, f"{wrong}: expected a single value, got {type(row[wrong]).__name__}")
    if not pid:
        raise ParseError(None, "no projectId")
    if row.get("__error__"):
        raise ParseError(pid, str(row["__error__"]))
    undecodable = bad_bytes_in(raw)
    if undecodable:
        raise ParseError(pid, undecodable)
    try:
        award = _award(row)
        amount = parse_amount(row.get("fundingsSek"))
        funding = Funding(
            funder=_org(row, "fundingOrganisation"),
            amount=amount,
            currency="SEK" if amount is not None else None,  # the column is in SEK
            year=parse_int(row.get("fundingYear")),
            start=parse_date(row.get("fundingStartDate")),
            end=parse_date(row.get("fundingEndDate"), end=True),
            award_type=award,
            source_id=pid,
        )
        coordinator = _org(row, "coordinatingOrganisation")
        return Project(
            source=SOURCE,
            source_id=pid,
            title=Text(
                sv=clean_str(row.get("projectTitleSv")), en=clean_str(row.get("projectTitleEn"))
            ),
            abstract=Text(
                sv=clean_text(row.get("projectAbstractSv")),
                en=clean_text(row.get("projectAbstractEn")),
            ),
            start=parse_date(row.get("projectStartDate")),
            end=parse_date(row.get("projectEndDate"), end=True),
            coordinator=coordinator if (coordinator.id or coordinator.name) else None,
            fundings=(funding,),
            award_type=award,
            people=_people(row),
            subjects=_subjects(row.get("scbs")),
            source_url=PROJECT_URL.format(id=quote(pid, safe="")),
            loaded=parse_timestamp(row.get("loadedDate")),
            updated=parse_timestamp(row.get("updatedDate")),
        )
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ParseError(pid, str(exc)) from exc


_ORG_FIELDS = ("Id", "NameSv", "NameEn", "TypeOfOrganisationSv", "TypeOfOrganisationEn")
_SCALARS = (
    "projectId",
    *(f"project{f}{lang}" for f in ("Title", "Abstract") for lang in ("Sv", "En")),
    *(f"{kind}Organisation{f}" for kind in ("coordinating", "funding") for f in _ORG_FIELDS),
    *("projectStartDate", "projectEndDate", "fundingStartDate", "fundingEndDate"),
    *("fundingsSek", "fundingYear", "typeOfAwardId", "typeOfAwardDescrSv", "typeOfAwardDescrEn"),
    *("loadedDate", "updatedDate"),
)  # the fields read as one value: a list or an object there is a wrong type


def _org(row: dict[str, Any], prefix: str) -> OrgRef:
    return OrgRef(
        id=clean_str(row.get(f"{prefix}Id")),
        name=Text(
            sv=clean_str(row.get(f"{prefix}NameSv")), en=clean_str(row.get(f"{prefix}NameEn"))
        ),
        type=Text(
            sv=clean_str(row.get(f"{prefix}TypeOfOrganisationSv")),
            en=clean_str(row.get(f"{prefix}TypeOfOrganisationEn")),
        ),
    )


def _award(row: dict[str, Any]) -> AwardType | None:
    code = clean_str(row.get("typeOfAwardId"))
    if code is None:
        return None
    if code.endswith(".0"):
        code = code[:-2]
    return AwardType(
        id=code,
        label=Text(
            sv=clean_str(row.get("typeOfAwardDescrSv")), en=clean_str(row.get("typeOfAwardDescrEn"))
        ),
    )


def _people(row: dict[str, Any]) -> tuple[Person, ...]:
    raw = row.get("peopleList")
    if raw is None:
        raw = row.get("involvedPeople")
    items: list[dict[str, Any]] = []
    if isinstance(raw, list):
        items = [p for p in raw if isinstance(p, dict)]
    elif isinstance(raw, str):
        for chunk in raw.split("¤¤¤"):
            if not chunk.strip():
                continue
            parts = (chunk.split("¤") + [""] * 6)[:6]
            items.append(
                dict(
                    zip(
                        ("personId", "fullName", "orcId", "roleEn", "roleSv", "gender"),
                        parts,
                        strict=True,
                    )
                )
            )
    elif raw not in (None, ""):
        raise ValueError(f"people must be a list or a ¤-packed string, got {type(raw).__name__}")
    people: list[Person] = []
    seen: set[tuple[str, str | None]] = set()
    for item in items:
        name = clean_str(item.get("fullName"))
        if not name:
            continue
        orcid = clean_orcid(item.get("orcId") or item.get("orcid"))
        if (name, orcid) in seen:
            continue
        seen.add((name, orcid))
        people.append(
            Person(
                name=name,
                role=Text(sv=clean_str(item.get("roleSv")), en=clean_str(item.get("roleEn"))),
                orcid=orcid,
                person_id=clean_str(item.get("personId")),
            )
        )
    return tuple(people)


_SCB_SEGMENT = re.compile(r"(\d{1,5}):\s*(.*?)(?=,\s*\d{1,5}:\s|$)", re.S)
_LABEL_SPLIT = re.compile(r",\s+(?=[A-ZÅÄÖ])")


def _subjects(raw: Any) -> tuple[SubjectPath, ...]:
    paths: list[SubjectPath] = []
    if isinstance(raw, list):
        for item in raw:
            if not isinstance(item, dict):
                continue
            levels = {}
            for lvl in (1, 3, 5):
                code = clean_str(item.get(f"scb{lvl}Id"))
                if code:
                    levels[lvl] = Subject(
                        code,
                        Text(
                            clean_str(item.get(f"scb{lvl}NameSv")),
                            clean_str(item.get(f"scb{lvl}NameEn")),
                        ),
                    )
            if levels:
                paths.append(SubjectPath(levels.get(1), levels.get(3), levels.get(5)))
    elif isinstance(raw, str):
        for chunk in raw.split("¤¤¤"):
            levels = {}
            for m in _SCB_SEGMENT.finditer(chunk.strip()):
                code, label = m.group(1), clean_str(m.group(2)) or ""
                parts = _LABEL_SPLIT.split(label, maxsplit=1)
                sv, en = (parts[0], parts[1]) if len(parts) == 2 else (label, "")
                if len(code) in (1, 3, 5):
                    levels[len(code)] = Subject(code, Text(clean_str(sv), clean_str(en)))
            if levels:
                paths.append(SubjectPath(levels.get(1), levels.get(3), levels.get(5)))
    elif raw not in (None, ""):
        raise ValueError(f"scbs must be a list or a ¤-packed string, got {type(raw).__name__}")
    unique: dict[tuple[str, ...], SubjectPath] = {}
    for path in paths:
        unique.setdefault(tuple(path.codes()), path)
    return tuple(unique.values())


# -- rows -> projects ----------------------------------------------------------------------------


def group_projects(rows: Iterable[Project]) -> list[Project]:
    """Fold one-funding projects with the same projectId into one project, in first-seen order."""
    groups: dict[str, list[Project]] = {}
    for p in rows:
        groups.setdefault(p.source_id, []).append(p)
    return [_merge(parts) for parts in groups.values()]


def _merge(parts: list[Project]) -> Project:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    fundings = {
        (f.funder.id, f.year, f.start, f.end, f.amount): f for p in parts for f in p.fundings
    }
    people: dict[tuple[str, str | None], Person] = {}
    subjects: dict[tuple[str, ...], SubjectPath] = {}
    for p in parts:
        for person in p.people:
            people.setdefault((person.name, person.orcid), person)
        for path in p.subjects:
            subjects.setdefault(tuple(path.codes()), path)
    starts = [p.start for p in parts if p.start]
    ends = [p.end for p in parts if p.end]
    loaded = [p.loaded for p in parts if p.loaded]
    updated = [p.updated for p in parts if p.updated]
    return replace(
        first,
        title=_first_text(p.title for p in parts),
        abstract=_first_text(p.abstract for p in parts),
        start=min(starts) if starts else None,
        end=max(ends) if ends else None,
        coordinator=next((p.coordinator for p in parts if p.coordinator), None),
        fundings=tuple(sorted(fundings.values(), key=_funding_order)),
        people=tuple(people.values()),
        subjects=tuple(subjects.values()),
        loaded=max(loaded) if loaded else None,
        updated=max(updated) if updated else None,
    )


def _funding_order(f: Funding) -> tuple[int, str, str]:
    return (f.year or 0, f.start or "", f.funder.id or "")


def _first_text(texts: Iterable[Text]) -> Text:
    sv = en = None
    for t in texts:
        sv = sv or t.sv
        en = en or t.en
    return Text(sv=sv, en=en)


def _titles(p: Project) -> set[str]:
    return {t.casefold() for t in (p.title.sv, p.title.en) if t}


def link_twins(projects: Iterable[Project]) -> list[Project]:
    """Set ``twins`` and ``twin_of`` on every project by the rule in the module docstring.

    Twins share the number before the funder suffix and a title (Swedish or English) and are
    filed under different funders. Their amounts usually agree; where they do not (20 of the
    1,372 KTH pairs), the canonical twin's amount is the one statistics count.
    """
    items = list(projects)
    by_number: dict[str, list[int]] = {}
    for i, p in enumerate(items):
        m = _SUFFIX.match(p.source_id)
        if m and _titles(p):
            by_number.setdefault(m.group("number"), []).append(i)
    out = [replace(p, twins=(), twin_of=None) if (p.twins or p.twin_of) else p for p in items]
    for members in by_number.values():
        clusters: list[list[int]] = []
        for i in members:
            home = next((c for c in clusters if _titles(items[c[0]]) & _titles(items[i])), None)
            if home is None:
                clusters.append([i])
            else:
                home.append(i)
        for cluster in clusters:
            if len(cluster) > 1:
                _mark_twins(items, out, cluster)
    return out


def _mark_twins(items: list[Project], out: list[Project], cluster: list[int]) -> None:
    ordered = sorted(
        cluster, key=lambda i: (items[i].source_id.endswith("_RJ"), items[i].source_id)
    )
    canonical = items[ordered[0]].source_id
    ids = tuple(items[i].source_id for i in ordered)
    for i in ordered:
        own = items[i].source_id
        out[i] = replace(
            out[i],
            twins=tuple(x for x in ids if x != own),
            twin_of=None if own == canonical else canonical,
        )
