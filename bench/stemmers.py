"""Measure the candidate Snowball stemmers against the Snowball reference vocabularies.

Run by hand (not a test)::

    python bench/stemmers.py [--data /path/to/shared/data] [--repeat 3]

For each candidate it prints the share of words whose stem equals the reference stem
(``snowball/<lang>/output.txt`` line N is the stem of ``voc.txt`` line N), the same share
over the words the index tokeniser can produce (letters and digits only), and the speed in
words per second of an uncached pass over the whole vocabulary (best of ``--repeat`` runs).
Then the Swedish analyzer's throughput on the KTH Swedish abstracts, one cold pass, with
the StemFilter cache sizes considered. The figures are in ``indexer/analysis/words.py``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

StemFn = Callable[[str], str]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
TOKEN_SHAPED = re.compile(r"[^\W_]+")


def load_vocabulary(data_dir: Path, language: str) -> list[tuple[str, str]]:
    """Return (word, reference stem) pairs for ``language`` ("swedish" or "english")."""
    folder = data_dir / "snowball" / language
    words = (folder / "voc.txt").read_text(encoding="utf-8").splitlines()
    stems = (folder / "output.txt").read_text(encoding="utf-8").splitlines()
    if len(words) != len(stems):
        raise ValueError(f"{folder}: voc.txt and output.txt differ in length")
    return list(zip(words, stems, strict=True))


def candidates(language: str) -> dict[str, StemFn]:
    """The stemming functions to compare for one language."""
    if language == "swedish":
        from nltk.stem.snowball import SwedishStemmer as NltkSwedish
        from whoosh.lang.snowball.swedish import SwedishStemmer as WhooshSwedish

        return {
            "whoosh.lang.snowball SwedishStemmer": WhooshSwedish().stem,
            "nltk.stem.snowball SwedishStemmer": NltkSwedish().stem,
        }
    from nltk.stem.porter import PorterStemmer
    from nltk.stem.snowball import EnglishStemmer as NltkEnglish
    from whoosh.lang.porter import stem as whoosh_porter1
    from whoosh.lang.porter2 import stem as whoosh_porter2
    from whoosh.lang.snowball.english import EnglishStemmer as WhooshEnglish

    return {
        "whoosh.lang.snowball EnglishStemmer": WhooshEnglish().stem,
        "whoosh.lang.porter2 stem": whoosh_porter2,
        "whoosh.lang.porter stem (Porter 1)": whoosh_porter1,
        "nltk.stem.snowball EnglishStemmer": NltkEnglish().stem,
        "nltk.stem.porter PorterStemmer": PorterStemmer().stem,
    }


def agreement(stem: StemFn, pairs: list[tuple[str, str]]) -> tuple[float, list[str]]:
    """Share of words stemmed exactly as the reference, and up to 10 example misses."""
    misses: list[str] = []
    hits = 0
    for word, expected in pairs:
        got = stem(word)
        if got == expected:
            hits += 1
        elif len(misses) < 10:
            misses.append(f"{word}->{got} (ref {expected})")
    return hits / len(pairs), misses


def speed(stem: StemFn, words: list[str], repeat: int) -> float:
    """Best words/second over ``repeat`` uncached passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for word in words:
            stem(word)
        best = min(best, time.perf_counter() - start)
    return len(words) / best


def analyzer_throughput(data_dir: Path) -> None:
    """Swedish analyzer tokens/s on the KTH abstracts, one cold pass per StemFilter cache."""
    sys.path.insert(0, str(REPO))
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

    from harvesters.sources.clean import clean_text
    from indexer.analysis import words as analysis
    from indexer.analysis.tokens import WORD_RE
    from indexer.engine.analyzers import NfcFilter

    texts = []
    for path in sorted((data_dir / "swecris").glob("kth_scp_export_part*of6.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            texts.extend(
                clean_text(row["projectAbstractSv"]) or ""
                for row in csv.DictReader(f, delimiter=";")
            )
    tokens = sum(len(WORD_RE.findall(text)) for text in texts)
    print(f"\nswedish_analyzer on {len(texts)} KTH abstracts ({tokens:,} tokens), one cold pass")
    for cachesize in (None, 50_000, analysis.STEM_CACHE_SIZE, -1):
        analyzer = (
            RegexTokenizer(WORD_RE)
            | NfcFilter()
            | LowercaseFilter()
            | StopFilter(stoplist=analysis.SWEDISH_STOPWORDS, minsize=1)
            | StemFilter(analysis.stem_swedish, cachesize=cachesize)
        )
        start = time.perf_counter()
        for text in texts:
            for _ in analyzer(text):
                pass
        rate = tokens / (time.perf_counter() - start)
        print(f"  StemFilter cachesize={cachesize!s:>7}   {rate:>9,.0f} tokens/s")


def main() -> None:
    """Print agreement and speed for every candidate stemmer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("RESEARCH_INDEX_SHARED_DATA", str(DEFAULT_DATA))
    parser.add_argument("--data", type=Path, default=Path(default))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    for language in ("swedish", "english"):
        pairs = load_vocabulary(args.data, language)
        shaped = [(w, r) for w, r in pairs if TOKEN_SHAPED.fullmatch(w)]
        words = [word for word, _ in pairs]
        print(f"\n{language}: {len(pairs)} reference words, {len(shaped)} token-shaped")
        for name, stem in candidates(language).items():
            share, misses = agreement(stem, pairs)
            shaped_share, _ = agreement(stem, shaped)
            rate = speed(stem, words, args.repeat)
            print(
                f"  {name:38s} agreement {share:7.2%} (token-shaped {shaped_share:7.2%})"
                f"  {rate:>9,.0f} words/s"
            )
            print(f"    e.g. {'; '.join(misses[:4])}")
    analyzer_throughput(args.data)


if __name__ == "__main__":
    main()
