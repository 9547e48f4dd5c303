"""The source registry: the documented default, overrides, validation, and the CLI listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvesters.core.config import Config, load_config
from harvesters.core.errors import ConfigError
from harvesters.core.sources import DEFAULT_FILE, load_sources
from webapp.cli import main


def test_default_registry_is_documented_and_valid(config: Config) -> None:
    sources = load_sources(config, environ={})
    assert sources["swecris"].kind == "swecris"
    assert sources["swecris"].base_url == config.swecris_base_url
    assert sources["swecris"].token_env == "SWECRIS_TOKEN"
    cris = sources["example-cris"]
    assert cris.kind == "oai-cerif" and cris.enabled is False
    assert "openaire_cris_equipments" in cris.sets
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    for key in (
        "kind",
        "base_url",
        "sets",
        "token_env",
        "delay",
        "timeout",
        "max_retries",
        "enabled",
    ):
        assert f"# {key}" in text, f"{key} is not documented in {DEFAULT_FILE.name}"


def test_home_file_then_environment_override(tmp_path: Path) -> None:
    config = load_config(home=tmp_path, env={})
    (tmp_path / "sources.toml").write_text(
        '[sources.lund]\nkind = "oai-cerif"\nbase_url = "https://lucris.lub.lu.se/ws/oai"\n'
        'sets = ["openaire_cris_projects"]\ntoken_env = "LUND_TOKEN"\n',
        encoding="utf-8",
    )
    sources = load_sources(config, environ={})
    assert list(sources) == ["lund"]
    assert sources["lund"].token({"LUND_TOKEN": "s3cret"}) == "s3cret"
    other = tmp_path / "other.toml"
    other.write_text(
        '[sources.x]\nkind = "swecris"\nbase_url = "http://127.0.0.1:9/v1"\n', encoding="utf-8"
    )
    assert list(load_sources(config, environ={"RESEARCH_INDEX_SOURCES": str(other)})) == ["x"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[sources.a]\nkind = "ftp"\nbase_url = "http://x"\n', "kind must be one of"),
        ('[sources.a]\nkind = "oai-cerif"\nbase_url = "file:///etc"\n', "http(s) URL"),
        ('[sources.a]\nkind = "oai-cerif"\nbase_url = "http://x"\ntoken = "x"\n', "unknown keys"),
        ('[sources.a]\nkind = "oai-cerif"\nbase_url = "http://x"\ndelay = -1\n', "delay"),
        ('[sources."Bad Name"]\nkind = "oai-cerif"\nbase_url = "http://x"\n', "source name"),
        ("[sources\n", "not valid TOML"),
        ("[other]\n", "no [sources.NAME]"),
    ],
)
def test_invalid_registry_is_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(body, encoding="utf-8")
    config = load_config(home=tmp_path, env={})
    with pytest.raises(
        ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        load_sources(config, environ={"RESEARCH_INDEX_SOURCES": str(path)})


def test_sources_command_lists_last_harvest(config: Config, tmp_path: Path, capsys) -> None:
    rows = tmp_path / "rows.json"
    rows.write_text(
        json.dumps([{"projectId": "2020-1_VR", "projectTitleEn": "x"}]), encoding="utf-8"
    )
    assert main(["--home", str(config.home), "import", "swecris", str(rows), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--home", str(config.home), "sources", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["swecris"]["records"] == 1
    assert listed["swecris"]["last_status"] == "ok"
    assert listed["example-cris"]["last_attempt"] is None
    assert main(["--home", str(config.home), "sources"]) == 0
    assert "example-cris" in capsys.readouterr().out
