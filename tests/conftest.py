"""Shared fixtures: where the shared data lives, a fresh data folder, a resolved config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harvesters.core.config import Config, load_config

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
    from indexer.service.search import SearchService

    return SearchService(kth_home / "index")


XSS_TITLE = '<script>alert("t")</script> Evil title =HYPERLINK("http://x")'
XSS_ABSTRACT = '"><img src=x onerror=alert(1)> Forskning om <b>fetstil</b> &amp; mer'
XSS_ORG = "<svg onload=alert(2)> Evil University"
XSS_FUNDER = "@SUM(A1) <iframe src=javascript:alert(3)>"
XSS_ID = '2020-66603_VR"><svg onload=alert(6)>'
XSS_ORG_ID = '"><img src=x onerror=alert(9)>'


def evil_rows() -> list[dict[str, object]]:
    """Projects whose every text field carries a markup or formula payload.

    The third row also carries payloads in its ids (project and organisation number), a
    ``javascript:`` title and a negative amount, which must stay a number in CSV.
    """
    base = {
        "projectStartDate": "2020-01-01 00:00:00",
        "projectEndDate": "2030-12-31 00:00:00",
        "coordinatingOrganisationId": "999999-0001",
        "coordinatingOrganisationNameEn": XSS_ORG,
        "coordinatingOrganisationNameSv": XSS_ORG,
        "coordinatingOrganisationTypeOfOrganisationEn": "<i>University</i>",
        "coordinatingOrganisationTypeOfOrganisationSv": "<i>Universitet</i>",
        "fundingOrganisationId": "999999-0002",
        "fundingOrganisationNameEn": XSS_FUNDER,
        "fundingOrganisationNameSv": XSS_FUNDER,
        "fundingOrganisationTypeOfOrganisationEn": '"><svg onload=alert(4)>',
        "fundingOrganisationTypeOfOrganisationSv": '"><svg onload=alert(4)>',
        "fundingsSek": 1000,
        "fundingYear": "2020",
        "typeOfAwardId": "1",
        "typeOfAwardDescrEn": "<img src=x onerror=alert(5)> Project grant",
        "typeOfAwardDescrSv": "<img src=x onerror=alert(5)> Projektbidrag",
        "peopleList": [
            {
                "personId": "<p>7</p>",
                "fullName": "<b>Mallory</b>",
                "orcId": "0000-0002-5407-0835",
                "roleEn": "<u>PI</u>",
                "roleSv": "<u>PL</u>",
            }
        ],
        "scbs": [
            {
                "scb1Id": "1",
                "scb1NameEn": "<s>Natural</s>",
                "scb1NameSv": "<s>Natur</s>",
                "scb3Id": "101",
                "scb3NameEn": "<a href=javascript:alert(8)>Maths</a>",
                "scb3NameSv": "<a href=javascript:alert(8)>Matte</a>",
                "scb5Id": "10101",
                "scb5NameEn": "'><marquee>Analysis",
                "scb5NameSv": "'><marquee>Analys",
            }
        ],
    }
    return [
        {
            **base,
            "projectId": "2020-66601_VR",
            "projectTitleEn": XSS_TITLE,
            "projectTitleSv": XSS_TITLE,
            "projectAbstractEn": XSS_ABSTRACT,
            "projectAbstractSv": XSS_ABSTRACT,
        },
        {
            **base,
            "projectId": "2020-66602_VR",
            "projectTitleEn": "-cmd|' /C calc'!A0",
            "projectAbstractEn": "+1 and \t=1 forskning",
        },
        {
            **base,
            "projectId": XSS_ID,
            "projectTitleEn": "javascript:alert(7)</title><script>alert(12)</script>",
            "projectTitleSv": '<a href="javascript:alert(7)">klick</a>',
            "projectAbstractEn": "</title></textarea><script>alert(10)</script> forskning",
            "coordinatingOrganisationId": XSS_ORG_ID,
            "coordinatingOrganisationNameEn": "\u2028</script><script>alert(11)</script>",
            "fundingsSek": -5,
        },
    ]


@pytest.fixture(scope="session")
def evil_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose only projects carry XSS and CSV-formula payloads, indexed."""
    import json

    from webapp.cli import main

    home = tmp_path_factory.mktemp("evil")
    source = home / "evil.json"
    source.write_text(json.dumps(evil_rows()), encoding="utf-8")
    assert main(["--home", str(home), "import", "swecris", str(source), "--quiet"]) == 0
    assert main(["--home", str(home), "index", "--quiet"]) == 0
    return home


@pytest.fixture(scope="session")
def app(kth_home: Path):  # type: ignore[no-untyped-def]
    """The web app on the KTH index, shared by the web tests."""
    from webapp import create_app

    return create_app({"INDEX_DIR": str(kth_home / "index"), "TESTING": True})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture(scope="session")
def full_home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A data folder brought up from the whole shared data set, as ``research-index up --from``
    does it for a newcomer: every folder imported, the registry made, the index built once."""
    from indexer.operations.up import bring_up

    home = tmp_path_factory.mktemp("full")
    lines = list(bring_up(load_config(home=home, env={}), shared_data, quiet=True))
    assert any(line.startswith("index ") and "built" in line for line in lines), lines
    return home
