"""Errors of the indexer and the search service; one base class, mapped to HTTP at the edge.

``InvalidQuery`` and ``InvalidRequest`` become 400, ``RecordNotFound`` 404, ``RecordMoved`` a
301 to its new address, ``RecordWithdrawn`` 410 and ``IndexMissing`` 503 in the web app; the
CLI prints their message and exits non-zero.
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base class of every indexer error."""


class IndexMissing(IndexerError):
    """No published index exists yet (run ``research-index index``)."""


class InvalidQuery(IndexerError):
    """The query string cannot be understood; the message says why, for the user."""


class InvalidRequest(IndexerError):
    """A parameter (page, size, sort, filter) is out of range or unknown."""


class RecordNotFound(IndexerError):
    """No record has this id."""


class RecordMoved(IndexerError):
    """The record became part of another (a facility merged from several sources)."""

    def __init__(self, message: str, source: str, source_id: str) -> None:
        super().__init__(message)
        self.source = source
        self.source_id = source_id


class RecordWithdrawn(IndexerError):
    """The record existed but its source withdrew it."""


class BuildFailed(IndexerError):
    """A new index version could not be built or failed validation; nothing was published."""


class IndexStorageFull(BuildFailed):
    """The data folder could not be written during a build (disk full, past the file size
    limit, read-only); nothing was published."""


class IndexShrinkRefused(BuildFailed):
    """The new version would hold far fewer documents than the published one (H16 guard)."""
