"""Keeping Python's cyclic garbage collector out of the way of bulk work and requests.

Building a segment or a version's statistics groups makes hundreds of thousands of small
objects (tuples, dicts) that form no reference cycles; each time enough of them pile up the
collector walks every live object of the process again (a served version holds millions),
which cost as much as the work itself. Reference counting still frees everything. A served
version's own objects are frozen out of the collector's walks once it has opened.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Collector off for the block, back on after it if it was on (one process-wide switch:
    a second thread inside the block leaves it to the first to switch back)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


#: Versions with at least this many documents have their objects frozen when they open.
FREEZE_MIN_DOCS = 10_000


def settle_after_open(docs: int) -> bool:
    """Called when an index version has been opened (its tables hold millions of objects that
    live as long as it is served): collect what versions served before left behind, then
    freeze every live object, so later collections walk only what requests make. Without it
    a request that happened to trigger a full collection paid for walking the whole table
    (0.1-0.2 s per 100,000 documents). Small versions skip it (tests open hundreds)."""
    if docs < FREEZE_MIN_DOCS:
        return False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True
