"""SQLite FTS5 (standard library ``sqlite3``) as a peer engine for the benchmarks.

Owns: ``Fts5Peer``: one database file with ``projects`` (id, title, amount, twin flag), an FTS5
table of the searchable text (Swedish and English titles and abstracts, people, coordinator,
funder names), ``facets`` (project, facet, value) and ``fundings`` (project, year, funder,
SEK), all written with ``executemany`` in one transaction, then indexed and optimised.

A search puts the matching project ids (with their bm25 score) in a temporary table, then
reads the total, the page (by bm25, or by amount, at an offset), and the counts of every facet
value by one GROUP BY over the matched ids (a filtered facet is counted again without its own
filter, as our multi-select facets are); statistics are a GROUP BY year, funder with
SUM(amount) over the fundings of the matched ids.

Closest equivalent, and where it differs from our engine: the tokenizer is ``unicode61
remove_diacritics 0`` (å, ä, ö stay letters, as ours), but there is no stemming for either
language (``porter=True`` puts the Porter stemmer in front, for every column; English-only
stemming would need a second FTS table), no stopwords and no compound splitting, so a Swedish
inflection or compound part does not match and ``swedish compound`` queries find only the
whole word. bm25 column weights follow our field boosts (titles 8, abstracts 0.7, people 2).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Any

from bench.mix import Case
from bench.peers import FACET_SIZE, clauses, facet_values

COLUMNS = ("title_sv", "title_en", "abstract_sv", "abstract_en", "person", "org", "funder")
WEIGHTS = (8.0, 8.0, 0.7, 0.7, 2.0, 1.0, 1.0)
FIELD_COLUMNS = {"title": ("title_sv", "title_en"), "abstract": ("abstract_sv", "abstract_en")}
BATCH = 2_000
SCAN_RATIO = 8  # below 1/8 of the projects, facet rows are looked up per matched project
INSERT_TEXT = f"INSERT INTO fts (rowid, {', '.join(COLUMNS)}) VALUES (?,?,?,?,?,?,?,?)"

_SCHEMA = """
CREATE TABLE projects (rowid INTEGER PRIMARY KEY, id TEXT, title TEXT, amount REAL, twin INTEGER);
CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize = '{tokenize}');
CREATE TABLE facets (project INTEGER, facet TEXT, value TEXT);
CREATE TABLE fundings (project INTEGER, year INTEGER, funder TEXT, amount REAL);
"""
_INDEXES = """
CREATE INDEX facets_value ON facets (facet, value, project);
CREATE INDEX facets_project ON facets (project, facet, value);
CREATE INDEX fundings_project ON fundings (project);
CREATE INDEX projects_amount ON projects (amount);
INSERT INTO fts (fts) VALUES ('optimize');
ANALYZE;
"""


class Fts5Peer:
    name = "sqlite-fts5"

    def __init__(self, porter: bool = False) -> None:
        self.tokenize = ("porter " if porter else "") + "unicode61 remove_diacritics 0"
        self.path: Path | None = None
        self.db: sqlite3.Connection | None = None
        self.count = 0

    def build(self, records: Iterable[dict[str, Any]], workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.path = workdir / "fts5.sqlite3"
        self.path.unlink(missing_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)
        db.executescript(_SCHEMA.format(columns=", ".join(COLUMNS), tokenize=self.tokenize))
        db.execute("BEGIN")
        items = iter(records)
        row = 0
        while batch := list(islice(items, BATCH)):
            projects, texts, facets, fundings = [], [], [], []
            for rec in batch:
                row += 1
                title = rec["title_en"] or rec["title_sv"]
                projects.append((row, rec["id"], title, rec["amount"], int(rec["twin"])))
                people = " ".join(rec["people"])
                texts.append(
                    (row, rec["title_sv"], rec["title_en"], rec["abstract_sv"], rec["abstract_en"],
                     people, rec["org_name"], rec["funder_name"])
                )  # fmt: skip
                facets += [(row, f, v) for f, vs in facet_values(rec).items() for v in vs]
                fundings += [(row, y, f, a) for y, f, a in rec["fundings"]]
            db.executemany("INSERT INTO projects VALUES (?,?,?,?,?)", projects)
            db.executemany(INSERT_TEXT, texts)
            db.executemany("INSERT INTO facets VALUES (?,?,?)", facets)
            db.executemany("INSERT INTO fundings VALUES (?,?,?,?)", fundings)
        db.execute("COMMIT")
        self.count = row
        db.executescript(_INDEXES)
        db.execute("CREATE TEMP TABLE hits (id INTEGER PRIMARY KEY, score REAL, amount REAL)")
        self.db = db

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path else 0

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def _match(self, q: str, join: str = " AND ") -> str | None:
        """The FTS5 expression of our query text: quoted tokens, ANDed (or ``join``ed); a
        phrase stays one."""
        parts = []
        for field, tokens in clauses(q):
            quoted = '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'
            cols = FIELD_COLUMNS.get(field or "")
            parts.append(f"{{{' '.join(cols)}}} : {quoted}" if cols else quoted)
        return join.join(parts) or None

    def ranked(self, q: str, k: int, any_word: bool = False) -> list[str]:
        """The ids of the ``k`` best matches by bm25 (every word required, or any of them):
        the relevance bench's run (``bench/relevance.py``)."""
        assert self.db is not None, "build() first"
        match = self._match(q, " OR " if any_word else " AND ")
        if match is None:
            return []
        sql, args = self._select(match, {})
        rows = self.db.execute(
            f"SELECT p.id FROM ({sql}) h JOIN projects p ON p.rowid = h.id ORDER BY h.score, h.id"
            " LIMIT ?",
            [*args, k],
        )
        return [r[0] for r in rows]

    def _select(self, match: str | None, filters: dict[str, tuple[str, ...]]) -> tuple[str, list]:
        """SQL for (id, score, amount) of the matching canonical projects under ``filters``."""
        args: list[Any] = []
        if match:
            weights = ", ".join(str(w) for w in WEIGHTS)
            sql = (
                f"SELECT fts.rowid AS id, bm25(fts, {weights}) AS score, p.amount FROM fts"
                " JOIN projects p ON p.rowid = fts.rowid WHERE fts MATCH ? AND p.twin = 0"
            )
            args.append(match)
        else:
            sql = "SELECT p.rowid AS id, 0.0 AS score, p.amount FROM projects p WHERE p.twin = 0"
        for facet, values in filters.items():
            marks = ",".join("?" * len(values))
            sql += (
                " AND p.rowid IN (SELECT project FROM facets"
                f" WHERE facet = ? AND value IN ({marks}))"
            )
            args += [facet, *values]
        return sql, args

    def run(self, case: Case) -> int:
        db = self.db
        assert db is not None, "build() first"
        match = self._match(case.q)
        sql, args = self._select(match, case.filters)
        db.execute("DELETE FROM hits")
        db.execute(f"INSERT INTO hits {sql}", args)
        total = int(db.execute("SELECT COUNT(*) FROM hits").fetchone()[0])
        if case.stats_by:
            db.execute(
                "SELECT f.year, f.funder, COUNT(DISTINCT f.project), SUM(f.amount)"
                " FROM hits h JOIN fundings f ON f.project = h.id GROUP BY f.year, f.funder"
            ).fetchall()
            return total
        order = "amount DESC, id" if case.sort == "amount_desc" else "score, id"
        db.execute(
            f"SELECT p.id, p.title FROM (SELECT id FROM hits ORDER BY {order} LIMIT ? OFFSET ?) h"
            " CROSS JOIN projects p ON p.rowid = h.id",
            (case.size, (case.page - 1) * case.size),
        ).fetchall()
        counts: dict[str, list[tuple[str, int]]] = {}
        # Few hits: look their facet rows up by project; many: let SQLite scan the index.
        join = "CROSS JOIN" if total * SCAN_RATIO < self.count else "JOIN"
        for facet, value, n in db.execute(
            f"SELECT f.facet, f.value, COUNT(*) FROM hits h {join} facets f ON f.project = h.id"
            " GROUP BY f.facet, f.value"
        ):
            counts.setdefault(facet, []).append((value, n))
        for facet in case.filters:  # multi-select: a facet's counts ignore its own filter
            others = {k: v for k, v in case.filters.items() if k != facet}
            inner, inner_args = self._select(match, others)
            rows = db.execute(
                "SELECT value, COUNT(*) FROM facets WHERE facet = ? AND project IN"
                f" (SELECT id FROM ({inner})) GROUP BY value",
                [facet, *inner_args],
            ).fetchall()
            counts[facet] = [(v, n) for v, n in rows]
        for facet, values in counts.items():
            counts[facet] = sorted(values, key=lambda vn: -vn[1])[:FACET_SIZE]
        return total
