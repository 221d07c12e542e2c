"""The invoicing command line: numbering, invoices, mail and jobs, run as a user would (issue 3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billing_tui.services import demo, invoices
from billing_tui.services.context import open_context
from tests.cli.test_cli import AS_OF, assert_one_line_error, run, run_all

NOW = "2026-11-23T18:00"


def _demo_with_due_carts(url: str) -> list[int]:
    ctx = open_context(url, actor="setup")
    try:
        demo.fill_demo(ctx, carts=40, seed=3, as_of=date.fromisoformat(AS_OF))
        return list(invoices.due_carts(ctx))
    finally:
        ctx.db.dispose()


def test_numbering_show_and_set_with_the_seed_rules(db_url) -> None:  # type: ignore[no-untyped-def]
    shown = run("numbering", "show", "--year", "2026", "--db", db_url, "--json").json()
    assert [(r["kind"], r["preview"]) for r in shown] == [
        ("invoice", "PS26001"), ("cancellation", "PS26001-S1"), ("credit_note", "PS26001-1")]
    ok = run("numbering", "set", "--year", "2026", "--kind", "invoice", "--format", "PS{i,3}", "--next", "4",
             "--db", db_url, "--json")
    assert [r["preview"] for r in ok.json()][0] == "PS004"  # stdout is JSON alone
    assert "S004.10" in ok.json()[0]["warnings"][0]
    human = run("numbering", "show", "--year", "2026", "--db", db_url)
    assert "PS004" in human.out and "warning (invoice)" in human.out  # no year in the format: S004.10
    refused, bad_format = run_all(
        ["numbering", "set", "--year", "2026", "--kind", "invoice", "--next", "0", "--db", db_url],
        ["numbering", "set", "--year", "2026", "--kind", "credit-note", "--format", "NC {ci}", "--db", db_url])
    assert_one_line_error(refused, "next number")
    assert_one_line_error(bad_format, "spaces")
    assert run("numbering", "show", "--year", "2026", "--db", db_url, "--json").json()[0]["preview"] == "PS004"


def test_issue_show_pdf_send_cancel_and_credit(db_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    due = _demo_with_due_carts(db_url)
    issued = run("invoices", "issue", "--cart", str(due[0]), "--db", db_url, "--json").json()
    number = issued["document"]["number"]
    assert number == "PS26001" and issued["mail_status"] == "queued"
    again = run("invoices", "issue", "--cart", str(due[0]), "--db", db_url)
    assert_one_line_error(again, f"already has invoice {number}")
    refused = run("invoices", "cancel", number, "--db", db_url)
    assert_one_line_error(refused, "has not been emailed")
    pdf = tmp_path / "copy.pdf"
    exported, sent = run_all(["invoices", "pdf", number, "-o", str(pdf), "--db", db_url],
                             ["invoices", "send", number, "--db", db_url])
    assert exported.code == 0 and pdf.read_bytes().startswith(b"%PDF")
    assert sent.code == 0 and "Sent" in sent.out  # no SMTP configured: written as .eml in the data directory
    listed = run("mail", "list", "--db", db_url, "--json").json()
    assert {m["status"] for m in listed["rows"]} >= {"sent"}
    too_much = run("invoices", "credit-note", number, "--amount", "99999", "--db", db_url)
    assert_one_line_error(too_much, "can still be credited")
    note = run("invoices", "credit-note", number, "--amount", "5", "--reason", "Sconto", "--db", db_url,
               "--json").json()
    assert note["document"]["number"] == f"{number}-1" and note["document"]["total"] == "5.00"
    storno = run("invoices", "cancel", number, "--db", db_url)
    assert_one_line_error(storno, "already has credit notes")
    listing = run("invoices", "list", "--db", db_url, "--json").json()
    assert [r["number"] for r in listing["rows"]] == [f"{number}-1", number]
    shown = run("invoices", "show", number, "--db", db_url)
    assert f"Linked: credit note {number}-1" in shown.out


def test_jobs_run_due_is_once_per_slot_and_catches_up(db_url) -> None:  # type: ignore[no-untyped-def]
    due = _demo_with_due_carts(db_url)
    first = run("jobs", "run-due", "--now", NOW, "--db", db_url, "--json").json()
    by_job = {v["job"]: v for v in first}
    assert by_job["auto_invoice"]["result"] == f"issued {len(due)} invoice(s)"
    assert by_job["mail_relay"]["status"] == "done"
    second = run("jobs", "run-due", "--now", NOW, "--db", db_url, "--json").json()
    assert {v["status"] for v in second} == {"skipped"}
    later = run("jobs", "run-due", "--now", "2026-11-24T09:00", "--db", db_url)
    assert later.code == 0 and "auto_invoice: done" in later.out and "issued 0 invoice(s)" in later.out
    bad = run("jobs", "run-due", "--now", "tomorrow", "--db", db_url)
    assert_one_line_error(bad, "not a date-time")
    listed = run("jobs", "list", "--db", db_url)
    assert "Jobs run by: nobody" in listed.out and "auto_invoice" in listed.out
