"""The robustness README names every test module of the suite and all seven parts of issue 8."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def test_readme_tabulates_every_module_and_part() -> None:
    text = (HERE / "README.md").read_text(encoding="utf-8")
    modules = sorted(p.name for p in HERE.glob("test_*.py") if p.name != Path(__file__).name)
    assert len(modules) >= 8
    assert [m for m in modules if f"`{m}`" not in text] == []
    for part in (
        "1. Harvest input",
        "2. Source faults",
        "3. Properties",
        "4. Web abuse",
        "5. Injection",
        "6. Load",
        "7. Crash safety",
    ):
        assert f"| {part}" in text, part
