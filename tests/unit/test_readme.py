"""The README's commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_test_script() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert any("scripts/test.sh" in ln for ln in commands)
    assert (ROOT / "scripts" / "test.sh").is_file() and (ROOT / "scripts" / "demo.sh").is_file()


def test_the_test_script_lints_imports_and_runs_pytest() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "lint-imports" in script
    assert "pytest" in script


def test_readme_gives_the_test_and_demo_commands() -> None:
    readme = ROOT / "README.md"
    if not readme.is_file():
        pytest.skip("README.md does not exist yet; it must mention 'bash scripts/test.sh' and 'bash scripts/demo.sh'")
    text = readme.read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in text
    assert "bash scripts/demo.sh" in text
