"""The source registry: which sources exist, of which kind, where, and how politely to ask.

Sources come from a TOML file: ``$RESEARCH_INDEX_SOURCES`` if set, else ``<home>/sources.toml``
when it exists, else the documented default shipped beside this module
(``sources.default.toml``). Each ``[sources.NAME]`` table has a ``kind`` (``swecris`` or
``oai-cerif``; or, for files that are imported, not fetched, ``facility-list`` for hand-kept
lists and ``meril``, ``esfri``, ``lightsources``, ``scilifelab`` for the public facility
registers of ``harvesters.sources.facilities``: ``FILE_KINDS``, which need no ``base_url``), a
``base_url``, optional ``sets``, ``token_env`` (the *name* of the environment
variable holding a credential, never the credential), ``delay``, ``timeout``,
``max_retries`` and ``enabled``. The registry is a mapping, so a new kind is one entry in
``KINDS`` plus its harvester.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from harvesters.core.config import Config
from harvesters.core.errors import ConfigError

FILE_KINDS = ("facility-list", "meril", "esfri", "lightsources", "scilifelab")
KINDS = ("swecris", "oai-cerif", *FILE_KINDS)
DEFAULT_FILE = Path(__file__).with_name("sources.default.toml")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    base_url: str
    sets: tuple[str, ...] = ()
    token_env: str | None = None
    delay: float = 0.0
    timeout: float | None = None
    max_retries: int | None = None
    enabled: bool = True

    def token(self, environ: dict[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.token_env) if self.token_env else None


def sources_path(config: Config, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("RESEARCH_INDEX_SOURCES"):
        return Path(env["RESEARCH_INDEX_SOURCES"])
    local = config.home / "sources.toml"
    return local if local.exists() else DEFAULT_FILE


def load_sources(config: Config, environ: dict[str, str] | None = None) -> dict[str, Source]:
    """Every configured source by name, validated; the SweCRIS base URL follows the config."""
    path = sources_path(config, environ)
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sources file {path} is not valid TOML: {exc}") from exc
    raw = table.get("sources")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path} has no [sources.NAME] tables")
    out: dict[str, Source] = {}
    for name, entry in raw.items():
        out[name] = _source(path, name, entry, config)
    return out


def _source(path: Path, name: str, entry: Any, config: Config) -> Source:
    where = f"{path}: [sources.{name}]"
    if not _NAME.match(name):
        raise ConfigError(f"{where}: a source name is lowercase letters, digits, - and _")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(entry) - {
        "kind",
        "base_url",
        "sets",
        "token_env",
        "delay",
        "timeout",
        "max_retries",
        "enabled",
    }
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    base_url = entry.get("base_url")
    if kind in FILE_KINDS:  # files a user imports; nothing to fetch
        base_url = base_url or "file:"
    elif kind == "swecris" and name == "swecris":
        base_url = config.swecris_base_url  # SWECRIS_BASE_URL / config.toml win
    if kind not in FILE_KINDS and (
        not isinstance(base_url, str) or not base_url.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"{where}: base_url must be an http(s) URL")
    sets = entry.get("sets", [])
    if not isinstance(sets, list) or not all(isinstance(s, str) for s in sets):
        raise ConfigError(f"{where}: sets must be a list of strings")
    delay = entry.get("delay", 0.0)
    if not isinstance(delay, int | float) or delay < 0:
        raise ConfigError(f"{where}: delay must be a number of seconds >= 0")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: enabled must be true or false")
    return Source(
        name=name,
        kind=kind,
        base_url=cast(str, base_url).rstrip("/"),  # checked above, or a file kind's own
        sets=tuple(sets),
        token_env=entry.get("token_env"),
        delay=float(delay),
        timeout=entry.get("timeout"),
        max_retries=entry.get("max_retries"),
        enabled=enabled,
    )
