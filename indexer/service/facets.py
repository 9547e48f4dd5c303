"""Per-version document table: filters, multi-select facet counts and status, in memory.

An index version never changes, so everything facets and statistics need is read once when a
version is opened (``DocTable.load``) and shared by every request on it: for each facet, the
set of documents per value and each value's number; per document, its dates, amount, twin
flag, compact facts and the numbers of its values. Facet counts are one pass over the selected
documents' value numbers (``tally``: a ``Counter`` at C speed, or numpy for large sets, in
``indexer.service.tallies``), not per-hit grouping in Whoosh. A facet's counts ignore its own
selection (multi-select) and SSIF levels nest: a chosen level-1 area narrows the level-3
list, a chosen level-3 group the level-5 list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from indexer.documents.projects import Labels, date_int, today_int
from indexer.engine import FACET_FIELDS
from indexer.service.facet_lists import PARENT, listed
from indexer.service.request import SearchRequest
from indexer.service.results import Facet, FacetValue
from indexer.service.tallies import Tallier

STATUS_FACET = "status"


@dataclass
class DocTable:
    n: int
    live: frozenset[int]
    canonical: frozenset[int]
    projects: frozenset[int]
    start: list[int]
    end: list[int]
    amount: list[float]
    facts: list[dict[str, Any] | None]
    uids: list[str | None]
    by_value: dict[str, dict[str, frozenset[int]]]
    value_ids: dict[str, dict[str, int]]  # facet -> value -> its number in doc_values
    doc_values: list[tuple[int, ...]]  # per document, the numbers of its facet values
    _status_cache: dict[int, dict[str, frozenset[int]]] = field(default_factory=dict)
    _orders: dict[tuple[str, bool], list[int]] = field(default_factory=dict)
    _tallies: dict[int, Counter[int]] = field(default_factory=dict)
    _status_counts: dict[tuple[int, str, bool], int] = field(default_factory=dict)
    #: What other modules derive from the table once per version (statistics groups).
    derived: dict[str, Any] = field(default_factory=dict)
    #: Filters that are no facet (``person``): name -> the documents of some values.
    other_filters: dict[str, Callable[[tuple[str, ...]], frozenset[int]]] = field(
        default_factory=dict
    )

    @classmethod
    def load(cls, n: int, docs: Iterable[tuple[int, dict[str, Any]]]) -> DocTable:
        """Read the stored facts of every live document: ``n`` document numbers in all,
        ``docs`` (document, stored fields) of the live ones (``Index.stored_documents``)."""
        start = [0] * n
        end = [0] * n
        amount = [0.0] * n
        facts: list[dict[str, Any] | None] = [None] * n
        uids: list[str | None] = [None] * n
        live: set[int] = set()
        canonical: set[int] = set()
        projects: set[int] = set()
        by_value: dict[str, dict[str, set[int]]] = {name: {} for name in FACET_FIELDS}
        for docnum, stored in docs:
            f = stored["facts"]
            live.add(docnum)
            facts[docnum] = f
            uids[docnum] = stored["uid"]
            start[docnum] = f["start"]
            end[docnum] = f["end"]
            amount[docnum] = sum(m[2] for m in f["money"])
            if not f["twin"]:
                canonical.add(docnum)
            if f.get("kind", "project") == "project":
                projects.add(docnum)
            for name, values in _facet_values(f).items():
                index = by_value[name]
                for v in values:
                    index.setdefault(v, set()).add(docnum)
        frozen = {k: {v: frozenset(d) for v, d in vals.items()} for k, vals in by_value.items()}
        value_ids, doc_values = _number_values(frozen, n)
        return cls(
            n,
            frozenset(live),
            frozenset(canonical),
            frozenset(projects),
            start,
            end,
            amount,
            facts,
            uids,
            frozen,
            value_ids,
            doc_values,
        )

    # -- filtering --------------------------------------------------------------------------

    def base(self, matched: AbstractSet[int] | None, req: SearchRequest) -> AbstractSet[int]:
        """Documents that match the query and every filter except the facet and status
        selections (``apply`` adds those, so each one's own counts can ignore it).

        Read-only: it may be one of the table's own sets."""
        pool = self.live if req.include_twins else self.live_canonical
        if matched is None:
            docs: AbstractSet[int] = pool
        else:
            docs = matched & pool if len(matched) < len(pool) else pool & matched
        if req.amount_min is not None or req.amount_max is not None:
            lo = req.amount_min if req.amount_min is not None else float("-inf")
            hi = req.amount_max if req.amount_max is not None else float("inf")
            docs = {d for d in docs if lo <= self.amount[d] <= hi}
        return docs

    def first_in_order(
        self, key: str, reverse: bool, docs: AbstractSet[int], limit: int
    ) -> list[int]:
        """The first ``limit`` of ``docs`` by start, end or amount (ties by document number),
        walking an order sorted once per version instead of sorting ``docs`` every time."""
        if limit <= 0 or not docs:
            return []
        columns: dict[str, list[int] | list[float]] = {
            "start": self.start,
            "end": self.end,
            "amount": self.amount,
        }
        values = columns[key]
        if len(docs) * 16 < self.n:  # few documents: sorting them is cheaper than walking
            return by_value(docs, values, reverse)[:limit]
        order = self._orders.get((key, reverse))
        if order is None:
            order = self._orders[(key, reverse)] = by_value(self.live, values, reverse)
        out: list[int] = []
        for d in order:
            if d in docs:
                out.append(d)
                if len(out) >= limit:
                    break
        return out

    def prepare(self) -> None:
        """Made as the version opens rather than by the first request that needs them: every
        order ``first_in_order`` walks, the tallies of the whole collection and its status
        counts today (each about 0.1-0.3 s per million documents)."""
        self.tallier.prepare()
        self._whole(0, self.live)
        self._whole(1, self.live_canonical)
        for status in ("ongoing", "upcoming", "finished"):  # today's, in each pool
            for pool in (self.live, self.live_canonical):
                self._status_count(today_int(None), status, pool)
        ascending = sorted(self.live)
        for key, values in (("start", self.start), ("end", self.end), ("amount", self.amount)):
            for reverse in (False, True):
                self._orders[(key, reverse)] = sorted(
                    ascending, key=values.__getitem__, reverse=reverse
                )

    @cached_property
    def tallier(self) -> Tallier:
        return Tallier(self.doc_values)

    @cached_property
    def live_canonical(self) -> frozenset[int]:
        return self.live & self.canonical

    def status_sets(self, day: int) -> dict[str, frozenset[int]]:
        """Projects by status on ``day`` (computed once per day and version)."""
        cache = self._status_cache
        found = cache.get(day)
        if found is None:
            upcoming = frozenset(d for d in self.projects if self.start[d] > day)
            finished = frozenset(d for d in self.projects if self.end[d] < day) - upcoming
            found = {
                "upcoming": upcoming,
                "finished": finished,
                "ongoing": self.projects - upcoming - finished,
            }
            if len(cache) >= 8:  # any day may be asked for; keep a few
                cache.clear()
            cache[day] = found
        return found

    def selection(self, facet: str, values: tuple[str, ...]) -> frozenset[int]:
        if facet in self.other_filters:
            return self.other_filters[facet](values)
        index = self.by_value.get(facet, {})
        out: set[int] = set()
        for v in values:
            out |= index.get(v, frozenset())
        return frozenset(out)

    def apply(
        self, base: AbstractSet[int], req: SearchRequest
    ) -> tuple[AbstractSet[int], dict[str, AbstractSet[int]]]:
        """The final set, and per facet the set its counts come from (all other selections).
        Sets are shared, not copied, where no selection narrows them: read-only."""
        chosen = {f: self.selection(f, v) for f, v in req.filters.items()}
        if req.status:
            by_status = self.status_sets(today_int(req.on))
            chosen[STATUS_FACET] = frozenset().union(*(by_status[s] for s in req.status))
        final = _narrowed(base, list(chosen.values()))
        per_facet = {  # a facet without a selection of its own counts within the final set
            name: _narrowed(base, [sel for other, sel in chosen.items() if other != name])
            if name in chosen
            else final
            for name in (*FACET_FIELDS, STATUS_FACET)
        }
        return final, per_facet

    def status_of(self, doc: int, day: int) -> str:
        """ongoing / finished / upcoming on ``day``; "" for a facility (it has no period)."""
        if doc not in self.projects:
            return ""
        if self.start[doc] > day:
            return "upcoming"
        if self.end[doc] < day:
            return "finished"
        return "ongoing"

    # -- counting ---------------------------------------------------------------------------

    def facets(
        self, per_facet: dict[str, AbstractSet[int]], req: SearchRequest, labels: Labels
    ) -> list[Facet]:
        out = []
        tallies: dict[int, Counter[int]] = {}  # one count per distinct set (often one in all)
        pool = self.live if req.include_twins else self.live_canonical  # every set is within
        rests: dict[int, AbstractSet[int]] = {}  # the pool less a set, for tallies and status
        for name in FACET_FIELDS:
            docs = per_facet[name]
            tally = tallies.get(id(docs))
            if tally is None:
                tally = tallies[id(docs)] = self.tally(docs, pool, rests)
            ids = self.value_ids[name]
            counts: list[tuple[str, int, bool]] = []
            prefixes = self._parent_prefixes(name, req)
            for value in self.by_value[name]:
                if prefixes is not None and not value.startswith(prefixes):
                    continue
                c = tally.get(ids[value], 0)
                selected = value in req.filters.get(name, ())
                if c or selected:
                    counts.append((value, c, selected))
            values, more = listed(name, counts, req, labels)
            out.append(Facet(name, values, req.filters.get(name, ()), more=more))
        out.append(self._status_facet(per_facet[STATUS_FACET], req, pool, rests))
        return out

    def tally(
        self,
        docs: AbstractSet[int],
        pool: frozenset[int] | None = None,
        rests: dict[int, AbstractSet[int]] | None = None,
    ) -> Counter[int]:
        """How many of ``docs`` have each facet value (by number): one pass over the documents'
        value numbers in C, instead of one set intersection per value. The whole collection's
        tally (browsing with no query or filter) is made once per version; more than half of
        it is counted as the whole less the rest (a broad query's facets). ``pool``: the live
        or the live canonical documents, which ``docs`` is known to be within; ``rests``
        keeps each set's rest for the status counts of the same request."""
        for key, whole in ((1, self.live_canonical), (0, self.live)):
            if docs is whole:
                return self._whole(key, whole)
            if pool is not None and pool is not whole:
                continue
            if 2 * len(docs) > len(whole) and (pool is not None or docs <= whole):
                counts = self._whole(key, whole).copy()
                counts.subtract(self.tallier.count(_rest(whole, docs, rests)))
                return counts
        return self.tallier.count(docs)

    def _whole(self, key: int, pool: frozenset[int]) -> Counter[int]:
        found = self._tallies.get(key)
        if found is None:
            found = self._tallies[key] = self.tallier.count(pool)
        return found

    def _parent_prefixes(self, name: str, req: SearchRequest) -> tuple[str, ...] | None:
        for parent in PARENT.get(name, ()):
            chosen = req.filters.get(parent)
            if chosen:
                return tuple(chosen)
        return None

    def _status_facet(
        self,
        docs: AbstractSet[int],
        req: SearchRequest,
        pool: frozenset[int],
        rests: dict[int, AbstractSet[int]] | None = None,
    ) -> Facet:
        """Status counts over projects (facilities have no period); for more than half of the
        pool, each status's count in the pool (once per day) less its count in the rest."""
        day = today_int(req.on)
        by_status = self.status_sets(day)
        if 2 * len(docs) > len(pool):
            rest = _rest(pool, docs, rests)
            counts = {
                s: self._status_count(day, s, pool) - _overlap(by_status[s], rest)
                for s in by_status
            }
        else:
            counts = {s: _overlap(by_status[s], docs) for s in by_status}
        values = tuple(
            FacetValue(s, STATUS_LABELS[s][req.lang], counts[s], s in req.status)
            for s in ("ongoing", "upcoming", "finished")
        )
        return Facet(STATUS_FACET, values, tuple(req.status))

    def _status_count(self, day: int, status: str, pool: frozenset[int]) -> int:
        key = (day, status, pool is self.live)
        found = self._status_counts.get(key)
        if found is None:
            if len(self._status_counts) >= 48:
                self._status_counts.clear()
            found = self._status_counts[key] = _overlap(self.status_sets(day)[status], pool)
        return found


def _rest(
    pool: frozenset[int], docs: AbstractSet[int], rests: dict[int, AbstractSet[int]] | None
) -> AbstractSet[int]:
    """``pool`` less ``docs``, made once per set of one request (``rests``, by set id)."""
    if rests is None:
        return pool - docs
    found = rests.get(id(docs))
    if found is None:
        found = rests[id(docs)] = pool - docs
    return found


def _overlap(a: AbstractSet[int], b: AbstractSet[int]) -> int:
    return len(a & b) if len(a) < len(b) else len(b & a)


def _narrowed(base: AbstractSet[int], selections: list[frozenset[int]]) -> AbstractSet[int]:
    """``base`` within every selection, smallest first; ``base`` itself when none."""
    if not selections:
        return base
    out: set[int] | frozenset[int] | AbstractSet[int] = base
    for sel in sorted(selections, key=len):
        out = out & sel if len(out) < len(sel) else sel & out
    return out


STATUS_LABELS = {
    "ongoing": {"en": "Ongoing", "sv": "Pågående"},
    "upcoming": {"en": "Upcoming", "sv": "Kommande"},
    "finished": {"en": "Finished", "sv": "Avslutade"},
}


def status_on(start: int, end: int, day: date | None = None) -> str:
    d = today_int(day)
    return "upcoming" if start > d else "finished" if end < d else "ongoing"


def project_status(start: str | None, end: str | None, day: date | None = None) -> str:
    """ "ongoing", "upcoming" or "finished" on ``day`` (today) for a project's ``YYYY-MM-DD``
    start and end (an open start or end never limits it): the facet's rule, for one project."""
    return status_on(date_int(start, 0), date_int(end, 99991231), day)


def by_value(docs: AbstractSet[int], values: list[Any], reverse: bool) -> list[int]:
    """``docs`` by ``values[doc]`` (descending when ``reverse``), ties by document number:
    two sorts with C-level keys (Python's sort is stable, in reverse too), not a tuple built
    per document by a Python key function (a million documents: ~3x faster)."""
    return sorted(sorted(docs), key=values.__getitem__, reverse=reverse)


def _number_values(
    by_value: dict[str, dict[str, frozenset[int]]], n: int
) -> tuple[dict[str, dict[str, int]], list[tuple[int, ...]]]:
    """Number every (facet, value) and list each document's numbers (for ``tally``)."""
    value_ids: dict[str, dict[str, int]] = {}
    per_doc: list[list[int]] = [[] for _ in range(n)]
    number = 0
    for name, values in by_value.items():
        ids = value_ids[name] = {}
        for value, docs in values.items():
            ids[value] = number
            for d in docs:
                per_doc[d].append(number)
            number += 1
    return value_ids, [tuple(x) for x in per_doc]


def _facet_values(f: dict[str, Any]) -> dict[str, list[str]]:
    subjects = f["subjects"]
    return {
        "funder": f["funders"],
        "org": [f["org"]] if f["org"] else [],
        "org_type": [f["org_type"]] if f["org_type"] else [],
        "award": f["award"],
        "year": [str(y) for y in f["years"]],
        "subject1": sorted({s[0] for s in subjects if s[0]}),
        "subject3": sorted({s[1] for s in subjects if s[1]}),
        "subject5": sorted({s[2] for s in subjects if s[2]}),
        "kind": [f.get("kind", "project")],
        "facility_type": f.get("facility_types", []),
        "facility": f.get("facilities", []),
        "access": f.get("access", []),
        "country": f.get("country", []),
        "place": f.get("place", []),
        "source": f.get("source", []),
    }
