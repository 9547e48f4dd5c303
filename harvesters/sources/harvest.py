"""One entry point per source kind: harvest over the network, or parse saved payloads.

``harvest(config, source)`` dispatches on ``source.kind`` (``KINDS`` in
``harvesters.core.sources``); ``parser_for(source)`` gives the parser that turns that kind's
raw payloads into records, used for imports of saved files and for re-parsing stored payloads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harvesters.core.config import Config
from harvesters.core.errors import ConfigError
from harvesters.core.progress import Progress
from harvesters.core.sources import FILE_KINDS, Source
from harvesters.sources.cerif.harvest import harvest_cerif, parse_cerif_pages
from harvesters.sources.facilities.esfri import parse_esfri
from harvesters.sources.facilities.lightsources import parse_lightsources
from harvesters.sources.facilities.lists import parse_facility_lists
from harvesters.sources.facilities.meril import parse_meril
from harvesters.sources.facilities.scilifelab import parse_scilifelab
from harvesters.sources.run import Parsed, RunReport, ingest, parse_swecris
from harvesters.store.database import RawPayload

Parser = Callable[[Sequence[RawPayload], Progress], Parsed]
FileParser = Callable[[str, Sequence[RawPayload], Progress | None], Parsed]
FILE_PARSERS: dict[str, FileParser] = {
    "facility-list": parse_facility_lists,
    "meril": parse_meril,
    "esfri": parse_esfri,
    "lightsources": parse_lightsources,
    "scilifelab": parse_scilifelab,
}


def parser_for(source: Source) -> Parser:
    if source.kind == "swecris":
        return parse_swecris
    if source.kind == "oai-cerif":
        return lambda payloads, progress: parse_cerif_pages(source.name, payloads, progress)
    if source.kind in FILE_PARSERS:
        parse = FILE_PARSERS[source.kind]
        return lambda payloads, progress: parse(source.name, payloads, progress)
    raise ValueError(f"no parser for source kind {source.kind!r}")


def harvest(
    config: Config,
    source: Source,
    allow_shrink: bool = False,
    quiet: bool = False,
    full: bool = False,
    search_text: str | None = None,
) -> RunReport:
    """Fetch ``source`` and commit what it returned; raises ``HarvestError`` on failure."""
    if source.kind == "oai-cerif":
        return harvest_cerif(config, source, allow_shrink=allow_shrink, quiet=quiet, full=full)
    if source.kind == "swecris":
        from harvesters.sources.swecris.api import fetch_search_pages

        search = {"searchText": search_text} if search_text else None

        def fetch(progress: Progress) -> list[RawPayload]:
            return fetch_search_pages(config, progress=progress, search=search)

        return ingest(
            config,
            source.name,
            "harvest",
            fetch,
            parse_swecris,
            complete=search is None,
            allow_shrink=allow_shrink,
            quiet=quiet,
            options={"search": search or {}},
        )
    if source.kind in FILE_KINDS:
        what = "a facility list" if source.kind == "facility-list" else "read from saved files"
        raise ConfigError(
            f"{source.name} is {what}: import its files with "
            f"`research-index import {source.name} FILE...`"
        )
    raise ValueError(f"no harvester for source kind {source.kind!r}")
