"""Configuration: the single list of settings, read from a TOML file and the environment.

Every setting is declared once in ``SETTINGS`` with its TOML key, its environment variable, its
default and a line of help; the README's settings table is checked against this list by a test.
Precedence: environment variable, then the TOML file, then the default. The TOML file is
``$RESEARCH_INDEX_CONFIG`` if set, else ``<home>/config.toml`` when it exists.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvesters.core.errors import ConfigError

# The public SweCRIS token rotates about once a year; the current one is published here.
SWECRIS_TOKEN_PAGE = "https://www.vr.se/english/swecris/swecris-api.html"
DEFAULT_SWECRIS_TOKEN = "VRSwecrisAPI2026-1"


@dataclass(frozen=True)
class Setting:
    key: str
    env: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "home",
        "RESEARCH_INDEX_HOME",
        "./index_data",
        "Data folder: record store, raw payloads, index versions, locks.",
    ),
    Setting(
        "config",
        "RESEARCH_INDEX_CONFIG",
        None,
        "Path of the TOML configuration file (default: <home>/config.toml if present).",
    ),
    Setting(
        "swecris.base_url",
        "SWECRIS_BASE_URL",
        "https://swecris-api.vr.se/v1",
        "Base URL of the SweCRIS REST API.",
    ),
    Setting(
        "swecris.token",
        "SWECRIS_TOKEN",
        DEFAULT_SWECRIS_TOKEN,
        f"Bearer token for SweCRIS; the public one rotates yearly ({SWECRIS_TOKEN_PAGE}).",
    ),
    Setting(
        "swecris.page_size",
        "SWECRIS_PAGE_SIZE",
        500,
        "Rows per page when paging through /scp/search.",
    ),
    Setting(
        "harvest.timeout",
        "RESEARCH_INDEX_HTTP_TIMEOUT",
        60.0,
        "Seconds to wait for a connection or a read before retrying.",
    ),
    Setting(
        "harvest.response_time",
        "RESEARCH_INDEX_HTTP_RESPONSE_TIME",
        600.0,
        "Seconds one whole response may take to arrive; a server trickling it is cut off.",
    ),
    Setting(
        "harvest.retry_budget",
        "RESEARCH_INDEX_RETRY_BUDGET",
        600.0,
        "Seconds a run may spend on retries and backoff before it fails.",
    ),
    Setting(
        "harvest.max_retries",
        "RESEARCH_INDEX_MAX_RETRIES",
        6,
        "Attempts per request after the first before the source is declared unavailable.",
    ),
    Setting(
        "harvest.error_budget",
        "RESEARCH_INDEX_ERROR_BUDGET",
        0.05,
        "Share of records that may fail to normalise before the run is rejected.",
    ),
    Setting(
        "harvest.shrink_threshold",
        "RESEARCH_INDEX_SHRINK_THRESHOLD",
        0.9,
        "A complete harvest below this share of the last one is refused (--allow-shrink).",
    ),
)

_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings. Build with ``load_config()``; pass it down explicitly."""

    home: Path
    swecris_base_url: str
    swecris_token: str
    swecris_page_size: int
    timeout: float
    response_time: float
    retry_budget: float
    max_retries: int
    error_budget: float
    shrink_threshold: float

    @property
    def store_path(self) -> Path:
        return self.home / "records.sqlite3"

    @property
    def lock_dir(self) -> Path:
        return self.home / "locks"

    @property
    def index_root(self) -> Path:
        return self.home / "index"


def load_config(
    home: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Resolve every setting. ``overrides`` (by setting key) win over everything else."""
    environ = dict(os.environ if env is None else env)
    overrides = dict(overrides or {})
    home_path = Path(
        home
        or overrides.pop("home", None)
        or environ.get("RESEARCH_INDEX_HOME")
        or _BY_KEY["home"].default
    )
    config_file = environ.get("RESEARCH_INDEX_CONFIG")
    toml_path = Path(config_file) if config_file else home_path / "config.toml"
    table: dict[str, Any] = {}
    if config_file or toml_path.exists():
        table = _read_toml(toml_path)

    def value(key: str) -> Any:
        setting = _BY_KEY[key]
        if key in overrides and overrides[key] is not None:
            raw: Any = overrides[key]
        elif setting.env in environ and environ[setting.env] != "":
            raw = environ[setting.env]
        else:
            section, _, name = key.partition(".")
            raw = table.get(section, {}).get(name, setting.default)
        return _coerce(setting, raw)

    return Config(
        home=home_path,
        swecris_base_url=str(value("swecris.base_url")).rstrip("/"),
        swecris_token=str(value("swecris.token")),
        swecris_page_size=value("swecris.page_size"),
        timeout=value("harvest.timeout"),
        response_time=value("harvest.response_time"),
        retry_budget=value("harvest.retry_budget"),
        max_retries=value("harvest.max_retries"),
        error_budget=value("harvest.error_budget"),
        shrink_threshold=value("harvest.shrink_threshold"),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _coerce(setting: Setting, raw: Any) -> Any:
    kind = type(setting.default)
    if setting.default is None or kind is str:
        return raw
    try:
        result = kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{setting.env} / {setting.key} must be a {kind.__name__}, got {raw!r}"
        ) from exc
    if kind in (int, float) and result < 0:
        raise ConfigError(f"{setting.env} / {setting.key} must not be negative, got {raw!r}")
    return result
