"""Errors raised by the harvesters; one base class so callers can catch them all.

The CLI maps each to an exit code (see ``EXIT_*`` in ``harvesters.cli``).
"""

from __future__ import annotations


class HarvestError(Exception):
    """Base class of every harvesting error: the run failed and the store is unchanged."""


class SourceUnavailable(HarvestError):
    """The source could not be reached or kept failing after the retry budget was spent."""


class AuthenticationError(HarvestError):
    """The source refused our credentials (HTTP 401/403)."""


class SourceProtocolError(HarvestError):
    """The source answered, but not in the shape the protocol promises (bad JSON, moving totals)."""


class ParseError(HarvestError):
    """One record could not be normalised; counted against the error budget, then skipped."""

    def __init__(self, record_id: str | None, reason: str) -> None:
        super().__init__(f"{record_id or '?'}: {reason}")
        self.record_id = record_id
        self.reason = reason


class ErrorBudgetExceeded(HarvestError):
    """Too many records failed to normalise: the run is rejected as a whole."""


class ShrinkRefused(HarvestError):
    """A complete harvest returned far fewer records than the last one; nothing was committed."""


class LockBusy(HarvestError):
    """Another run holds the lock for this data folder."""


class ConfigError(HarvestError):
    """The configuration file or an environment variable is invalid."""
