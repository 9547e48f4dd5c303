"""Fast segment writing: our own analysis fast path and in-memory postings, Whoosh's codec.

Owns how documents become one Whoosh segment during a build. Whoosh's own
``SegmentWriter.add_document`` runs every token through a chain of generator filters, pickles
each posting into an external sort and merges it back, then looks every posting's field length
up again from disk; on the KTH data that was four fifths of the build. Here:

* text fields whose analyzer is ours (``indexer.analysis.words``: regex tokeniser, NFC, lowercase,
  optional stop list, optional stemmer) are analysed by one regex pass and one dict look-up
  per token (raw token -> final term, cached per field); the plan is read off the field's own
  Whoosh analyzer, so it cannot drift from what queries use, and a test compares every
  posting with Whoosh's own writer. Other fields (ids, keywords) go through ``field.index``;
* postings are kept in memory per field and term (docnums and frequencies in arrays), in
  docnum order because documents arrive in order, and written term by term through the codec's
  field writer at the end, with each document's field length from memory.

The segment files, term info, lengths and stored fields are Whoosh's own (``SegmentWriter``'s
per-document writer, field writer, compound assembly and TOC), so readers see a normal index.
"""

from __future__ import annotations

import logging
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from whoosh.analysis import (
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.formats import Frequency, Positions
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from indexer.analysis.tokens import normalise_token
from indexer.engine.analyzers import NfcFilter
from indexer.engine.frequent import FrequentWriter
from indexer.engine.index import Index
from indexer.engine.postings import write_term

log = logging.getLogger("research_index.index")

_STOPPED = None


class TextPlan:
    """The analysis of one of our text fields, as plain functions with a term cache."""

    def __init__(self, analyzer: CompositeAnalyzer, positions: bool) -> None:
        items = list(analyzer.items)
        tokenizer = items.pop(0)
        assert isinstance(tokenizer, RegexTokenizer) and not tokenizer.gaps
        self.pattern = tokenizer.expression
        assert self.pattern.groups == 0, "findall must return whole matches"
        assert isinstance(items.pop(0), NfcFilter)
        assert isinstance(items.pop(0), LowercaseFilter)
        self.stops: frozenset[str] = frozenset()
        self.minsize = 0
        self.maxsize: int | None = None
        self.stem: Callable[[str], str] | None = None
        if items and isinstance(items[0], StopFilter):
            stop = items.pop(0)
            assert stop.renumber
            self.stops, self.minsize, self.maxsize = stop.stops, stop.min, stop.max
        if items and isinstance(items[0], StemFilter):
            stem = items.pop(0)
            assert not stem.ignore
            self.stem = stem.stemfn
        assert not items, f"unexpected analyzer parts {items}"
        self.positions = positions
        self.cache = _TermCache(
            partial(_analyse, self.stops, self.minsize, self.maxsize, self.stem)
        )

    @classmethod
    def for_field(cls, field: Any) -> TextPlan | None:
        """A plan when the field is one of ours with boost 1, else None (Whoosh indexes it)."""
        fmt = field.format
        if type(fmt) not in (Frequency, Positions) or fmt.field_boost != 1.0:
            return None
        if not isinstance(field.analyzer, CompositeAnalyzer):
            return None
        try:
            return cls(field.analyzer, positions=type(fmt) is Positions)
        except AssertionError:
            return None

    def term_of(self, raw: str) -> str | None:
        """One raw token's term, analysed now (``None`` when stopped), bypassing the cache."""
        return self.cache.analyse(raw)

    def terms(self, text: str) -> list[str | None]:
        """Every token's term, ``None`` for a stopped one, in text order."""
        return list(map(self.cache.__getitem__, self.pattern.findall(text)))

    def term(self, raw: str) -> str | None:
        """One raw token's term (``None`` when stopped), through the cache."""
        return self.cache[raw]

    def frequencies(self, text: str) -> Counter[str]:
        counts: Counter[Any] = Counter(self.terms(text))  # None: stopped tokens, popped below
        counts.pop(_STOPPED, None)
        return counts

    def positions_of(self, text: str) -> dict[str, list[int]]:
        """Term -> positions, renumbered around stopped tokens as Whoosh's StopFilter does:
        the first kept token keeps its own position, each later one follows the previous."""
        poses: dict[str, list[int]] = {}
        terms = self.terms(text)
        first = 0
        if self.stops or self.minsize or self.maxsize is not None:
            first = next((i for i, t in enumerate(terms) if t is not _STOPPED), 0)
            terms = [t for t in terms if t is not _STOPPED]
        for pos, term in enumerate(terms, first):
            try:
                poses[term].append(pos)  # type: ignore[index]
            except KeyError:
                poses[term] = [pos]  # type: ignore[index]
        return poses


def _analyse(
    stops: frozenset[str],
    minsize: int,
    maxsize: int | None,
    stem: Callable[[str], str] | None,
    raw: str,
) -> str | None:
    text = normalise_token(raw).lower()
    if stops or minsize or maxsize is not None:
        size = len(text)
        if size < minsize or (maxsize is not None and size > maxsize) or text in stops:
            return _STOPPED
    return stem(text) if stem else text


class _TermCache(dict[str, "str | None"]):
    """Raw token -> term (``None`` when stopped). A token is analysed the first time it is
    looked up, so a text's terms are one ``map`` over ``__getitem__`` even when it holds
    words the field has not met yet. ``analyse`` does not refer back to the plan: no
    reference cycle, so a finished segment's caches are freed while the collector is off."""

    __slots__ = ("analyse",)

    def __init__(self, analyse: Callable[[str], str | None]) -> None:
        super().__init__()
        self.analyse = analyse

    def __missing__(self, raw: str) -> str | None:
        term = self[raw] = self.analyse(raw)
        return term


class _Postings:
    """One field's postings in memory: term -> ``docnum << 32 | freq`` per posting (one
    machine word each, in document order), plus the encoded values of positional fields."""

    __slots__ = ("pairs", "values")

    def __init__(self) -> None:
        self.pairs: dict[str, array[int]] = {}
        self.values: dict[str, list[bytes]] = {}


_LITTLE = sys.byteorder == "little"


def _split(packed: array[int]) -> tuple[array[int], array[int]]:
    """``docnum << 32 | freq`` words -> (docnums, frequencies), as unsigned 32-bit arrays."""
    halves = array("I")
    halves.frombytes(packed.tobytes())
    low, high = halves[0::2], halves[1::2]
    return (high, low) if _LITTLE else (low, high)


#: Posting lists this short are kept in the term's entry of the term table instead of the
#: postings file (Whoosh's inlining: its writer never uses it, its readers do). Most terms
#: of a corpus occur in one or two documents, so this saves a block per rare term.
INLINE_LIMIT = 4


def quantised(length: int) -> int:
    """The field length a reader gets back from the lengths column (one byte per length)."""
    return int(byte_to_length(length_to_byte(length))) if length else 0


class SegmentBuilder:
    """Builds one new segment of ``ix`` from documents (field dicts, as Whoosh takes them).

    ``lock=False`` for a worker process whose parent holds the index's write lock. ``finish``
    writes the segment and returns Whoosh's segment object; ``cancel`` drops it.
    """

    def __init__(self, index: Index | Any, lock: bool = True) -> None:
        ix = index._ix if isinstance(index, Index) else index  # ours, or a Whoosh index
        self.writer = SegmentWriter(ix, _lk=lock)
        self.schema = self.writer.schema
        self.plans: dict[str, TextPlan | None] = {
            name: TextPlan.for_field(field) for name, field in self.schema.items()
        }
        self.postings: dict[str, _Postings] = {}
        self.generic: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        self.lengths: dict[str, array[int]] = {}
        self._qcache: dict[int, int] = {}
        self._single: dict[int, bytes] = {}  # position -> encoded one-position list

    def delete(self, field: str, value: str) -> int:
        """Delete every document of the index whose ``field`` holds ``value``; how many."""
        deleted: int = self.writer.delete_by_term(field, value)
        return deleted

    @property
    def doc_count(self) -> int:
        return int(self.writer.docnum - self.writer.docbase)

    def add(self, fields: dict[str, Any]) -> None:
        writer = self.writer
        pdw = writer.perdocwriter
        docnum = writer.docnum
        schema = self.schema
        pdw.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = self._index(name, field, value, docnum) if field.indexed else 0
                pdw.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    pdw.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            pdw.cancel_doc()
            raise
        pdw.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _index(self, name: str, field: Any, value: Any, docnum: int) -> int:
        plan = self.plans[name]
        length = 0
        if plan is None:
            table = self.generic.setdefault(name, {})
            for tbytes, freq, weight, vbytes in field.index(value):
                if field.scorable:
                    length += freq
                table.setdefault(tbytes, []).append((docnum, weight, vbytes))
        else:
            store = self.postings.get(name)
            if store is None:
                store = self.postings[name] = _Postings()
            pairs = store.pairs
            high = docnum << 32
            if plan.positions:
                values = store.values
                encode = field.format.encode
                single = self._single
                for term, poses in plan.positions_of(value).items():
                    freq = len(poses)
                    length += freq
                    if freq == 1:  # most terms occur once in a document: encode each once
                        vbytes = single.get(poses[0])
                        if vbytes is None:
                            vbytes = single[poses[0]] = encode(poses)
                    else:
                        vbytes = encode(poses)
                    try:
                        pairs[term].append(high | freq)
                        values[term].append(vbytes)
                    except KeyError:
                        pairs[term] = array("q", (high | freq,))
                        values[term] = [vbytes]
            else:
                counts = plan.frequencies(value)
                length = sum(counts.values())
                for term, freq in counts.items():
                    try:
                        pairs[term].append(high | freq)
                    except KeyError:
                        pairs[term] = array("q", (high | freq,))
        if length and field.scorable:
            lengths = self.lengths.get(name)
            if lengths is None:
                lengths = self.lengths[name] = array("i")
            if len(lengths) <= docnum:
                lengths.extend([0] * (docnum + 1 - len(lengths)))
            q = self._qcache.get(length)
            if q is None:
                q = self._qcache[length] = quantised(length)
            lengths[docnum] = q
        return length if field.scorable else 0

    def _lengths_of(self, name: str) -> array[int] | None:
        """The field's length per docnum of this segment (0 where absent), or None."""
        lengths = self.lengths.get(name)
        if lengths is not None and len(lengths) < self.writer.docnum:
            lengths.extend([0] * (self.writer.docnum - len(lengths)))
        return lengths

    def finish(self) -> Any:
        """Write the postings and close the segment; returns Whoosh's segment object."""
        writer = self.writer
        writer.perdocwriter.close()
        fw = writer.fieldwriter
        frequent = FrequentWriter(writer.get_segment(), writer.storage, self.doc_count)
        try:
            for name in sorted(set(self.postings) | set(self.generic)):
                fw.start_field(name, self.schema[name])
                length = self._lengths_of(name)
                if name in self.postings:
                    self._write_text(fw, self.postings.pop(name), length, frequent.bind(name))
                else:
                    self._write_generic(fw, self.generic.pop(name), length, frequent.bind(name))
                fw.finish_field()
            fw.close()
            frequent.close()
        except BaseException:
            frequent.abort()
            raise
        writer._close_segment()
        writer._assemble_segment()  # the frequent terms' part with Whoosh's own
        return writer.get_segment()

    @staticmethod
    def _write_text(
        fw: Any, store: _Postings, lengths: array[int] | None, frequent: Callable[..., None]
    ) -> None:
        pairs, values = store.pairs, store.values
        for term in sorted(pairs):
            docs, freqs = _split(pairs.pop(term))
            vals: list[bytes] | bytes | None = values.pop(term, None)
            if vals is None:  # Frequency: each value is the frequency as a big-endian uint
                big = array("I", freqs)
                if _LITTLE:
                    big.byteswap()
                vals = big.tobytes()
            weights = array("f", freqs)
            tbytes = term.encode("utf-8")
            write_term(fw, tbytes, docs, weights, vals, lengths, INLINE_LIMIT)
            if len(docs) > INLINE_LIMIT:  # in blocks, as the frequent ones always are
                frequent(tbytes, docs, weights)

    @staticmethod
    def _write_generic(
        fw: Any,
        table: dict[bytes, list[tuple[int, float, bytes]]],
        lengths: array[int] | None,
        frequent: Callable[..., None],
    ) -> None:
        for tbytes in sorted(table):
            docs, weights, vals = zip(*table[tbytes], strict=True)
            write_term(fw, tbytes, docs, list(weights), vals, lengths)
            frequent(tbytes, docs, weights)

    def commit(self, others: Iterable[Any] = ()) -> None:
        """Finish this segment and publish it, with ``others`` (workers' segments), in the
        index's table of contents beside the segments it already had."""
        writer = self.writer
        segments = list(writer.segments)
        if writer._added:
            segments.append(self.finish())
        else:
            writer._close_segment()
        segments.extend(others)
        writer._commit_toc(segments)
        writer._finish()

    def close_worker(self) -> Any:
        """For a worker: finish the segment and return it. Whoosh gives every writer of an
        index the same temporary folder, and finishing a writer deletes it; another worker may
        still be using it, so a worker leaves it to the parent's commit."""
        segment = self.finish()
        self.writer.is_closed = True
        return segment

    def cancel(self) -> None:
        self.writer.cancel()

    def discard_worker(self) -> None:
        """For a worker: drop this segment, leaving the shared temporary folder alone."""
        if not self.writer.is_closed:
            self.writer._close_segment()
            self.writer.is_closed = True
