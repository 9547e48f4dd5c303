"""Named pause points for crash tests: where a run can be made to wait so a test can kill it.

``RESEARCH_INDEX_PAUSE_AT=NAME[:SECONDS]`` makes the run that reaches ``pause_point(NAME)`` print
``paused at NAME`` on stderr and sleep (60 s by default), so a test can SIGKILL it at exactly
that point. The points: ``parsed`` (after normalising, before anything is written) and
``commit`` (inside the commit transaction, every row written, just before COMMIT). Unset, as
it always is outside tests, a point costs one environment lookup. Standard library only.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "RESEARCH_INDEX_PAUSE_AT"


def pause_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, seconds = spec.partition(":")
    if point != name:
        return
    print(f"paused at {name}", file=sys.stderr, flush=True)
    time.sleep(float(seconds or 60))
