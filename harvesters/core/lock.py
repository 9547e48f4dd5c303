"""The data folder's lock: one run at a time writes the store or publishes an index.

Owns ``data_lock``, an exclusive, non-blocking ``flock`` on ``<home>/locks/<name>.lock``,
taken by harvests, imports, re-parses, index builds and updates alike.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harvesters.core.clock import utcnow
from harvesters.core.config import Config
from harvesters.core.errors import LockBusy


@contextmanager
def data_lock(config: Config, name: str = "store") -> Iterator[None]:
    """An exclusive, non-blocking ``flock`` on ``<home>/locks/<name>.lock``.

    The kernel releases it when the holder dies, so a lock left by a killed run is simply
    taken over. A second live run gets ``LockBusy`` at once, naming the holder's pid.
    """
    config.lock_dir.mkdir(parents=True, exist_ok=True)
    path = config.lock_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text(encoding="utf-8", errors="replace").strip()
            raise LockBusy(
                f"another run holds the {name} lock of {config.home} ({holder or 'unknown pid'}); "
                "try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {utcnow()}".encode())
        yield
    finally:
        os.close(fd)
