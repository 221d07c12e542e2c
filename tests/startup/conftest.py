"""The startup tests reuse the Pilot fixtures (the demo database, the fixed clock)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ui.conftest import demo_template  # noqa: F401


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:  # noqa: F811
    """A private copy of the demo database, as a URL for the app to open itself."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    return f"sqlite:///{path}"
