"""People per index version: the ``person`` filter, names, name search and person profiles.

A person is known by ``person_key`` (``orcid:<ORCID>``, else the source's own person id), the
key every project names its people by in its stored facts and the build's people file
(``indexer.building.people``: a source's person records, such as CERIF Persons, with their
affiliations) uses too. ``People.load`` reads both once per version and serves:

- the ``person`` filter: the documents per key (``docs``), which ``DocTable`` consults as a
  filter of its own (no facet: a list of thousands of names helps no one);
- ``named``: the people whose names hold every word of a search (accents and case folded),
  most projects first, for the search page's "people" box;
- ``profile``: a person page's facts (name, ORCID, projects and leads, co-workers with the
  projects they share, the person record's affiliations and identifiers);
- ``counted``: the people of a selection of projects with how many they are on and lead (an
  organisation page's most active people), and ``affiliated``: the person records that name an
  organisation.

SweCRIS's person ids are its own and may change between exports; an ORCID key does not.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from harvesters.core.records import Person, Project, Text
from indexer.documents.projects import leads, person_key
from indexer.errors import RecordNotFound
from indexer.service.results import Hit, OrgName, PersonCount, PersonProfile

PERSON_FILTER = "person"
COWORKERS = 30  # the people a person shares most projects with
NAMED = 8  # people shown for a search
NAME_WORDS = 5  # a search of more words is no one's name
_ORCID = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]")
_WORD = re.compile(r"\w+")


def fold(text: str) -> list[str]:
    """The words of a name, case and accents folded ("Lösch" -> "losch")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in plain if not unicodedata.combining(c)))


def canonical_key(key: str) -> str:
    """A bare ORCID is the key ``orcid:<ORCID>`` (its check digit X in capitals, as ORCID
    writes it); any other key is as given."""
    bare = key[6:] if key.startswith("orcid:") else key
    return f"orcid:{bare.upper()}" if _ORCID.fullmatch(bare.upper()) else key


