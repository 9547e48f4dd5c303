"""The corpus model the benchmark generator learns from the real SweCRIS exports.

Owns: ``model()`` (learned once, then cached as a pickle in the temp directory, keyed by the
data files), ``Model`` with its empirical ``Table`` s (funders, coordinators, awards, SSIF
paths, dates, amounts, names, roles, text presence) and one ``Lang`` per language: the real
titles and abstracts as one token array with, for every token, where it occurs (in titles, in
abstracts, in abstracts of each SSIF area), which :mod:`bench.corpus` walks as a Markov chain
of short runs; and the word statistics :mod:`bench.mix` picks queries from. Also
``facilities()``: real facility names (SciLifeLab units, MAX IV beamlines) to link to.

Records are read with the real importer (``parse_swecris``) from every file in
``$RESEARCH_INDEX_SHARED_DATA/swecris`` (default ``../shared/data/swecris``). Chosen, not
learned: KTH's share of coordinators is capped at ``KTH_CAP`` times the next organisation (the
exports are KTH's search). Import as ``bench.corpus_model`` so the pickled classes resolve.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import tempfile
import time
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

from harvesters.core.records import Facility, OrgRef, Project, Text
from harvesters.sources.run import file_payloads, parse_swecris
from indexer.analysis.words import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS

log = logging.getLogger("research_index.bench.corpus")
T = TypeVar("T")
MODEL_VERSION = 8
REPO = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[.,;:?!]")
ENDS = frozenset(".?!")
PUNCT = frozenset(".,;:?!")
MIN_COPY = 4  # a generated sentence or title this long never equals a real one
KTH = "202100-3054"
KTH_CAP = 3


def shared_data() -> Path:
    return Path(os.environ.get("RESEARCH_INDEX_SHARED_DATA", REPO.parent / "shared" / "data"))


class Table(Generic[T]):
    """Weighted draws: ``draw(u)`` maps a uniform ``u`` in [0, 1) to an item (bisect)."""

    def __init__(self, weights: dict[T, float] | Counter[T]) -> None:
        pairs = sorted(weights.items(), key=lambda kv: -kv[1])
        self.items = [k for k, _ in pairs]
        self.cum = list(accumulate(float(w) for _, w in pairs))
        self.total = self.cum[-1]

    def draw(self, u: float) -> T:
        return self.items[bisect_right(self.cum, u * self.total)]


Spots = list["array[int]"]  # token id -> positions in ``Lang.text`` where it stands


@dataclass
class Lang:
    """One language: the real text as token ids, where each token occurs, word statistics."""

    forms: list[str]  # id -> token as written; id 0 is the sentence boundary
    spaced: list[str]  # id -> its form inside a sentence (" word", or "," glued on)
    text: array[int]  # every title and sentence, each after a 0
    words: list[str]  # position -> ``spaced`` form of the token there
    ends: array[int]  # position -> position of the next 0
    in_titles: Spots  # for id 0: the boundaries that start a title
    in_abstracts: Spots
    in_areas: dict[str, Spots]  # SSIF level-1 code -> positions in that area's abstracts
    seen: set[str]  # the real sentences and titles (``spaced`` forms joined): never emitted
    title_len: list[int]  # tokens per real title / abstract
    abstract_len: list[int]
    tails: frozenset[str]  # ``spaced`` forms of the words that can end a new compound
    heads: Table[str] | None  # compound heads (with their linking s)
    df: Counter[str]  # lowercase word -> projects using it (title or abstract)
    title_df: Counter[str]
    bigrams: Counter[tuple[str, str]]  # the commonest pairs of adjacent non-stopwords
    area_words: dict[str, list[str]]  # area -> mid-frequency words typical of it
    compounds: list[tuple[str, str, str]]  # real compounds (word, head, tail), commonest first
    docs: int


@dataclass
class Model:
    sv: Lang
    en: Lang
    presence: Table[tuple[bool, bool, bool, bool]]  # title sv, title en, abstract sv, en
    funders: Table[OrgRef]
    suffix: dict[str, str]  # funder org number -> projectId suffix ("VR")
    twin_rate: dict[str, float]  # funder -> share of its projects with a twin copy
    twin_funder: dict[str, OrgRef]
    orgs: Table[OrgRef]
    awards: Table[Any]
    n_subjects: Table[int]
    paths: Table[Any]
    n_people: Table[int]
    firsts: Table[str]
    lasts: Table[str]
    roles: tuple[Table[Text], Table[Text]]  # first person, the others
    orcid_share: float
    repeat: float  # share of person slots taken by someone already seen
    years: Table[int]
    doys: list[int]  # start day of year
    durations: list[int]  # days
    fy_offsets: Table[int]  # funding year - start year
    amounts: list[float | None]
    loaded: Table[str]


def _sentences(text: str, title: bool) -> list[list[str]]:
    out: list[list[str]] = []
    for para in [text.replace("\n", " ")] if title else text.split("\n"):
        cur: list[str] = []
        for tok in TOKEN.findall(para):
            if tok in PUNCT and not cur:
                continue
            cur.append(tok)
            if tok in ENDS and not title:
                out.append(cur)
                cur = []
        if cur:
            out.append(cur)
    return out


def _learn_lang(
    docs: list[tuple[str | None, str | None, str | None]], stop: frozenset[str], swedish: bool
) -> Lang:
    """``docs``: (title, abstract, SSIF area) of every real project, in one language."""
    parsed = [
        (_sentences(t, True) if t else [], _sentences(a, False) if a else [], area)
        for t, a, area in docs
    ]
    later = Counter(tok for ts, ab, _ in parsed for s in ts + ab for tok in s[1:])
    ids: dict[str, int] = {"": 0}
    text = array("i", [0])
    spots: dict[str, defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    seen: set[str] = set()
    df: Counter[str] = Counter()
    title_df: Counter[str] = Counter()
    area_df: defaultdict[str, Counter[str]] = defaultdict(Counter)
    bigrams: Counter[tuple[str, str]] = Counter()
    title_len, abstract_len = [], []
    for ts, ab, area in parsed:
        words: set[str] = set()
        for kind, sents in (("title", ts), ("abstract", ab)):
            for s in sents:
                if s[0] != s[0].lower() and later[s[0].lower()] > later[s[0]]:
                    s[0] = s[0].lower()  # "Projektet" at a start is "projektet"
                seq = [ids.setdefault(tok, len(ids)) for tok in s]
                if len(seq) >= MIN_COPY:
                    seen.add("".join(tok if tok in PUNCT else " " + tok for tok in s))
                for k, tok_id in enumerate([0, *seq], start=len(text) - 1):
                    spots[kind][tok_id].append(k)
                    if kind == "abstract" and area:
                        spots[area][tok_id].append(k)
                text.extend(seq)
                text.append(0)
                low = [tok.lower() for tok in s if tok.isalpha()]
                words.update(low)
                if kind == "title":
                    title_df.update(set(low))
                bigrams.update(
                    (x, y)
                    for x, y in zip(low, low[1:], strict=False)
                    if len(x) > 2 and len(y) > 2 and x not in stop and y not in stop
                )
        if ts:
            title_len.append(sum(len(s) for s in ts))
        if ab:
            abstract_len.append(sum(len(s) for s in ab))
        df.update(words)
        if area:
            area_df[area].update(words)
    forms = list(ids)
    ends = array("i", [0]) * len(text)
    nxt = len(text) - 1
    for k in range(len(text) - 1, -1, -1):
        ends[k] = nxt
        if text[k] == 0:
            nxt = k

    def spots_of(kind: str) -> Spots:
        at: dict[int, list[int]] = spots.get(kind, {})
        empty = array("i")
        return [array("i", at[i]) if i in at else empty for i in range(len(forms))]

    n = len(docs)
    area_words = {}
    for area, counts in sorted(area_df.items()):
        share = sum(1 for *_, a in docs if a == area) / n
        area_words[area] = [
            w
            for w, c in counts.most_common()
            if w not in stop and len(w) > 3 and 0.01 * n <= df[w] <= 0.15 * n
            if c >= 2 * share * df[w]  # at least twice as common in the area
        ][:40]
    tails, heads, compounds = _compound_parts(df, stop) if swedish else (frozenset(), None, [])
    spaced = [f if f in PUNCT else " " + f for f in forms]
    return Lang(
        forms=forms,
        spaced=spaced,
        text=text,
        words=[spaced[i] for i in text],
        ends=ends,
        in_titles=spots_of("title"),
        in_abstracts=spots_of("abstract"),
        in_areas={a: spots_of(a) for a in sorted(area_df)},
        seen=seen,
        title_len=title_len,
        abstract_len=abstract_len,
        tails=tails,
        heads=heads,
        df=df,
        title_df=title_df,
        bigrams=Counter(dict(bigrams.most_common(2000))),
        area_words=area_words,
        compounds=compounds,
        docs=n,
    )


def _compound_parts(
    df: Counter[str], stop: frozenset[str]
) -> tuple[frozenset[str], Table[str] | None, list[tuple[str, str, str]]]:
    """Real two-part compounds whose parts are common words (the head may end in a linking s):
    the tails new compounds may end in, the heads with their weights, the compounds."""
    heads: Counter[str] = Counter()
    tails: set[str] = set()
    found = []
    for word, count in df.most_common():
        if len(word) < 8 or count < 2:
            continue
        best = None
        for k in range(4, len(word) - 3):
            head, tail = word[:k], word[k:]
            if df[tail] < 10 or tail in stop:
                continue
            bare = head[:-1] if head.endswith("s") and df[head] < 10 else head
            if df[bare] >= 10 and bare not in stop and len(bare) >= 3:
                score = min(df[bare], df[tail])
                if best is None or score > best[0]:
                    best = (score, head, tail)
        if best:
            heads[best[1]] += count
            tails.add(best[2])
            found.append((word, best[1], best[2]))
    ends = frozenset(" " + t for t in tails)
    return ends, (Table(heads) if len(heads) > 10 else None), found


def _learn(data: Path) -> Model:
    folder = data / "swecris"
    files = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.json"))
    projects = [p for p in parse_swecris(file_payloads(files)).records if isinstance(p, Project)]
    if not projects:
        raise SystemExit(f"no SweCRIS records under {folder}")

    def area(p: Project) -> str | None:
        first = p.subjects[0].level1 if p.subjects else None
        return first.code if first else None

    sv = _learn_lang(
        [(p.title.sv, p.abstract.sv, area(p)) for p in projects], SWEDISH_STOPWORDS, True
    )
    en = _learn_lang(
        [(p.title.en, p.abstract.en, area(p)) for p in projects], ENGLISH_STOPWORDS, False
    )
    own = [p for p in projects if p.twin_of is None and p.fundings]
    funders = Counter(p.fundings[0].funder for p in own)
    copies = {p.source_id: p for p in projects if p.twin_of and p.fundings}
    twinned: Counter[str] = Counter()
    twin_funder = {}
    for p in own:
        copy = next((copies[t] for t in p.twins if t in copies), None)
        if copy:
            twinned[p.fundings[0].funder.id or ""] += 1
            twin_funder[p.fundings[0].funder.id or ""] = copy.fundings[0].funder
    suffix: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for p in projects:
        if p.fundings and "_" in p.source_id:
            suffix[p.fundings[0].funder.id or ""][p.source_id.rsplit("_", 1)[1]] += 1
    orgs = Counter(p.coordinator for p in own if p.coordinator)
    second = max((c for o, c in orgs.items() if o.id != KTH), default=1)
    for o in [o for o in orgs if o.id == KTH]:
        orgs[o] = min(orgs[o], KTH_CAP * second)
    people = [x for p in projects for x in p.people]
    names = [x.name.split(" ", 1) for x in people if " " in x.name]
    starts = [(p, date.fromisoformat(p.start)) for p in projects if p.start]
    return Model(
        sv=sv,
        en=en,
        presence=Table(
            Counter(
                (bool(p.title.sv), bool(p.title.en), bool(p.abstract.sv), bool(p.abstract.en))
                for p in projects
                if p.title
            )
        ),
        funders=Table(funders),
        suffix={k: c.most_common(1)[0][0] for k, c in suffix.items()},
        twin_rate={f.id: twinned[f.id] / c for f, c in funders.items() if f.id and f.id in twinned},
        twin_funder=twin_funder,
        orgs=Table(orgs),
        awards=Table(Counter(p.award_type for p in projects)),
        n_subjects=Table(Counter(len(p.subjects) for p in projects)),
        paths=Table(Counter(s for p in projects for s in p.subjects)),
        n_people=Table(Counter(len(p.people) for p in projects)),
        firsts=Table(Counter(first for first, _ in names)),
        lasts=Table(Counter(last for _, last in names)),
        roles=(
            Table(Counter(p.people[0].role for p in projects if p.people)),
            Table(Counter(x.role for p in projects for x in p.people[1:]) or Counter([Text()])),
        ),
        orcid_share=sum(1 for x in people if x.orcid) / max(1, len(people)),
        repeat=1 - len({(x.name, x.orcid) for x in people}) / max(1, len(people)),
        years=Table(Counter(d.year for _, d in starts)),
        doys=[d.timetuple().tm_yday - 1 for _, d in starts],
        durations=[max(0, (date.fromisoformat(p.end) - d).days) for p, d in starts if p.end],
        fy_offsets=Table(Counter(f.year - d.year for p, d in starts for f in p.fundings if f.year)),
        amounts=[f.amount for p in projects for f in p.fundings],
        loaded=Table(Counter(p.loaded for p in projects if p.loaded)),
    )


@cache
def model(data: Path | None = None) -> Model:
    """The learned model; from the pickle cache when the data files have not changed."""
    data = data or shared_data()
    files = sorted((data / "swecris").glob("*"))
    stamp = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    key = hashlib.sha1(repr((MODEL_VERSION, str(data), stamp)).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "research-index-bench" / f"model-{key}.pickle"
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)  # type: ignore[no-any-return]  # our own cache file
        except (AttributeError, ImportError, EOFError, pickle.UnpicklingError):
            log.info("the model cache %s does not load; learning again", path)
    t0 = time.monotonic()
    learned = _learn(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(learned, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, path)
    for old in path.parent.glob("model-*.pickle"):  # models of older data or code
        if old != path:
            old.unlink(missing_ok=True)
    log.info("learned the corpus model in %.1f s (cached in %s)", time.monotonic() - t0, path)
    return learned


_LUND = OrgRef(
    "202100-3211", Text("Lunds universitet", "Lund University"), Text("Universitet", "University")
)
_SCILIFELAB = OrgRef(None, Text("SciLifeLab", "SciLifeLab"), Text("Övriga", "Other"))


@cache
def facilities(source: str = "bench") -> list[tuple[Facility, float]]:
    """Real facilities with link weights: SciLifeLab units (by publications), MAX IV beamlines."""
    base = shared_data() / "facilities"
    out: dict[str, tuple[Facility, float]] = {}
    units = base / "scilifelab-publications" / "DERIVED_infrastructure_units_from_labels.json"
    if units.exists():
        for u in json.loads(units.read_text(encoding="utf-8"))["units"]:
            fid = "scilifelab-" + re.sub(r"[^a-z0-9]+", "-", u["label"].lower()).strip("-")
            fac = Facility(
                source,
                fid,
                Text(u["label"], u["label"]),
                owners=(_SCILIFELAB,),
                types=(Text("Plattformsenhet", "Platform unit"),),
                city="Uppsala" if "Uppsala" in u["label"] else "Stockholm",
            )
            out[fid] = (fac, float(u["publications"]))
    europe = base / "xas-data-library" / "Europe.json"
    if europe.exists():
        for name, line in json.loads(europe.read_text(encoding="utf-8")).get("MAX IV", {}).items():
            fid = f"maxiv-{name.lower()}"
            fac = Facility(
                source,
                fid,
                Text(f"MAX IV {name}", f"MAX IV {name}"),
                description=Text(None, " ".join(str(line.get("purpose", "")).split()) or None),
                owners=(_LUND,),
                types=(Text("Strålrör", "Beamline"),),
                city="Lund",
                url=line.get("website") or None,
            )
            out[fid] = (fac, 100.0)
    return list(out.values())
