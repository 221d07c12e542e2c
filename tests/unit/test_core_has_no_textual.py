"""The core (domain, services, storage, CLI, config) never imports Textual, checked by import and by import-linter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE_MODULES = [
    "billing_tui.config",
    "billing_tui.cli",
    "billing_tui.domain",
    "billing_tui.domain.carts",
    "billing_tui.domain.clock",
    "billing_tui.domain.errors",
    "billing_tui.domain.identifiers",
    "billing_tui.domain.money",
    "billing_tui.domain.profile",
    "billing_tui.services",
    "billing_tui.services.audit",
    "billing_tui.services.carts",
    "billing_tui.services.company",
    "billing_tui.services.context",
    "billing_tui.services.customers",
    "billing_tui.demo",
    "billing_tui.services.views",
    "billing_tui.storage",
    "billing_tui.storage.db",
    "billing_tui.storage.migrate",
    "billing_tui.storage.shop_models",
    "billing_tui.storage.types",
]

PROBE = """
import importlib, pkgutil, sys
import billing_tui.domain, billing_tui.services, billing_tui.storage
names = list(sys.argv[1:])
for pkg in (billing_tui.domain, billing_tui.services, billing_tui.storage):
    names += [m.name for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".") if not m.ispkg]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("MODULES", len(set(names)))
print("TEXTUAL", ",".join(loaded) or "-")
"""


def test_importing_the_core_does_not_load_textual() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, *CORE_MODULES], capture_output=True, text=True,
                            check=False, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert int(lines["MODULES"]) >= len(CORE_MODULES)
    assert lines["TEXTUAL"] == "-"


def test_the_probe_would_notice_textual(tmp_path: Path) -> None:
    # The check above can fail: a core module that imports Textual is reported. (A stand-in
    # package named "textual", imported by a stand-in module, keeps this fast.)
    (tmp_path / "textual").mkdir()
    (tmp_path / "textual" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "core_with_ui.py").write_text("import textual\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE, "core_with_ui"], capture_output=True, text=True,
                            check=False, cwd=ROOT, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "TEXTUAL textual" in result.stdout


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"{lint_imports} is missing: install the test extras"
    return subprocess.run([str(lint_imports), *args], capture_output=True, text=True, check=False, cwd=ROOT,
                          timeout=300)


def test_import_linter_contracts_hold() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


