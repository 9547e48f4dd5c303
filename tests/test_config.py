"""Settings: precedence (environment, TOML, default), validation, and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvesters.core.config import DEFAULT_SWECRIS_TOKEN, SETTINGS, load_config
from harvesters.core.errors import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config(home=tmp_path, env={})
    assert cfg.swecris_base_url == "https://swecris-api.vr.se/v1"
    assert cfg.swecris_token == DEFAULT_SWECRIS_TOKEN
    assert cfg.error_budget == 0.05 and cfg.shrink_threshold == 0.9
    assert cfg.store_path == tmp_path / "records.sqlite3"


def test_home_from_environment(tmp_path: Path) -> None:
    cfg = load_config(env={"RESEARCH_INDEX_HOME": str(tmp_path / "x")})
    assert cfg.home == tmp_path / "x"


def test_toml_then_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[swecris]\nbase_url = "http://127.0.0.1:9/v1/"\ntoken = "from-toml"\npage_size = 50\n',
        encoding="utf-8",
    )
    cfg = load_config(home=tmp_path, env={})
    assert (cfg.swecris_base_url, cfg.swecris_token, cfg.swecris_page_size) == (
        "http://127.0.0.1:9/v1",
        "from-toml",
        50,
    )
    cfg = load_config(home=tmp_path, env={"SWECRIS_TOKEN": "from-env"})
    assert cfg.swecris_token == "from-env"


def test_explicit_config_path_must_exist_and_parse(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(home=tmp_path, env={"RESEARCH_INDEX_CONFIG": str(tmp_path / "nope.toml")})
    bad = tmp_path / "bad.toml"
    bad.write_text("[swecris\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(home=tmp_path, env={"RESEARCH_INDEX_CONFIG": str(bad)})


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([a-z_.]+)` \|", text, flags=re.M)
    documented = {env: key for env, key in rows if not env.startswith("RESEARCH_INDEX_WEB_")}
    declared = {s.env: s.key for s in SETTINGS}
    assert documented == declared


def test_readme_commands_and_ci_agree() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)
    run_product, run_tests = blocks[0].strip(), blocks[1].strip()
    assert run_product.startswith("pip install -e . && research-index ")
    assert run_tests.startswith('pip install -e ".[test]"')
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert run_tests in ci.splitlines()


def test_every_web_setting_is_documented_in_the_readme() -> None:
    from webapp.config import WEB_SETTINGS

    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `RESEARCH_INDEX_WEB_([A-Z_]+)` \|", text, flags=re.M))
    assert documented == {s.name for s in WEB_SETTINGS}
