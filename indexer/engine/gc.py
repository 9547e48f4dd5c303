"""Keeping Python's cyclic garbage collector out of the way of bulk work and requests.

Building a segment or a version's statistics groups makes hundreds of thousands of small
objects (tuples, dicts) that form no reference cycles; each time enough of them pile up the
collector walks every live object of the process again (a served version holds millions),
which cost as much as the work itself. Reference counting still frees everything. A served
version's own objects are frozen out of the collector's walks once it has opened.

CPython has one collector switch per process, and a web server runs requests on several
threads. So a pause is counted, not toggled: the first block to enter switches the collector
off and remembers whether it was on; later ones (any thread) only count themselves in; the
last one out restores what the first found. No thread can switch the collector back on under
another thread's bulk work, and none can leave it off when every block has ended.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pause = threading.Lock()
_holders = 0  # blocks (of any thread) inside no_cyclic_gc now
_restore = False  # whether the collector was on when the first of them entered


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Collector off for the block; back as it was when the last block still open, of any
    thread, ends (nested and concurrent blocks alike)."""
    global _holders, _restore
    with _pause:
        if _holders == 0:
            _restore = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _pause:
            _holders -= 1
            if _holders == 0 and _restore:
                gc.enable()


def paused_by() -> int:
    """How many blocks hold the collector paused now (0: it is as its owner left it)."""
    return _holders


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
