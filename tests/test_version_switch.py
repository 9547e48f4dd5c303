"""A long-running server switches index versions in the background, warm.

With ``switch_in_background`` the service keeps answering from the version it has open
while a thread opens the newly published one and ranks the old version's recent queries on
it; then it serves the new one, whose first searches of those queries are already cached.
"""

from __future__ import annotations

import time
from pathlib import Path

from indexer.service.request import SearchRequest
from indexer.service.search import SearchService
from webapp.cli import main


def test_new_versions_are_opened_and_warmed_in_the_background(
    tmp_path: Path, shared_data: Path
) -> None:
    home = tmp_path / "home"
    source = shared_data / "swecris" / "scp_search_response_scb40107.json"
    assert main(["--home", str(home), "import", "swecris", str(source), "--quiet"]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    service = SearchService(home / "index", switch_in_background=True)
    first = service.search(SearchRequest(q="vatten"))
    service.search(SearchRequest(q="klimat energi"))
    assert main(["--home", str(home), "index", "--full", "--quiet"]) == 0
    again = service.search(SearchRequest(q="vatten"))  # answered at once, from the old one
    assert again.index_version == first.index_version
    deadline = time.monotonic() + 60
    while service.info()["version"] == first.index_version:
        assert time.monotonic() < deadline, "the new version was never switched to"
        time.sleep(0.05)
    new = service._current()
    assert set(new.caches.ranks.recent(10)) >= {"vatten", "klimat energi"}  # ranked before serving
    result = service.search(SearchRequest(q="vatten"))
    assert result.index_version != first.index_version
    assert result.total == first.total
