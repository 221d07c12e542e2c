"""The invoicing command line: numbering, invoices, mail and jobs, run in-process as a user would (issue 3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing_tui import demo
from billing_tui.domain.clock import Clock
from billing_tui.services import invoices
from billing_tui.services.context import open_context
from tests.cli.conftest import RunCli
from tests.cli.helpers import AS_OF, assert_one_line_error

NOW = "2026-11-23T18:00"


def _demo_with_due_carts(url: str, clock: Clock) -> list[int]:
    ctx = open_context(url, clock=clock, actor="setup")
    try:
        demo.fill_demo(ctx, carts=40, seed=3, as_of=date.fromisoformat(AS_OF))
        return list(invoices.due_carts(ctx))
    finally:
        ctx.db.dispose()


def test_numbering_show_and_set_with_the_seed_rules(run_cli: RunCli, db_url: str) -> None:
    shown = run_cli("numbering", "show", "--year", "2026", "--db", db_url, "--json").json()
    assert [(r["kind"], r["preview"]) for r in shown] == [
        ("invoice", "PS26001"), ("cancellation", "PS26001-S1"), ("credit_note", "PS26001-1")]
    ok = run_cli("numbering", "set", "--year", "2026", "--kind", "invoice", "--format", "PS{i,3}", "--next", "4",
                 "--db", db_url, "--json")
    assert [r["preview"] for r in ok.json()][0] == "PS004"  # stdout is JSON alone
    assert "numbers will repeat every year" in ok.json()[0]["warnings"][0]  # S004.10
    human = run_cli("numbering", "show", "--year", "2026", "--db", db_url)
    assert "PS004" in human.out and "warning (invoice)" in human.out  # no year in the format: S004.10
    this_year = run_cli("numbering", "show", "--db", db_url)  # the clock's year, 2026
    assert this_year.out == human.out
    assert_one_line_error(
        run_cli("numbering", "set", "--year", "2026", "--kind", "invoice", "--next", "0", "--db", db_url),
        "next number")
    assert_one_line_error(
        run_cli("numbering", "set", "--year", "2026", "--kind", "credit-note", "--format", "NC {ci}", "--db", db_url),
        "spaces")
    assert run_cli("numbering", "show", "--year", "2026", "--db", db_url, "--json").json()[0]["preview"] == "PS004"


def test_issue_show_pdf_send_cancel_and_credit(run_cli: RunCli, db_url: str, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    due = _demo_with_due_carts(db_url, clock)
    issued = run_cli("invoices", "issue", "--cart", str(due[0]), "--db", db_url, "--json").json()
    number = issued["document"]["number"]
    assert number == "PS26001" and issued["mail_status"] == "queued"
    assert issued["document"]["issue_date"] == AS_OF  # the clock's day
    assert_one_line_error(run_cli("invoices", "issue", "--cart", str(due[0]), "--db", db_url),
                          f"already has invoice {number}")
    assert_one_line_error(run_cli("invoices", "cancel", number, "--db", db_url), "has not been emailed")
    pdf = tmp_path / "copy.pdf"
    exported = run_cli("invoices", "pdf", number, "-o", str(pdf), "--db", db_url)
    assert exported.code == 0 and pdf.read_bytes().startswith(b"%PDF")
    sent = run_cli("invoices", "send", number, "--db", db_url)
    assert sent.code == 0 and "Sent" in sent.out  # no SMTP configured: written as .eml in the data directory
    listed = run_cli("mail", "list", "--db", db_url, "--json").json()
    assert {m["status"] for m in listed["rows"]} >= {"sent"}
    too_much = run_cli("invoices", "credit-note", number, "--amount", "99999", "--db", db_url)
    assert_one_line_error(too_much, "can still be credited")
    note = run_cli("invoices", "credit-note", number, "--amount", "5", "--reason", "Sconto", "--db", db_url,
                   "--json").json()
    assert note["document"]["number"] == f"{number}-1" and note["document"]["total"] == "5.00"
    storno = run_cli("invoices", "cancel", number, "--db", db_url)
    assert_one_line_error(storno, "already has credit notes")
    listing = run_cli("invoices", "list", "--db", db_url, "--json").json()
    assert [r["number"] for r in listing["rows"]] == [f"{number}-1", number]
    shown = run_cli("invoices", "show", number, "--db", db_url)
    assert f"Linked: credit note {number}-1" in shown.out


def test_jobs_run_due_is_once_per_slot_and_catches_up(run_cli: RunCli, db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    due = _demo_with_due_carts(db_url, clock)
    first = run_cli("jobs", "run-due", "--now", NOW, "--db", db_url, "--json").json()
    by_job = {v["job"]: v for v in first}
    assert by_job["auto_invoice"]["result"] == f"issued {len(due)} invoice(s)"
    assert by_job["mail_relay"]["status"] == "done"
    second = run_cli("jobs", "run-due", "--now", NOW, "--db", db_url, "--json").json()
    assert {v["status"] for v in second} == {"skipped"}
    later = run_cli("jobs", "run-due", "--now", "2026-11-24T09:00", "--db", db_url)
    assert later.code == 0 and "auto_invoice: done" in later.out and "issued 0 invoice(s)" in later.out
    assert_one_line_error(run_cli("jobs", "run-due", "--now", "tomorrow", "--db", db_url), "not a date-time")
    listed = run_cli("jobs", "list", "--db", db_url)
    assert "Jobs run by: nobody" in listed.out and "auto_invoice" in listed.out
