"""A synthetic, SweCRIS-like corpus for the benchmarks: generated, written, mutated.

Owns: the deterministic generator (``iter_projects``, ``iter_plain``, ``Generator``), writing
a data folder's record store as one complete harvest run (``write_home``), changing a share of
it as a later partial run (``mutate_home``) and the CLI::

    python bench/corpus.py --home DIR -n 100000 [--seed 1]     # write; prints records/s
    python bench/corpus.py --dry-run -n 20000                   # generate only
    python bench/corpus.py --home DIR --mutate 0.01 [--seed 2]  # change 1% of DIR

Everything comes from the model :mod:`bench.corpus_model` learns from the real exports.
Text: sentences are walks over the real text of one language, in runs of up to ``RUN``
tokens: at each step the walk jumps to a random place where its current token occurs (in
abstracts; half the time in abstracts of the project's subject area, so topic words
co-occur; in titles for a title, falling back to abstracts ``TITLE_BACKOFF`` of the time) and
copies the next tokens. That keeps the real bigram statistics and text lengths; no sentence
or title of ``MIN_COPY`` tokens or more equals a real one. Every generated abstract sentence
is used twice, in two projects of the same language and area (``REUSE_P``): it halves the
cost, and real abstracts share sentences too. Sometimes a Swedish word that ends
real compounds gets a learned head (``NOVEL_P``), so the vocabulary grows with n as real
text does. Records are ``Project`` s exactly as the importer makes them (one funding each,
as in the exports; RJ/Vinnova twin copies at the learned rate, linked by the importer's
``link_twins``); ``FACILITY_SHARE`` of them use a facility, written in the same run.
"""

from __future__ import annotations

import argparse
import logging
import random
import sqlite3
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from bench.corpus_model import MIN_COPY, Lang, Model, Spots, facilities, model  # noqa: E402
from harvesters.core.config import load_config  # noqa: E402
from harvesters.core.lock import data_lock  # noqa: E402
from harvesters.core.records import (  # noqa: E402
    KIND_PROJECT,
    Facility,
    Funding,
    Person,
    Project,
    Ref,
    Text,
)
from harvesters.sources.swecris import normalise as swecris  # noqa: E402
from harvesters.store.database import RecordStore, RunCounts  # noqa: E402
from indexer.documents.projects import org_key, type_key, uid_of  # noqa: E402

log = logging.getLogger("research_index.bench.corpus")
T = TypeVar("T")
RUN = 6  # tokens copied per step of a walk
AREA_SHARE = 0.5  # exactly 1/2: the draw is reused (u * 2) to pick the place
TITLE_BACKOFF = 0.1
NOVEL_P = 0.5  # chance that a sentence's randomly chosen tail token gets a new head
PARAGRAPH_P = 0.12
FACILITY_SHARE = 0.03
REUSE_P = 0.5  # every generated sentence is used twice (halves the cost)
MAX_SENTENCE = 80
_MASK = (1 << 64) - 1
_IDS = "SELECT id FROM records WHERE source=? AND kind=? AND status='active' ORDER BY seq"


