"""The header's database label, read without SQLAlchemy, is the label SQLAlchemy's parsing gives: no password."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from billing_tui.storage import urls

HOME = str(Path.home())
URLS = [
    "sqlite://",
    "sqlite:///:memory:",
    f"sqlite:///{HOME}/.local/share/billing-tui/billing.sqlite3",
    "sqlite:////tmp/a b.sqlite3",
    "sqlite:///relative.sqlite3",
    "sqlite+pysqlite:////tmp/x.sqlite3?mode=ro",
    "sqlite:///~/x.sqlite3",
    "sqlite:///%7E/x%20y.sqlite3",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://user:s3cr%40t@db.example.com:05432/billing?sslmode=require&application_name=b t",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_carts",
    "postgresql://u:p@[::1]:5432/db?b=2&a=1&b=1",
    "postgresql://u:@host/db",
    "postgresql://@host/db",
    "postgresql://host",
    "mysql+pymysql://u:p:q@h/d",
    "postgresql://u%20x:p@h/d%2Fx",
    "postgresql://us+er:p@h/db?",
    "not a url",
    "",
]


def _sqlalchemy_label(url: str) -> str:
    """The reference: the label as SQLAlchemy's own URL parsing gives it."""
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        path, home = parsed.database or ":memory:", str(Path.home())
        return "sqlite:" + (("~" + path[len(home):]) if path.startswith(home) else path)
    return parsed.render_as_string(hide_password=True)


@pytest.mark.parametrize("url", URLS)
def test_label_is_the_one_sqlalchemy_parsing_gives(url: str) -> None:
    assert urls.describe_url(url) == _sqlalchemy_label(url)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://billing:Tr0ub4dor@db.example.com/billing",
    "postgresql+psycopg://billing:Tr0ub4dor%40x@db.example.com/billing",
    "mysql+pymysql://billing:Tr0ub4dor:x@db/billing?charset=utf8mb4",
    "postgresql://billing:Tr0ub4dor@[::1]:5432/billing",
])
def test_label_never_shows_a_password(url: str) -> None:
    label = urls.describe_url(url)
    assert "Tr0ub4dor" not in label and ":***@" in label


@pytest.mark.parametrize("url", URLS)
def test_sqlite_file_is_the_database_path(url: str) -> None:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL: no file
        expected = None
    else:
        name = parsed.database
        sqlite = parsed.get_backend_name() == "sqlite" and name and name != ":memory:"
        expected = Path(name).expanduser() if sqlite else None
    assert urls.sqlite_file(url) == expected