@dataclass
class People:
    docs: dict[str, tuple[int, ...]]  # key -> the documents (projects) that name the person
    names: dict[str, str]
    records: dict[str, dict[str, Any]]  # key -> the person record's entry (people.json)
    words: dict[str, frozenset[str]]  # folded name word -> keys
    by_org: dict[str, tuple[str, ...]]  # organisation key -> keys of people affiliated to it

    @classmethod
    def load(cls, facts: list[dict[str, Any] | None], records: dict[str, dict[str, Any]]) -> People:
        docs: dict[str, set[int]] = {}
        names: dict[str, str] = {}
        for doc, f in enumerate(facts):
            for key, name, _leads in (f or {}).get("people", ()):
                docs.setdefault(key, set()).add(doc)
                names.setdefault(key, name)
        by_org: dict[str, list[str]] = {}
        for key, entry in records.items():
            names[key] = entry.get("name") or names.get(key) or key
            for aff in entry.get("affiliations", ()):
                by_org.setdefault(aff["key"], []).append(key)
        words: dict[str, set[str]] = {}
        for key, name in names.items():
            for w in fold(name):
                words.setdefault(w, set()).add(key)
        return cls(
            {k: tuple(sorted(v)) for k, v in docs.items()},
            names,
            records,
            {w: frozenset(k) for w, k in words.items()},
            {k: tuple(sorted(v, key=names.__getitem__)) for k, v in by_org.items()},
        )

    def selection(self, keys: Iterable[str]) -> frozenset[int]:
        out: set[int] = set()
        for key in keys:
            out.update(self.docs.get(canonical_key(key), ()))
        return frozenset(out)

    def count(self, key: str, pool: AbstractSet[int], live: AbstractSet[int]) -> int:
        """A person's projects in ``pool`` (the canonical ones); those in ``live`` when they
        are named only on twin copies."""
        docs = self.docs.get(key, ())
        return sum(d in pool for d in docs) or sum(d in live for d in docs)

    def named(
        self, text: str, pool: AbstractSet[int], live: AbstractSet[int], limit: int = NAMED
    ) -> list[PersonCount]:
        """People whose names hold every word of ``text``, most projects first."""
        wanted = fold(text)
        if not wanted or len(wanted) > NAME_WORDS:
            return []
        found: set[str] | None = None
        for w in wanted:
            keys = self.words.get(w, frozenset())
            found = set(keys) if found is None else found & keys
            if not found:
                return []
        people = [PersonCount(k, self.names[k], self.count(k, pool, live)) for k in found or ()]
        people.sort(key=lambda p: (-p.projects, p.name.casefold(), p.key))
        return people[:limit]

    def counted(
        self, facts: list[dict[str, Any] | None], docs: AbstractSet[int], limit: int
    ) -> tuple[list[PersonCount], int]:
        """The people of ``docs`` with how many they are on and lead, leads first; and how
        many people there are in all."""
        on: Counter[str] = Counter()
        led: Counter[str] = Counter()
        for doc in docs:
            for key, _name, lead in (facts[doc] or {}).get("people", ()):
                on[key] += 1
                led[key] += bool(lead)
        names = {k: self.names.get(k) or k for k in on}
        ranked = sorted(on, key=lambda k: (-led[k], -on[k], names[k].casefold(), k))
        return [PersonCount(k, names[k], on[k], led[k]) for k in ranked[:limit]], len(on)

    def affiliated(self, org: str) -> list[PersonCount]:
        """The person records that name organisation ``org`` as an affiliation."""
        return [
            PersonCount(k, self.names[k], len(self.docs.get(k, ())))
            for k in self.by_org.get(org, ())
        ]

    def profile(
        self,
        key: str,
        facts: list[dict[str, Any] | None],
        pool: AbstractSet[int],
        live: AbstractSet[int],
        lang: str,
    ) -> PersonProfile:
        """The facts of a person page, over their projects in ``pool`` (the live, canonical
        ones), else, for a person named only on twin copies, in ``live``; ``RecordNotFound``
        for a key no project or person record names."""
        key = canonical_key(key)
        named = self.docs.get(key, ())
        docs = {d for d in named if d in pool}
        twins = not docs and any(d in live for d in named)
        if twins:
            docs = {d for d in named if d in live}
        record = self.records.get(key)
        if not docs and record is None:
            raise RecordNotFound(f"no person {key[:80]!r} in this index")
        shared: Counter[str] = Counter()
        led = 0
        for doc in docs:
            for k, _name, lead in (facts[doc] or {}).get("people", ()):
                if k != key:
                    shared[k] += 1
                elif lead:
                    led += 1
        names = {k: self.names.get(k) or k for k in shared}
        ranked = sorted(shared, key=lambda k: (-shared[k], names[k].casefold(), k))
        coworkers = tuple(PersonCount(k, names[k], shared[k]) for k in ranked[:COWORKERS])
        entry = record or {}
        affiliations = tuple(
            OrgName(None, a["key"], Text(**a["name"]).get(lang))
            for a in entry.get("affiliations", ())
        )
        orcid = entry.get("orcid") or (key[6:] if key.startswith("orcid:") else None)
        return PersonProfile(
            key=key,
            name=self.names.get(key, key),
            orcid=orcid,
            projects=len(docs),
            leads=led,
            coworkers=coworkers,
            more_coworkers=max(0, len(shared) - len(coworkers)),
            affiliations=affiliations,
            identifiers=tuple((t, v) for t, v in entry.get("identifiers", ()) if t != "orcid"),
            sources=tuple(entry.get("sources", ())),
            twins_only=twins,
        )


def people_of(p: Project) -> list[tuple[Person, str | None, bool]]:
    """A project's people with their keys and whether they lead, those who lead first (in the
    source's order otherwise)."""
    named = [(x, person_key(p.source, x), leads(x)) for x in p.people]
    return sorted(named, key=lambda x: not x[2])


def role_of(hit: Hit, key: str, lang: str) -> str | None:
    """The role the person ``key`` has on the project of ``hit`` (as its source names it)."""
    record = hit.source_record
    if not isinstance(record, Project):
        return None
    key = canonical_key(key)
    roles = [p.role.get(lang) or "" for p in record.people if person_key(record.source, p) == key]
    return ", ".join(dict.fromkeys(r for r in roles if r)) or None