def _mix(x: int) -> int:
    """splitmix64: a well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _orcid(x: int) -> str:
    """A well-formed ORCID iD (ISO 7064 11,2 check digit) in the 0000-000[123] blocks."""
    base = f"0000000{1 + x % 3}{(x // 3) % 10**7:07d}"
    total = 0
    for ch in base:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    s = base + ("X" if check == 10 else str(check))
    return f"{s[:4]}-{s[4:8]}-{s[8:12]}-{s[12:]}"


class Generator:
    """Projects from the model, one seeded stream: project i depends on the seed and i only."""

    def __init__(self, m: Model, seed: int, source: str) -> None:
        self.m, self.seed, self.source = m, seed, source
        self.r = random.Random(seed).random
        self.people = 0
        self.facs = facilities(source)
        self.fac_weights = [w for _, w in self.facs]
        self.queues: dict[tuple[int, str | None], deque[tuple[int, str, int]]] = {}
        self.number = 0  # the project being generated

    def text(self, lang: Lang, size: int, area: str | None) -> str:
        """Abstract text: sentences until ``size`` tokens, each generated sentence used in two
        projects (the second time from the queue of its language and area)."""
        r = self.r
        queue = self.queues.setdefault((id(lang), area), deque())
        local = None if area is None else lang.in_areas.get(area)
        parts: list[str] = []
        count = 0
        while count < size:
            if queue and queue[0][0] != self.number and r() < REUSE_P:
                _, sentence, n = queue.popleft()
            else:
                sentence, n = self._sentence(lang, lang.in_abstracts, local, MAX_SENTENCE)
                queue.append((self.number, sentence, n))
            if parts and count + n - size > size - count:
                break  # the length is nearer the target without this sentence
            if parts:
                parts.append("\n\n" if r() < PARAGRAPH_P else " ")
            parts.append(sentence)
            count += max(n, 1)
        return "".join(parts)

    def title(self, lang: Lang) -> str:
        return self._sentence(lang, lang.in_titles, None, self._pick(lang.title_len) + 2)[0]

    def _sentence(
        self, lang: Lang, main: Spots, local: Spots | None, longest: int
    ) -> tuple[str, int]:
        """One walk: a sentence (capitalised) and its tokens; never a real sentence."""
        r = self.r
        back, text, words, ends = lang.in_abstracts, lang.text, lang.words, lang.ends
        backoff = -1.0 if main is back else TITLE_BACKOFF
        for _ in range(8):
            out: list[str] = []
            w = n = 0
            while True:
                u = r()
                if local is not None and u < AREA_SHARE and (at := local[w]):
                    p = at[int(u * 2 * len(at))]
                else:
                    at = main[w]
                    if (u < backoff or not at) and back[w]:
                        at = back[w]
                    p = at[int(r() * len(at))]
                q = p + RUN
                e = ends[p]
                if q < e and n + RUN < longest:
                    out += words[p + 1 : q + 1]
                    w = text[q]
                    n += RUN
                else:
                    out += words[p + 1 : min(e, p + 1 + longest - n)]
                    break
            if out and (len(out) < MIN_COPY or "".join(out) not in lang.seen):
                break
        else:
            out = out[:-1]  # eight real sentences in a row: cut the last one short
        j = int(r() * len(out))
        if out[j] in lang.tails and lang.heads is not None and r() < NOVEL_P:
            out[j] = " " + lang.heads.draw(r()) + out[j][1:]
        first = out[0].lstrip()
        out[0] = first[:1].upper() + first[1:]
        return "".join(out), len(out)

    def _pick(self, values: list[Any]) -> Any:
        return values[int(self.r() * len(values))]

    def abstract(self, lang: Lang, area: str | None) -> str:
        return self.text(lang, self._pick(lang.abstract_len), area)

    def projects(self, i: int, room: int) -> list[Project]:
        """Project number ``i``, and its twin copy when it has one and ``room`` allows."""
        m, r = self.m, self.r
        self.number = i
        subjects = tuple(dict.fromkeys(m.paths.draw(r()) for _ in range(m.n_subjects.draw(r()))))
        area = subjects[0].level1.code if subjects and subjects[0].level1 else None
        ts, te, asv, aen = m.presence.draw(r())
        title = Text(self.title(m.sv) if ts else None, self.title(m.en) if te else None)
        abstract = Text(
            self.abstract(m.sv, area) if asv else None, self.abstract(m.en, area) if aen else None
        )
        start = date(m.years.draw(r()), 1, 1) + timedelta(days=self._pick(m.doys))
        end = start + timedelta(days=self._pick(m.durations))
        fy = start.year + m.fy_offsets.draw(r())
        funder = m.funders.draw(r())
        number = f"{fy}-{i:05d}"
        pid = f"{number}_{m.suffix.get(funder.id or '', 'X')}"
        award = m.awards.draw(r())
        amount = self._pick(m.amounts)
        if amount:
            amount *= 0.8 + 0.4 * r()
            amount = float(round(amount, -3) if amount >= 10_000 else round(amount))
        funding = Funding(funder, amount, "SEK", fy, start.isoformat(), end.isoformat(), award, pid)
        refs: tuple[Ref, ...] = ()
        if self.facs and r() < FACILITY_SHARE:
            picks = random.Random(r()).choices(self.facs, self.fac_weights, k=1 + (r() < 0.2))
            refs = tuple(dict.fromkeys(Ref(f.source_id, f.name) for f, _ in picks))
        p = Project(
            source=self.source,
            source_id=pid,
            title=title,
            abstract=abstract,
            start=funding.start,
            end=funding.end,
            coordinator=m.orgs.draw(r()),
            fundings=(funding,),
            award_type=award,
            people=self._people(),
            subjects=subjects,
            source_url=swecris.PROJECT_URL.format(id=quote(pid, safe="")),
            loaded=m.loaded.draw(r()),
            facilities=refs,
        )
        if room < 2 or r() >= m.twin_rate.get(funder.id or "", 0.0):
            return [p]
        other = m.twin_funder[funder.id or ""]
        cid = f"{number}_{m.suffix.get(other.id or '', 'X')}"
        copy = replace(
            p,
            source_id=cid,
            fundings=(replace(funding, funder=other, source_id=cid),),
            source_url=swecris.PROJECT_URL.format(id=quote(cid, safe="")),
        )
        return swecris.link_twins([p, copy])  # exactly as the importer links them

    def _people(self) -> tuple[Person, ...]:
        m, r = self.m, self.r
        out: list[Person] = []
        seen: set[tuple[str, str | None]] = set()
        for k in range(m.n_people.draw(r())):
            if self.people and r() < m.repeat:
                who = int(r() * self.people)  # someone already on a project
            else:
                who, self.people = self.people, self.people + 1
            h = _mix(who * 1_000_003 + self.seed)
            name = f"{m.firsts.draw((h & 0xFFFFFFFF) / 2**32)} {m.lasts.draw((h >> 32) / 2**32)}"
            h2 = _mix(h)
            orcid = _orcid(h2 >> 10) if h2 % 1000 < m.orcid_share * 1000 else None
            if (name, orcid) not in seen:
                seen.add((name, orcid))
                out.append(Person(name, m.roles[k > 0].draw(r()), orcid, str(100_000 + who)))
        return tuple(out)

    def mutate(self, p: Project) -> Project:
        """New abstract text, an amount 5-15% higher and, unless a twin, sometimes a new title."""
        m, r = self.m, self.r
        self.number += 1
        area = p.subjects[0].level1.code if p.subjects and p.subjects[0].level1 else None
        sv, en = p.abstract.sv, p.abstract.en
        abstract = Text(
            self.abstract(m.sv, area) if sv else None,
            self.abstract(m.en, area) if en or not sv else None,
        )
        title = p.title
        if not (p.twins or p.twin_of) and r() < 0.3:
            title = Text(
                self.title(m.sv) if title.sv else None,
                self.title(m.en) if title.en else None,
            )
        fundings = tuple(
            replace(f, amount=float(round(f.amount * (1.05 + 0.1 * r())))) if f.amount else f
            for f in p.fundings
        )
        return replace(p, title=title, abstract=abstract, fundings=fundings)


def iter_projects(n: int, seed: int = 1, source: str = "bench") -> Iterator[Project]:
    """``n`` projects (twin copies included), deterministic by ``seed``; streams."""
    gen = Generator(model(), seed, source)
    i = 0
    while i < n:
        batch = gen.projects(i + 1, n - i)
        yield from batch
        i += len(batch)


def plain(p: Project) -> dict[str, Any]:
    """A project as the plain values the peer engines index (facet values as our index's)."""
    org = p.coordinator
    return {
        "id": p.source_id,
        "title_sv": p.title.sv or "",
        "title_en": p.title.en or "",
        "abstract_sv": p.abstract.sv or "",
        "abstract_en": p.abstract.en or "",
        "funder": sorted({k for f in p.funders() if (k := org_key(f))}),
        "funder_name": " ".join(t for f in p.funders() for t in (f.name.sv, f.name.en) if t),
        "org": (org_key(org) if org else None) or "",
        "org_name": " ".join(t for t in (org.name.sv, org.name.en) if t) if org else "",
        "org_type": (type_key(org.type) if org else None) or "",
        "award": sorted({f.award_type.id for f in p.fundings if f.award_type}),
        "year": p.funding_years(),
        "amount": p.total_sek() or 0.0,
        "fundings": [
            (f.year or 0, org_key(f.funder) or "", f.amount or 0.0)
            for f in p.fundings
            if f.currency == "SEK"
        ],
        "ssif": sorted({c for s in p.subjects for c in s.codes()}),
        "people": [x.name for x in p.people],
        "orcid": [x.orcid for x in p.people if x.orcid],
        "facility": sorted({uid_of(p.source, r.id) for r in p.facilities if r.id}),
        "twin": p.twin_of is not None,
        "start": p.start or "",
        "end": p.end or "",
    }


def iter_plain(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """The same projects as ``iter_projects(n, seed)`` as plain dicts."""
    return map(plain, iter_projects(n, seed))


# -- data folders --------------------------------------------------------------------------------


def _progress(items: Iterable[T], total: int, what: str, every: float = 5.0) -> Iterator[T]:
    t0 = last = time.monotonic()
    for k, item in enumerate(items, 1):
        yield item
        now = time.monotonic()
        if now - last >= every:
            last = now
            log.info("%s: %d of %d records (%.0f/s)", what, k, total, k / (now - t0))


def _commit(
    store: RecordStore,
    run_id: int,
    source: str,
    records: Iterable[Project | Facility],
    counts: RunCounts,
    complete: bool,
) -> None:
    """What ``harvesters.sources.run.ingest`` does once the records are parsed: commit (no payloads,
    no deletions), or record the run as failed; then prune old payloads."""
    try:
        store.commit_run(run_id, source, records, [], counts, complete, [], deleted=())
    except BaseException as exc:
        store.fail_run(run_id, [f"unexpected error: {exc!r}"], counts)
        raise
    store.prune_payloads(source)


def write_home(home: Path, n: int, seed: int = 1, source: str = "bench") -> int:
    """Commit ``n`` generated projects plus the facilities they use as one complete run of
    ``source`` (what a full harvest commits: records not in it are withdrawn). Streams: one
    transaction, records generated as the store writes them. Returns the records written."""
    config = load_config(home)
    facs = [f for f, _ in facilities(source)]
    with data_lock(config), RecordStore(config.store_path) as store:
        store.mark_abandoned_runs()
        options = {"bench": "corpus", "n": n, "seed": seed, "complete": True}
        run_id = store.begin_run(source, "harvest", options)
        counts = RunCounts(fetched=n + len(facs), records=n + len(facs))
        projects = _progress(iter_projects(n, seed, source), n, f"write {home}")
        _commit(store, run_id, source, chain(projects, facs), counts, complete=True)
    log.info("run %d: %s", run_id, counts.to_dict())
    return n + len(facs)


def mutate_home(home: Path, fraction: float = 0.01, seed: int = 2, source: str = "bench") -> int:
    """Change ``fraction`` of the stored projects of ``source`` (picked by ``seed`` in store
    order) and commit them as a partial run, as an import does. Returns how many changed."""
    config = load_config(home)
    with data_lock(config), RecordStore(config.store_path) as store:
        store.mark_abandoned_runs()
        with closing(sqlite3.connect(f"file:{config.store_path}?mode=ro", uri=True)) as db:
            ids = [row[0] for row in db.execute(_IDS, (source, KIND_PROJECT))]
        rng = random.Random(seed)
        picks = sorted(rng.sample(range(len(ids)), round(len(ids) * fraction)))
        gen = Generator(model(), seed, source)
        changed = []
        for k in picks:
            stored = store.get(source, ids[k])
            if stored is not None and isinstance(stored.record, Project):
                changed.append(gen.mutate(stored.record))
        options = {"bench": "mutate", "fraction": fraction, "seed": seed, "complete": False}
        run_id = store.begin_run(source, "import", options)
        counts = RunCounts(fetched=len(changed), records=len(changed))
        _commit(store, run_id, source, changed, counts, complete=False)
    return counts.changed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="data folder to write (not with --dry-run)")
    parser.add_argument("-n", type=int, default=100_000, help="projects (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", default="bench")
    parser.add_argument("--dry-run", action="store_true", help="only generate; print the rate")
    parser.add_argument("--mutate", type=float, metavar="FRACTION", help="change a share of --home")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model()  # learn (or load) before the clock starts
    t0, cpu = time.monotonic(), time.process_time()
    if args.dry_run:
        words = sum(
            len(t.split())
            for p in _progress(iter_projects(args.n, args.seed), args.n, "generate")
            for t in (p.title.sv, p.title.en, p.abstract.sv, p.abstract.en)
            if t
        )
        secs, cpu = time.monotonic() - t0, time.process_time() - cpu
        print(
            f"generated {args.n} projects in {secs:.1f} s: {args.n / secs:,.0f} records/s "
            f"({args.n / cpu:,.0f} per CPU second), {words / args.n:.0f} words per project"
        )
    elif args.home is None:
        parser.error("--home is required (or --dry-run)")
    elif args.mutate is not None:
        k = mutate_home(args.home, args.mutate, args.seed, args.source)
        print(f"changed {k} projects in {time.monotonic() - t0:.1f} s")
    else:
        k = write_home(args.home, args.n, args.seed, args.source)
        secs = time.monotonic() - t0
        print(f"wrote {k} records to {args.home} in {secs:.1f} s: {k / secs:,.0f} records/s")


if __name__ == "__main__":
    main()
