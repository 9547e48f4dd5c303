"""The exit codes of ``research-index``, and the one table from errors to them.

Cron and scripts read these (the README lists them). ``exit_code(exc)`` gives the code of an
error by the first row of ``EXIT_CODES`` it is an instance of (narrow classes before their
bases); ``fail(exc, ...)`` prints the message and returns that code. Every subcommand maps its
failures through here, so an error means the same code whichever command met it.
"""

from __future__ import annotations

import sys

from harvesters.core.errors import (
    ConfigError,
    ErrorBudgetExceeded,
    HarvestError,
    LockBusy,
    ShrinkRefused,
    StorageError,
)
from indexer.service import (
    IndexerError,
    IndexMissing,
    IndexStorageFull,
    InvalidQuery,
    InvalidRequest,
)

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected failure
EXIT_USAGE = 2  # bad command line (argparse), a bad query or request
EXIT_SOURCE = 3  # the source failed: unreachable, refused the token, broke the protocol
EXIT_REJECTED = 4  # the data was rejected: error budget exceeded or shrink refused
EXIT_BUSY = 5  # another run holds the lock
EXIT_CONFIG = 6  # the configuration is invalid
EXIT_NO_INDEX = 7  # no index has been published yet
EXIT_BUILD = 8  # the index build failed; the previous index keeps serving
EXIT_PARTIAL = 9  # update: some sources failed, the index is current for the others
EXIT_NOT_PUBLISHED = 10  # update: nothing could be published
EXIT_STORAGE = 11  # the data folder could not be written (disk full): nothing committed/published

#: Error class -> exit code; the first row that matches wins.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (LockBusy, EXIT_BUSY),
    (ConfigError, EXIT_CONFIG),
    (ErrorBudgetExceeded, EXIT_REJECTED),
    (ShrinkRefused, EXIT_REJECTED),
    (StorageError, EXIT_STORAGE),
    (IndexStorageFull, EXIT_STORAGE),
    (HarvestError, EXIT_SOURCE),
    (InvalidQuery, EXIT_USAGE),
    (InvalidRequest, EXIT_USAGE),
    (IndexMissing, EXIT_NO_INDEX),
    (IndexerError, EXIT_BUILD),
)
#: Every error class the table maps, for ``except``.
MAPPED: tuple[type[BaseException], ...] = tuple(cls for cls, _ in EXIT_CODES)


def exit_code(exc: BaseException) -> int:
    """The exit code of ``exc``: its row in ``EXIT_CODES``, else ``EXIT_ERROR``."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return EXIT_ERROR


def fail(exc: BaseException, message: str | None = None) -> int:
    """Print ``error: <message or exc>`` on stderr; return ``exc``'s exit code."""
    print(f"error: {message or exc}", file=sys.stderr)
    return exit_code(exc)
