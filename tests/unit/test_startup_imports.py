"""The app draws its first frame before the database stack is imported: that stack loads in a worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the first frame must not wait for: the database stack, the settings, the scheduler.
DEFERRED = ["sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "alembic", "apscheduler", "psycopg",
            "billing_tui.storage.db", "billing_tui.storage.shop_models", "billing_tui.services.carts"]

PROBE = """
import sys
import billing_tui.cli, billing_tui.app
from billing_tui.app import build_app
app = build_app("sqlite:///never-opened.sqlite3", run_scheduler=True)
start_screen = app.MODES["carts"]()
deferred = sys.argv[1:]
print("LOADED", ",".join(m for m in deferred if m in sys.modules) or "-")
print("TEXTUAL", "textual.app" in sys.modules)
"""


def test_the_start_path_imports_no_database_stack() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, *DEFERRED], capture_output=True, text=True, check=False,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["TEXTUAL"] == "True"  # the probe did import the app
    assert lines["LOADED"] == "-"
    assert not Path(ROOT / "never-opened.sqlite3").exists()
