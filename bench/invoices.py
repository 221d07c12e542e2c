"""The invoicing benchmark: issue 2,000 invoices (number, rows, PDF, queued mail, one transaction each),
then render the same 2,000 PDFs with the renderer alone; invoices per second, the ratio, peak memory.

Run from the project root:

    .venv/bin/python bench/invoices.py                 # SQLite, 2,000 invoices
    .venv/bin/python bench/invoices.py --count 500
    .venv/bin/python bench/invoices.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

A report, not a test: it prints the figures beside the goals and exits 0.
Goals (issue 3): at least 50 invoices per second on one core, at least 0.8 of the bare rendering rate.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from billing_tui import demo  # noqa: E402
from billing_tui.domain.clock import FixedClock  # noqa: E402
from billing_tui.services import invoices  # noqa: E402
from billing_tui.services.context import open_context  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
AS_OF = date(2026, 11, 23)
GOAL_RATE = 50.0
GOAL_RATIO = 0.8


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pg_url(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = "bench_inv_" + uuid.uuid4().hex[:8]
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(base: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="invoices to issue (default 2000)")
    parser.add_argument("--pg", metavar="URL", default=None, help="run on PostgreSQL instead of a SQLite file")
    args = parser.parse_args()

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # "on one core"
    schema = None
    if args.pg:
        url, schema = _pg_url(args.pg)
    else:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"invoices-{args.count}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    clock = FixedClock(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    ctx = open_context(url, clock=clock, actor="bench")
    try:
        carts = int(args.count * 1.9) + 200  # about 58% of demo carts are paid and waiting for their invoice
        demo.fill_demo(ctx, carts=carts, seed=7, as_of=AS_OF)
        due = invoices.due_carts(ctx, limit=args.count)
        if len(due) < args.count:
            print(f"only {len(due)} paid carts to invoice; asked for {args.count}")
            return 0
        from billing_tui.integrations.pdf import render_invoice_pdf

        render_invoice_pdf  # noqa: B018  (import and font parsing happen before the clock starts, for both runs)
        started = time.perf_counter()
        result = invoices.issue_due_invoices(ctx, limit=args.count)  # the scheduled job's own code path
        issue_seconds = time.perf_counter() - started
        numbers = list(result.issued)
        assert not result.refused, result.refused
        documents = [invoices.get_invoice(ctx, number).document for number in numbers]

        started = time.perf_counter()
        sizes = [len(render_invoice_pdf(doc)) for doc in documents]
        render_seconds = time.perf_counter() - started

        issue_rate = len(numbers) / issue_seconds
        render_rate = len(documents) / render_seconds
        ratio = issue_rate / render_rate
        backend = "PostgreSQL" if args.pg else "SQLite (WAL, synchronous=FULL)"
        print(f"billing-tui invoicing benchmark — {len(numbers)} invoices on {backend}, one core")
        print(f"  issue (number, rows, PDF, queued mail; the job, 25 per commit): {issue_seconds:7.2f} s"
              f"  {issue_rate:7.1f} invoices/s   goal >= {GOAL_RATE:.0f}   "
              f"{'PASS' if issue_rate >= GOAL_RATE else 'MISS'}")
        print(f"  render the same PDFs alone (no database):                     {render_seconds:7.2f} s"
              f"  {render_rate:7.1f} PDFs/s")
        print(f"  ratio issue / bare rendering: {ratio:.2f}   goal >= {GOAL_RATIO}   "
              f"{'PASS' if ratio >= GOAL_RATIO else 'MISS'}")
        print(f"  mean PDF size: {sum(sizes) / len(sizes) / 1024:.1f} KiB   peak memory (RSS): {_peak_rss_mb():.0f} MB")
    finally:
        ctx.db.dispose()
        if schema and args.pg:
            _drop_schema(args.pg, schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
