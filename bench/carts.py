"""The carts benchmark, 1,000,000 demo carts: first frame and first page vs a bare app, filter and search, memory.

Run from the project root:

    .venv/bin/python bench/carts.py                      # SQLite, 1,000,000 carts (built once, cached)
    .venv/bin/python bench/carts.py --carts 100000       # a smaller database
    .venv/bin/python bench/carts.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

It is a report, not a test: it prints the figures beside the goals and exits 0.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from billing_tui.services.carts import CartQuery, list_carts
from billing_tui.services.context import ServiceContext, open_context

OUT = Path(__file__).resolve().parent / "out"
CHILD = Path(__file__).resolve().parent / "_first_frame.py"
AS_OF = date(2026, 11, 23)
FIRST_CART_NUMBER = 100_001

GOAL_START_RATIO = 1.5
GOAL_QUERY_MS = 150.0
GOAL_MEMORY_MB = 200.0
CHILD_TIMEOUT_S = 60.0
PG_SCHEMA = "bench_carts"


# --- the database -------------------------------------------------------------------------


def _schema_key() -> str:
    """Changes when the carts' tables or indexes change, so a cached database never has yesterday's indexes.

    (Other tables do not matter: opening the cached database migrates it like any user's.)
    """
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from billing_tui.storage.shop_models import (
        Cart,
        CartLine,
        Customer,
        Payment,
        Product,
    )

    digest = sha256()
    dialect = sqlite.dialect()
    for model in (Customer, Product, Cart, CartLine, Payment):
        table = model.__table__  # type: ignore[attr-defined]
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()[:10]


def _fill(url: str, carts: int, seed: int) -> float:
    from billing_tui.demo import fill_demo

    ctx = open_context(url)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 100_000 < 5_000:
            print(f"  … {done:,} / {total:,} carts ({time.perf_counter() - started:.0f} s)", flush=True)

    fill_demo(ctx, carts=carts, seed=seed, as_of=AS_OF, progress=progress)
    elapsed = time.perf_counter() - started
    ctx.db.dispose()
    return elapsed


def sqlite_database(carts: int, seed: int, rebuild: bool) -> tuple[str, str]:
    """The cached SQLite database for ``carts`` and ``seed``, built when missing; returns (url, how)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"carts-{carts}-seed{seed}-{_schema_key()}.sqlite3"
    if path.exists() and not rebuild:
        return f"sqlite:///{path}", f"cached {path.relative_to(ROOT)}"
    partial = path.with_name(path.name + ".building")
    for stale in (path, partial, *(Path(f"{p}{s}") for p in (path, partial) for s in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    print(f"Building {carts:,} demo carts (seed {seed}) in {path.relative_to(ROOT)} …", flush=True)
    elapsed = _fill(f"sqlite:///{partial}", carts, seed)
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(partial)) as conn:  # fold the WAL into the file, so the rename takes all
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    partial.rename(path)
    return f"sqlite:///{path}", f"built in {elapsed:.0f} s"


def postgres_database(base_url: str, carts: int, seed: int, vacuum: bool) -> tuple[str, str]:
    """A fresh schema ``bench_carts`` on ``base_url`` with ``carts`` demo carts, analyzed (and vacuumed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    sep = "&" if "?" in base_url else "?"
    url = f"{base_url}{sep}options=-csearch_path%3D{PG_SCHEMA}"
    print(f"Building {carts:,} demo carts (seed {seed}) in PostgreSQL schema {PG_SCHEMA} …", flush=True)
    elapsed = _fill(url, carts, seed)
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("customer", "product", "cart", "cart_line", "payment"):
            conn.execute(text(f"{command} {PG_SCHEMA}.{table}"))
    engine.dispose()
    return url, f"built in {elapsed:.0f} s, then {command}"


def drop_postgres_schema(base_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


# --- the service calls --------------------------------------------------------------------


def query_cases(carts: int) -> list[tuple[str, CartQuery]]:
    """Every list the carts screen can ask for, as (label, query)."""
    middle = FIRST_CART_NUMBER + carts // 2
    cases: list[tuple[str, CartQuery]] = [("first page (all, date_desc)", CartQuery())]
    for status in ("confirmed", "unconfirmed", "open", "abandoned", "payment_failed"):
        cases.append((f"filter {status}", CartQuery(status=status)))
    for sort in ("date_asc", "total_desc", "total_asc"):
        cases.append((f"sort {sort}", CartQuery(sort=sort)))
    for status in ("confirmed", "unconfirmed", "payment_failed"):
        for sort in ("date_asc", "total_desc", "total_asc"):
            cases.append((f"filter {status}, sort {sort}", CartQuery(status=status, sort=sort)))
    cases.append((f"search cart number {middle}", CartQuery(search=str(middle))))
    for fragment in ("ross", "niccol", "ionescu", "zzz", "a"):
        cases.append((f"search customer {fragment!r}", CartQuery(search=fragment)))
    cases.append(("search 'ross', filter unconfirmed", CartQuery(search="ross", status="unconfirmed")))
    cases.append(("search 'ross', sort total_desc", CartQuery(search="ross", sort="total_desc")))
    cases.append(("search 'a', sort total_desc", CartQuery(search="a", sort="total_desc")))
    cases.append(("search 'a', filter open, total_asc", CartQuery(search="a", status="open", sort="total_asc")))
    cases.append((f"search number {middle}, filter confirmed", CartQuery(search=str(middle), status="confirmed")))
    deep = carts // 2
    cases.append((f"deep page (offset {deep:,})", CartQuery(offset=deep)))
    cases.append((f"deep page, total_desc (offset {deep:,})", CartQuery(offset=deep, sort="total_desc")))
    cases.append((f"deep page, confirmed (offset {deep // 2:,})", CartQuery(offset=deep // 2, status="confirmed")))
    cases.append((f"deep page, unconfirmed (offset {deep // 5:,})", CartQuery(offset=deep // 5, status="unconfirmed")))
    return cases


@dataclass
class Timing:
    label: str
    median_ms: float
    first_ms: float
    rows: int
    has_more: bool
    statements: list[tuple[str, object]] = field(default_factory=list)


@contextmanager
def _recorded_statements(ctx: ServiceContext) -> Iterator[list[tuple[str, object]]]:
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)


def time_queries(ctx: ServiceContext, cases: list[tuple[str, CartQuery]], runs: int) -> list[Timing]:
    """Median wall time of ``list_carts`` per case, and its first run (SQL not yet compiled) beside it."""
    list_carts(ctx, CartQuery())  # connect and warm the statement cache once, like an app that has started
    timings = []
    for label, query in cases:
        with _recorded_statements(ctx) as statements:
            started = time.perf_counter()
            page = list_carts(ctx, query)
            first = (time.perf_counter() - started) * 1000
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            page = list_carts(ctx, query)
            samples.append((time.perf_counter() - started) * 1000)
        timings.append(Timing(label, statistics.median(samples), first, len(page.rows), page.has_more,
                              list(statements)))
    return timings


def print_plans(ctx: ServiceContext, timings: list[Timing]) -> None:
    """EXPLAIN (QUERY PLAN) of every statement each case ran."""
    from sqlalchemy import text

    with ctx.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for t in timings:
            print(f"\n== {t.label}")
            for statement, params in t.statements:
                print("   " + " ".join(statement.split()))
                cursor = raw.cursor()
                if ctx.db.is_sqlite:
                    cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
                    for row in cursor.fetchall():
                        print(f"     {row[3]}")
                else:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
                    for row in cursor.fetchall():
                        print(f"     {row[0]}")
                cursor.close()
        conn.execute(text("SELECT 1"))


# --- first frame, first page, the carts screen in use, and memory -------------------------


@dataclass
class Spawn:
    seconds: float | None  # spawn to FIRST_FRAME on stdout (the bare app: its table filled; the app: its shell)
    max_rss_mb: float
    page_seconds: float | None = None  # spawn to FIRST_PAGE (the app's first page of data; bare: = seconds)
    stages: dict[str, float] = field(default_factory=dict)  # the child's own figures, ms since script start
    ui: dict[str, str] = field(default_factory=dict)  # action -> "wall ms/SQL ms"
    error: str = ""


def _fields(line: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)


def _spawn_once(args: list[str]) -> Spawn:
    """Run the child to its end; wall time from spawn to its FIRST_FRAME and FIRST_PAGE lines, and its peak RSS."""
    import tempfile

    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, stderr=errors, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout is not None
        seen: dict[bytes, float] = {}
        output = b""
        deadline = started + CHILD_TIMEOUT_S
        while True:  # until the child closes its stdout (exits) or runs out of time
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.perf_counter()))
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                break
            output += chunk
            for marker in (b"FIRST_FRAME", b"FIRST_PAGE"):
                if marker not in seen and marker in output:
                    seen[marker] = time.perf_counter() - started
        if not ready:
            proc.kill()  # out of time
        _, status, usage = os.wait4(proc.pid, 0)  # reaps the child and tells its peak memory
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    frame = seen.get(b"FIRST_FRAME")
    spawn = Spawn(frame, usage.ru_maxrss / 1024, seen.get(b"FIRST_PAGE", frame))  # Linux: ru_maxrss is in kB
    for line in output.decode(errors="replace").splitlines():
        if line.startswith(("FIRST_FRAME", "FIRST_PAGE")):
            spawn.stages.update({k: float(v) for k, v in _fields(line).items()})
        elif line.startswith("UI "):
            spawn.ui = _fields(line)
    if frame is None or spawn.page_seconds is None:
        last = stderr.splitlines()[-1] if stderr else f"no FIRST_FRAME and FIRST_PAGE within {CHILD_TIMEOUT_S:.0f} s"
        spawn.error = f"exit {proc.returncode}: {last}"
    return spawn


def app_available() -> str:
    """Empty when billing_tui/app.py offers build_app(url, on_first_frame=..., on_first_page=...); else why not."""
    path = ROOT / "billing_tui" / "app.py"
    if not path.exists():
        return "billing_tui/app.py does not exist"
    source = path.read_text(encoding="utf-8")
    if "def build_app" not in source or "on_first_page" not in source or "on_first_frame" not in source:
        return "billing_tui/app.py has no build_app(url, on_first_frame=..., on_first_page=...)"
    return ""


@dataclass
class FirstFrame:
    bare: list[Spawn] = field(default_factory=list)
    floor: list[Spawn] = field(default_factory=list)  # the bare app showing list_carts' first page
    app: list[Spawn] = field(default_factory=list)
    ui: list[Spawn] = field(default_factory=list)
    note: str = ""


def first_frame(url: str, runs: int, ui_runs: int) -> FirstFrame:
    """Spawn the bare app, the floor and the app in turn, ``runs`` times each; then the app driven through the UI."""
    result = FirstFrame()
    why_not = app_available()
    if why_not:
        result.note = f"app not available yet ({why_not})"
    for _ in range(runs):
        result.bare.append(_spawn_once(["bare"]))
        result.floor.append(_spawn_once(["floor", url]))
        if not why_not:
            result.app.append(_spawn_once(["app", url]))
            if result.app[-1].error:
                result.note = f"the app did not show its first page: {result.app[-1].error}"
                why_not = result.note  # it fails the same way every time
    if not why_not:
        result.ui = [_spawn_once(["app", url, "--ui"]) for _ in range(ui_runs)]
    return result


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- the report ---------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_query_table(title: str, timings: list[Timing], runs: int) -> None:
    print(f"\n{title}  (list_carts, median of {runs} runs after a first one, shown beside it)")
    width = max(len(t.label) for t in timings)
    print(f"  {'case':<{width}}  {'median':>9}  {'first':>9}  {'rows':>4}  goal < {GOAL_QUERY_MS:.0f} ms")
    for t in timings:
        more = "+" if t.has_more else " "
        print(f"  {t.label:<{width}}  {t.median_ms:7.1f} ms  {t.first_ms:7.1f} ms  {t.rows:>3}{more}  "
              f"{_mark(t.median_ms < GOAL_QUERY_MS)}")
    worst = max(timings, key=lambda t: t.median_ms)
    print(f"  slowest: {worst.label} at {worst.median_ms:.1f} ms")


def print_first_frame(ff: FirstFrame, runs: int) -> None:
    print(f"\nFirst frame  (wall time from spawn to the screen, median of {runs} alternating spawns, 120x40 headless)")
    bare = _median([s.seconds for s in ff.bare if s.seconds is not None])
    bare_rss = max((s.max_rss_mb for s in ff.bare), default=0.0)
    print("  bare Textual app (Header, DataTable, Footer)  " + (f"{bare * 1000:5.0f} ms" if bare else "failed")
          + f"   peak RSS {bare_rss:.0f} MB")
    floor = _median([s.seconds for s in ff.floor if s.seconds is not None])
    if floor is not None and bare is not None:
        print(f"  floor: the bare app showing list_carts' page  {floor * 1000:5.0f} ms   ({floor / bare:.2f}x bare: "
              "importing SQLAlchemy, SQLModel and the models, opening the database, one query)")
    elif ff.floor:
        print(f"  floor: the bare app showing list_carts' page  failed: {ff.floor[-1].error}")
    done = [s for s in ff.app if not s.error]
    app = _median([s.seconds for s in done if s.seconds is not None])
    page = _median([s.page_seconds for s in done if s.page_seconds is not None])
    if app is None or page is None or bare is None:
        print(f"  billing-tui carts screen                      first frame: {ff.note or 'n/a'}")
        print(f"  peak memory (app)                             n/a   goal < {GOAL_MEMORY_MB:.0f} MB")
        return
    ratio = app / bare
    print(f"  billing-tui: the carts screen on screen       {app * 1000:5.0f} ms   {ratio:5.2f}x bare   "
          f"goal < {GOAL_START_RATIO}x   {_mark(ratio < GOAL_START_RATIO)}   (header, toolbar, empty table, "
          "\"Loading carts…\", footer)")
    page_ratio = page / bare
    floor_note = f", {page / floor:.2f}x floor" if floor else ""
    print(f"  billing-tui: its first page of data           {page * 1000:5.0f} ms   {page_ratio:5.2f}x bare   "
          f"goal < {GOAL_START_RATIO}x   {_mark(page_ratio < GOAL_START_RATIO)}   ({page / app:.2f}x its first frame"
          f"{floor_note})")
    keys = ("imports", "built", "first_frame", "db_imported", "context", "first_page")
    stages = {k: _median([s.stages[k] for s in done if k in s.stages]) for k in keys}
    bare_stages = {k: _median([s.stages[k] for s in ff.bare if k in s.stages]) for k in ("imports", "first_page")}
    if all(v is not None for v in stages.values()) and all(v is not None for v in bare_stages.values()):
        print("  where the app's time goes (ms after the child's script started, medians): "
              f"imports {stages['imports']:.0f}, app built {stages['built']:.0f}, first frame "
              f"{stages['first_frame']:.0f}; then in a worker: database stack imported {stages['db_imported']:.0f}, "
              f"context opened {stages['context']:.0f}; first page {stages['first_page']:.0f}; bare app: imports "
              f"{bare_stages['imports']:.0f}, first frame {bare_stages['first_page']:.0f}")
    rss = max(s.max_rss_mb for s in ff.app)
    print(f"  peak memory (app, max RSS of any run)         {rss:5.0f} MB   goal < {GOAL_MEMORY_MB:.0f} MB   "
          f"{_mark(rss < GOAL_MEMORY_MB)}")
    if not ff.ui:
        return
    print(f"\nThe carts screen in use  (wall ms from the change to its page painted / of which in list_carts; "
          f"median of {len(ff.ui)})")
    done = [s for s in ff.ui if s.ui]
    if not done:
        print(f"  not measured: {ff.ui[-1].error or 'the UI run printed no figures'}")
        return
    labels = {"filter": "f: filter all -> confirmed", "search": "search 'ross' (one edit)",
              "sort": "s: sort -> oldest first", "clear_search": "clear the search", "next_page": "n: next page"}
    for key, label in labels.items():
        walls = [float(s.ui[key].split("/")[0]) for s in done if key in s.ui and s.ui[key] != "n/a"]
        sqls = [float(s.ui[key].split("/")[1]) for s in done if key in s.ui and s.ui[key] != "n/a"]
        if not walls:
            print(f"  {label:<34} n/a")
            continue
        wall, sql = statistics.median(walls), statistics.median(sqls)
        print(f"  {label:<34} {wall:5.0f} ms  (list_carts {sql:3.0f} ms)   goal < {GOAL_QUERY_MS:.0f} ms   "
              f"{_mark(wall < GOAL_QUERY_MS)}")
    ui_rss = max(s.max_rss_mb for s in ff.ui)
    print(f"  peak memory of these runs                     {ui_rss:5.0f} MB   goal < {GOAL_MEMORY_MB:.0f} MB   "
          f"{_mark(ui_rss < GOAL_MEMORY_MB)}")


def run_backend(title: str, url: str, carts: int, runs: int, explain: bool) -> None:
    ctx = open_context(url)
    try:
        timings = time_queries(ctx, query_cases(carts), runs)
        if explain:
            print_plans(ctx, timings)
        print_query_table(title, timings, runs)
    finally:
        ctx.db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carts", type=int, default=1_000_000, help="carts in the SQLite database (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7, help="demo seed (default 7)")
    parser.add_argument("--rebuild", action="store_true", help="build the SQLite database again even if cached")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per query (default 7)")
    parser.add_argument("--frames", type=int, default=7, help="spawns of each first-frame child (default 7)")
    parser.add_argument("--ui-runs", type=int, default=3, help="runs of the app driven through the carts screen "
                        "(default 3; 0 skips)")
    parser.add_argument("--no-frames", action="store_true", help="skip the first-frame and UI measurements")
    parser.add_argument("--explain", action="store_true", help="print the query plan of every statement")
    parser.add_argument("--pg", metavar="URL", help="also run the queries on PostgreSQL at URL (schema bench_carts, "
                        "dropped afterwards)")
    parser.add_argument("--pg-carts", type=int, default=200_000, help="carts in the PostgreSQL schema (default 200,000)")
    parser.add_argument("--pg-vacuum", action="store_true", help="VACUUM (ANALYZE) after loading instead of ANALYZE "
                        "(sets the visibility map, as autovacuum later would, for index-only scans)")
    parser.add_argument("--keep-pg", action="store_true", help="leave the bench_carts schema in place")
    args = parser.parse_args(argv)

    url, how = sqlite_database(args.carts, args.seed, args.rebuild)
    print(f"\nSQLite database: {args.carts:,} carts, seed {args.seed}, {how}")
    run_backend(f"SQLite, {args.carts:,} carts", url, args.carts, args.runs, args.explain)
    if not args.no_frames:
        print_first_frame(first_frame(url, args.frames, args.ui_runs), args.frames)

    if args.pg:
        try:
            pg_url, pg_how = postgres_database(args.pg, args.pg_carts, args.seed, args.pg_vacuum)
            print(f"\nPostgreSQL database: {args.pg_carts:,} carts, seed {args.seed}, {pg_how}")
            run_backend(f"PostgreSQL, {args.pg_carts:,} carts", pg_url, args.pg_carts, args.runs, args.explain)
        except Exception as exc:  # noqa: BLE001 - a report: say what failed and carry on
            print(f"\nPostgreSQL: not measured ({type(exc).__name__}: {exc})")
        finally:
            if not args.keep_pg:
                drop_postgres_schema(args.pg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
