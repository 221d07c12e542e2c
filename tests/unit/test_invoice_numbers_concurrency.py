"""Invoice numbers are unique and gapless with several processes issuing at once, and after a kill mid-issue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import select

from billing_tui import demo
from billing_tui.services import invoices
from billing_tui.storage.document_models import Invoice, InvoicePdf, NumberRange
from tests.conftest import FIXED_NOW

WORKER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from billing_tui.domain.clock import FixedClock
    from billing_tui.services.context import open_context
    from billing_tui.services.invoices import issue_invoice_for_cart
    url, now, carts = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3].split(",")
    ctx = open_context(url, clock=FixedClock(now), actor="worker")
    sys.stdin.readline()  # start together
    for number in carts:
        print(issue_invoice_for_cart(ctx, number).number, flush=True)
""")

KILLED = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime
    import billing_tui.integrations.pdf as pdf
    from billing_tui.domain.clock import FixedClock
    from billing_tui.services.context import open_context
    from billing_tui.services.invoices import issue_invoice_for_cart
    url, now, carts, marker = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
    real = pdf.render_invoice_pdf
    calls = []
    def render(doc):
        calls.append(doc.number)
        if len(calls) == 3:  # the third invoice: number allocated, rows written, transaction open
            open(marker, "w").write(doc.number)
            time.sleep(600)
        return real(doc)
    pdf.render_invoice_pdf = render
    ctx = open_context(url, clock=FixedClock(now), actor="killed")
    for number in carts:
        issue_invoice_for_cart(ctx, number)
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _counters(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return sorted(session.scalars(select(Invoice.counter).where(Invoice.kind == "invoice")))


def test_four_processes_issue_200_distinct_gapless_numbers(ctx, db_url) -> None:  # type: ignore[no-untyped-def]
    demo.fill_demo(ctx, carts=420, seed=11, as_of=FIXED_NOW.date())
    due = list(invoices.due_carts(ctx, limit=1000))
    assert len(due) >= 200, "the demo must have 200 paid carts to invoice"
    batches = [due[i:200:4] for i in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db_url, FIXED_NOW.isoformat(),
                               ",".join(map(str, batch))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for batch in batches]
    for proc in procs:  # all four are waiting on stdin: release them together
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    numbers = [line for out, _err in outputs for line in out.split()]
    assert len(numbers) == 200 and len(set(numbers)) == 200
    assert _counters(ctx) == list(range(1, 201))
    with ctx.db.read() as session:
        rng = session.scalars(select(NumberRange).where(NumberRange.kind == "invoice")).one()
    assert rng.last_number == 200


def test_a_process_killed_mid_issue_leaves_no_gap_and_no_duplicate(ctx, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    demo.fill_demo(ctx, carts=60, seed=5, as_of=FIXED_NOW.date())
    due = list(invoices.due_carts(ctx, limit=100))
    marker = tmp_path / "inside-transaction"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, db_url, FIXED_NOW.isoformat(),
                             ",".join(map(str, due[:5])), str(marker)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the child never reached the third invoice"
        time.sleep(0.05)
    in_flight = marker.read_text()
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    assert _counters(ctx) == [1, 2], "the killed transaction must leave nothing behind"
    with ctx.db.read() as session:
        assert session.scalar(select(Invoice.id).where(Invoice.number == in_flight)) is None
    if ctx.db.is_sqlite:
        with ctx.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # The database opens cleanly and numbering goes on from where it was: the in-flight number is reused.
    third = invoices.issue_invoice_for_cart(ctx, due[2])
    assert third.number == in_flight
    for number in due[3:6]:
        invoices.issue_invoice_for_cart(ctx, number)
    assert _counters(ctx) == [1, 2, 3, 4, 5, 6]
    with ctx.db.read() as session:
        assert len(list(session.scalars(select(InvoicePdf.invoice_id)))) == 6
