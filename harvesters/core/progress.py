"""Progress reporting for long work: a bar on a terminal, plain log lines under cron.

Standard library only, shared by harvesters and the indexer. ``Progress`` decides once, from
whether the stream is a terminal, which of the two it shows; ``quiet`` turns both off.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger("research_index.progress")


class Progress:
    """Counts work done; draws a bar on a TTY, logs every ``log_every`` seconds otherwise."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        stream: TextIO | None = None,
        quiet: bool = False,
        log_every: float = 10.0,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = not quiet and _isatty(self.stream)
        self.log_every = log_every
        self._started = time.monotonic()
        self._last = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.quiet:
            return
        if self.tty:
            if now - self._last >= 0.1 or (self.total and self.done >= self.total):
                self._last = now
                self._draw()
        elif now - self._last >= self.log_every:
            self._last = now
            log.info("%s: %s", self.label, self._summary())

    def close(self) -> None:
        if self.quiet:
            return
        if self.tty:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
        else:
            log.info("%s: done, %s", self.label, self._summary())

    def _summary(self) -> str:
        elapsed = time.monotonic() - self._started
        if self.total:
            share = 100 * self.done // max(self.total, 1)
            return f"{self.done}/{self.total} ({share}%), {elapsed:.1f} s"
        return f"{self.done}, {elapsed:.1f} s"

    def _draw(self) -> None:
        width = 30
        if self.total:
            filled = min(width, width * self.done // max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r{self.label} [{bar}] {self._summary()}"
        else:
            text = f"\r{self.label} {self._summary()}"
        self.stream.write(text)
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
