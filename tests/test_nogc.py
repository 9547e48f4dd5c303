"""The cyclic collector kept out of the way: paused for bulk work, a large version frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.engine import gc as nogc
from indexer.service.request import SearchRequest
from indexer.service.search import SearchService


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # other tests must not inherit a frozen heap


def test_no_cyclic_gc_pauses_and_restores() -> None:
    assert gc.isenabled()
    with nogc.no_cyclic_gc():
        assert not gc.isenabled()
        with nogc.no_cyclic_gc():  # nested: the outer block switches back
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_large_version_is_frozen_when_it_opens(
    kth_home: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    """Opening a version at or above the threshold collects and then freezes the heap; the
    version's tables are then outside the collector's walks (and still answer)."""
    gc.unfreeze()
    monkeypatch.setattr(nogc, "FREEZE_MIN_DOCS", 10**9)
    small = SearchService(kth_home / "index")
    assert small.search(SearchRequest(q="energi")).total > 0
    assert gc.get_freeze_count() == 0  # below the threshold: nothing frozen
    facts = small._current().table.facts
    assert any(o is facts for o in gc.get_objects())  # walked by every full collection
    monkeypatch.setattr(nogc, "FREEZE_MIN_DOCS", 1)
    large = SearchService(kth_home / "index")
    result = large.search(SearchRequest(q="energi"))
    assert gc.get_freeze_count() > 0
    facts = large._current().table.facts
    assert not any(o is facts for o in gc.get_objects())  # frozen: no collection walks it
    assert result.total == small.search(SearchRequest(q="energi")).total
