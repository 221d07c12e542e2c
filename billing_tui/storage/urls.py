"""Database URLs read without SQLAlchemy: the header's label and the SQLite file, cheap enough for startup.

The parsing follows ``sqlalchemy.engine.make_url`` (tests/unit/test_database_urls.py holds the two
together), so the app can show which database it is opening before it has imported the database stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote

# sqlalchemy.engine.url._parse_url's pattern.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Parts:
    drivername: str
    username: str | None
    password: str | None
    host: str | None
    port: str | None
    database: str | None
    query: str | None

    @property
    def backend(self) -> str:
        return self.drivername.split("+", 1)[0]


def _parse(url: str) -> _Parts | None:
    match = _URL.match(url)
    if match is None:
        return None
    g = match.groupdict()
    username, password, database = (unquote(g[k]) if g[k] is not None else None
                                    for k in ("username", "password", "database"))
    return _Parts(g["name"], username, password, g["ipv4host"] or g["ipv6host"], g["port"] or None, database,
                  g["query"])


def describe_url(url: str) -> str:
    """A short, password-free description of a database URL for the header and messages."""
    parts = _parse(url)
    if parts is None:
        return url
    if parts.backend == "sqlite":
        path = parts.database or ":memory:"
        home = str(Path.home())
        return "sqlite:" + (("~" + path[len(home):]) if path.startswith(home) else path)
    label = parts.drivername + "://"
    if parts.username is not None:
        label += quote(parts.username, safe=" +") + (":***" if parts.password is not None else "") + "@"
    if parts.host is not None:
        label += f"[{parts.host}]" if ":" in parts.host else parts.host
    if parts.port is not None:
        label += ":" + (str(int(parts.port)) if parts.port.isdigit() else parts.port)
    if parts.database is not None:
        label += "/" + quote(parts.database, safe=" +/")
    if parts.query:
        pairs = sorted(parse_qsl(parts.query), key=lambda kv: kv[0])  # stable: repeated keys keep their order
        if pairs:
            label += "?" + "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    return label


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``~`` expanded); None for other databases, in-memory SQLite or no URL at all."""
    parts = _parse(url)
    if parts is None or parts.backend != "sqlite" or not parts.database or parts.database == ":memory:":
        return None
    return Path(parts.database).expanduser()
