"""Errors raised by the harvesters; one base class so callers can catch them all.

The command line maps each to an exit code (``EXIT_CODES`` in ``webapp.cli.exits``).
"""

from __future__ import annotations

import errno


class HarvestError(Exception):
    """Base class of every harvesting error: the run failed and the store is unchanged."""


class SourceUnavailable(HarvestError):
    """The source could not be reached or kept failing after the retry budget was spent."""


class AuthenticationError(HarvestError):
    """The source refused our credentials (HTTP 401/403)."""


class SourceProtocolError(HarvestError):
    """The source answered, but not in the shape the protocol promises (bad JSON, moving totals)."""


class ParseError(HarvestError):
    """One record could not be normalised: counted against the error budget, then quarantined.

    ``where`` locates it when it has no id (a page URL, a file and line, an item number);
    ``raw`` is its text as received, kept (bounded) in the store's quarantine.
    """

    def __init__(
        self,
        record_id: str | None,
        reason: str,
        *,
        where: str | None = None,
        raw: str | bytes | None = None,
    ) -> None:
        plain = record_id is None and where is not None and reason.startswith(where)
        super().__init__(reason if plain else f"{record_id or where or '?'}: {reason}")
        self.record_id = record_id
        self.reason = reason
        self.where = where
        self.raw = raw

    def located(self, where: str | None, raw: str | bytes | None) -> ParseError:
        """This error with a location and raw text filled in where it lacks them."""
        return ParseError(
            self.record_id,
            self.reason,
            where=self.where or where,
            raw=self.raw if self.raw is not None else raw,
        )


class StorageError(HarvestError):
    """The data folder could not be written (disk full, file too large, read-only)."""


#: The ``OSError`` numbers that mean the data folder cannot be written: disk full, past the
#: file size limit, over quota, read-only. A run that meets one says so (exit 11).
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS})


def cannot_write(home: object, detail: str, outcome: str) -> str:
    """The message of a data folder that cannot be written, the same from every command."""
    return (
        f"the data folder {home} could not be written ({detail}): free some space or check "
        f"the file size limit; {outcome}"
    )


class ErrorBudgetExceeded(HarvestError):
    """Too many records failed to normalise: the run is rejected as a whole."""


class ShrinkRefused(HarvestError):
    """A complete harvest returned far fewer records than the last one; nothing was committed."""


class LockBusy(HarvestError):
    """Another run holds the lock for this data folder."""


class ConfigError(HarvestError):
    """The configuration file or an environment variable is invalid."""
