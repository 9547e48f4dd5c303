"""Shared fixtures: where the shared data lives, a fresh data folder, a resolved config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harvesters.config import Config, load_config

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """``$RESEARCH_INDEX_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get("RESEARCH_INDEX_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    if not (path / "swecris").is_dir():
        raise RuntimeError(
            f"shared data not found at {path}; set RESEARCH_INDEX_SHARED_DATA to its folder"
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


@pytest.fixture(scope="session")
def kth_exports(shared_data: Path) -> list[Path]:
    parts = sorted((shared_data / "swecris").glob("kth_scp_export_part*of6.csv"))
    assert len(parts) == 6
    return parts


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def config(home: Path) -> Config:
    return load_config(home=home, env={})


@pytest.fixture(scope="session")
def kth_home(tmp_path_factory: pytest.TempPathFactory, kth_exports: list[Path]) -> Path:
    """A data folder with all six KTH export parts imported and indexed (built once)."""
    from webapp.cli import main

    home = tmp_path_factory.mktemp("kth-index")
    assert main(["--home", str(home), "import", "swecris", *map(str, kth_exports), "--quiet"]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    return home


@pytest.fixture(scope="session")
def kth_service(kth_home: Path):  # type: ignore[no-untyped-def]
    from indexer.search import SearchService

    return SearchService(kth_home / "index")
