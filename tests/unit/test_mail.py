"""Invoice mail via the outbox: the PDF arrives, retries, giving up, never twice, .eml, config (S000.2, S004.12)."""

from __future__ import annotations

import dataclasses
import email
import hashlib
import threading
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from billing_tui.config import Settings
from billing_tui.domain.errors import BillingError, NotFound
from billing_tui.integrations.mailer import (
    EmlFolderMailer,
    MailConfig,
    MailError,
    SmtpMailer,
    build_message,
)
from billing_tui.services import mail
from billing_tui.services.app_settings import update_settings
from billing_tui.services.context import open_context
from billing_tui.services.views import to_json
from billing_tui.storage.document_models import Invoice, InvoicePdf, OutboxMessage
from billing_tui.storage.shop_models import Customer
from billing_tui.storage.system_models import SellerSettings
from tests.conftest import FIXED_NOW
from tests.smtp_server import SENDER, SmtpServer

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + bytes(range(256))
PASSWORD = "s3cret-Pa55word!"


def add_invoice(ctx, *, number: str = "PS26001", pdf: bytes | None = PDF, counter: int = 1) -> int:  # type: ignore[no-untyped-def]
    """A customer, an issued invoice and its PDF, written directly (no invoices service needed)."""
    now = FIXED_NOW
    with ctx.db.write() as session:
        customer = Customer(customer_type="person", name="Mario Rossi", email="mario.rossi@mail.example",
                            address="Via Garibaldi 3", city="Roma", country="IT", language="it",
                            created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        invoice = Invoice(kind="invoice", status="issued", number=number, year=2026, counter=counter,
                          issue_date=date(2026, 11, 23), customer_id=customer.id, customer_snapshot="{}",
                          seller_snapshot="{}", language="it", payment_method="card", paid=True,
                          net=Decimal("100.00"), vat=Decimal("22.00"), total=Decimal("122.00"),
                          amount_due=Decimal("0.00"), created_by="tester", created_at=now, issued_at=now)
        session.add(invoice)
        session.flush()
        if pdf is not None:
            session.add(InvoicePdf(invoice_id=invoice.id, content=pdf, sha256=hashlib.sha256(pdf).hexdigest()))
        return int(invoice.id)  # type: ignore[arg-type]


def queue(ctx, *, key: str, invoice_id: int | None = None, to: str = "mario.rossi@mail.example",  # type: ignore[no-untyped-def]
          subject: str = "Fattura PS26001", body: str = "In allegato la fattura.") -> int:
    with ctx.db.write() as session:
        row = mail.queue_email(session, ctx, key=key, invoice_id=invoice_id, recipient=to, subject=subject, body=body)
        return int(row.id)  # type: ignore[arg-type]


def only(ctx) -> mail.MailView:  # type: ignore[no-untyped-def]
    (view,) = mail.list_mail(ctx).rows
    return view


def attachments(msg: Message) -> list[tuple[str | None, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_payload(decode=True))  # type: ignore[misc]
            for part in msg.walk() if part.get_content_disposition() == "attachment"]


# --- (a) delivery with the PDF ---------------------------------------------------------------------


def test_invoice_mail_arrives_with_its_pdf_and_is_tracked_as_sent(ctx, clock, smtp: SmtpServer) -> None:
    invoice_id = add_invoice(ctx, number="PS26001")
    queue(ctx, key=f"invoice-mail:{invoice_id}:1", invoice_id=invoice_id)
    assert only(ctx).status == "queued"

    result = mail.relay_outbox(ctx, mailer=smtp.mailer())

    assert result == mail.RelayResult(sent=1, failed=0, retry_later=0)
    (envelope,) = smtp.recorder.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["mario.rossi@mail.example"]
    (msg,) = smtp.recorder.messages()
    assert msg["Subject"] == "Fattura PS26001"
    assert msg["To"] == "mario.rossi@mail.example"
    assert email.utils.parsedate_to_datetime(msg["Date"]) == FIXED_NOW
    assert attachments(msg) == [("PS26001.pdf", "application/pdf", PDF)]
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    assert "In allegato la fattura." in body.get_payload(decode=True).decode()  # type: ignore[union-attr]

    view = only(ctx)
    assert (view.status, view.attempts, view.sent_at, view.last_error, view.next_attempt_at) == (
        "sent", 1, FIXED_NOW, None, None)
    assert view.invoice_number == "PS26001" and view.invoice_id == invoice_id
    with ctx.db.read() as session:
        row = session.get(OutboxMessage, view.id)
        assert row is not None and row.message_id == msg["Message-ID"]

    # Nothing is due any more: a second relay sends nothing.
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult()
    assert len(smtp.recorder.envelopes) == 1


def test_a_mail_without_an_invoice_has_no_attachment(ctx, smtp: SmtpServer) -> None:
    queue(ctx, key="notice:1", subject="Promemoria", body="Ciao")
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()).sent == 1
    (msg,) = smtp.recorder.messages()
    assert attachments(msg) == [] and msg["Subject"] == "Promemoria"
    assert only(ctx).invoice_number is None


def test_an_invoice_mail_whose_pdf_is_missing_fails_with_a_reason(ctx, smtp: SmtpServer) -> None:
    invoice_id = add_invoice(ctx, number="PS26009", pdf=None)
    queue(ctx, key=f"invoice-mail:{invoice_id}:1", invoice_id=invoice_id)
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()).retry_later == 1
    assert smtp.recorder.envelopes == []
    assert only(ctx).last_error == "The PDF of invoice PS26009 is missing, so its mail was not sent"


def test_a_number_with_a_slash_still_makes_a_file_name() -> None:
    assert mail.attachment_name("PS26001", 1) == "PS26001.pdf"
    assert mail.attachment_name("2026/001", 1) == "2026-001.pdf"
    assert mail.attachment_name(None, 7) == "invoice-7.pdf"


# --- (b) server down, retry ------------------------------------------------------------------------


def test_server_down_fails_then_the_retry_delivers_exactly_once(ctx, clock, smtp_down: SmtpServer) -> None:
    invoice_id = add_invoice(ctx)
    queue(ctx, key=f"invoice-mail:{invoice_id}:1", invoice_id=invoice_id)
    mailer = smtp_down.mailer()

    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult(retry_later=1)
    view = only(ctx)
    assert view.status == "failed" and view.attempts == 1 and view.sent_at is None
    assert "connection refused" in (view.last_error or "").lower()
    assert f"127.0.0.1:{smtp_down.port}" in (view.last_error or "")
    assert view.next_attempt_at == FIXED_NOW + timedelta(minutes=1)
    assert not view.given_up

    # Before the retry time nothing is attempted, even with the server back.
    smtp_down.start()
    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult()
    clock.set(FIXED_NOW + timedelta(seconds=59))
    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult()
    assert smtp_down.recorder.envelopes == [] and only(ctx).attempts == 1

    clock.set(FIXED_NOW + timedelta(minutes=1, seconds=1))
    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult(sent=1)
    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult()
    assert len(smtp_down.recorder.envelopes) == 1
    view = only(ctx)
    assert (view.status, view.attempts, view.last_error, view.next_attempt_at) == ("sent", 2, None, None)
    assert view.sent_at == FIXED_NOW + timedelta(minutes=1, seconds=1)


def test_the_backoff_grows_then_stays_at_a_day() -> None:
    minutes = [mail.backoff(n) / timedelta(minutes=1) for n in range(1, 11)]
    assert minutes == [1, 5, 15, 60, 240, 720, 1440, 1440, 1440, 1440]


# --- (c) giving up ---------------------------------------------------------------------------------


def test_after_the_last_attempt_the_mail_is_given_up_and_not_retried(ctx, clock, smtp_down: SmtpServer) -> None:
    update_settings(ctx, {"mail_max_attempts": "3"})
    queue(ctx, key="invoice-mail:x:1")
    mailer = smtp_down.mailer()

    waits = []
    for expected in (mail.RelayResult(retry_later=1), mail.RelayResult(retry_later=1), mail.RelayResult(failed=1)):
        assert mail.relay_outbox(ctx, mailer=mailer) == expected
        view = only(ctx)
        waits.append(view.next_attempt_at - clock.now() if view.next_attempt_at else None)
        if view.next_attempt_at:
            clock.set(view.next_attempt_at)
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), None]
    view = only(ctx)
    assert (view.status, view.attempts, view.given_up) == ("failed", 3, True)
    assert "connection refused" in (view.last_error or "").lower()

    # A week later, with the server up, the relay leaves it alone...
    smtp_down.start()
    clock.set(clock.now() + timedelta(days=7))
    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult()
    assert smtp_down.recorder.envelopes == []
    # ...but a person can still resend it at once.
    resent = mail.send_now(ctx, view.id, mailer=mailer)
    assert (resent.status, resent.attempts, resent.sent_at) == ("sent", 4, clock.now())
    assert len(smtp_down.recorder.envelopes) == 1
    with pytest.raises(MailError, match="already sent"):
        mail.send_now(ctx, view.id, mailer=mailer)
    assert len(smtp_down.recorder.envelopes) == 1


def test_send_now_retries_a_waiting_mail_at_once_and_reports_a_failure_in_the_view(
        ctx, clock, smtp_down: SmtpServer) -> None:
    outbox_id = queue(ctx, key="k:1")
    failed = mail.send_now(ctx, outbox_id, mailer=smtp_down.mailer())
    assert failed.status == "failed" and failed.next_attempt_at == FIXED_NOW + timedelta(minutes=1)
    smtp_down.start()
    sent = mail.send_now(ctx, outbox_id, mailer=smtp_down.mailer())  # no need to wait for the retry time
    assert (sent.status, sent.attempts) == ("sent", 2)
    with pytest.raises(NotFound):
        mail.send_now(ctx, 999_999, mailer=smtp_down.mailer())


class ProcessStopped(BaseException):
    """Stands for the process dying in the middle of a send."""


class DyingMailer:
    def send(self, msg: EmailMessage) -> str:
        raise ProcessStopped


def test_a_mail_left_sending_by_a_stopped_process_is_sent_after_the_lease(ctx, clock, smtp: SmtpServer) -> None:
    queue(ctx, key="k:1")
    with pytest.raises(ProcessStopped):
        mail.relay_outbox(ctx, mailer=DyingMailer())
    view = only(ctx)
    assert (view.status, view.attempts, view.next_attempt_at) == ("sending", 1, FIXED_NOW + mail.LEASE)

    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult()
    with pytest.raises(MailError, match="another process"):
        mail.send_now(ctx, view.id, mailer=smtp.mailer())
    clock.set(FIXED_NOW + mail.LEASE)
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult(sent=1)
    assert len(smtp.recorder.envelopes) == 1 and only(ctx).attempts == 2


def test_a_stopped_last_attempt_is_given_up_with_a_reason(ctx, clock, smtp: SmtpServer) -> None:
    update_settings(ctx, {"mail_max_attempts": "1"})
    queue(ctx, key="k:1")
    with pytest.raises(ProcessStopped):
        mail.relay_outbox(ctx, mailer=DyingMailer())
    clock.set(FIXED_NOW + mail.LEASE)
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult(failed=1)
    view = only(ctx)
    assert view.given_up and "may have arrived" in (view.last_error or "")
    assert smtp.recorder.envelopes == []


# --- (d) no double sends ---------------------------------------------------------------------------


def test_a_second_relay_during_a_send_skips_the_mail_being_sent(ctx, db_url, clock, smtp: SmtpServer) -> None:
    """Relay A is in the middle of sending mail 1 when relay B (another process) runs: each mail goes once."""
    for n in range(5):
        queue(ctx, key=f"k:{n}", to=f"customer{n}@mail.example")
    other = open_context(db_url, clock=clock, actor="other-process")
    real = smtp.mailer()
    seen: list[mail.RelayResult] = []

    class InterleavingMailer:
        def send(self, msg: EmailMessage) -> str:
            if not seen:
                seen.append(mail.relay_outbox(other, mailer=real))
            return real.send(msg)

    try:
        first = mail.relay_outbox(ctx, mailer=InterleavingMailer())
    finally:
        other.db.dispose()
    assert seen == [mail.RelayResult(sent=4)]
    assert first == mail.RelayResult(sent=1)
    assert smtp.recorder.recipients() == [f"customer{n}@mail.example" for n in range(5)]
    assert {v.status for v in mail.list_mail(ctx).rows} == {"sent"}


def test_two_relays_running_at_once_deliver_each_mail_exactly_once(ctx, db_url, clock, smtp: SmtpServer) -> None:
    count = 30
    invoice_id = add_invoice(ctx)
    for n in range(count):
        queue(ctx, key=f"invoice-mail:{invoice_id}:{n}", invoice_id=invoice_id, to=f"c{n:02d}@mail.example")
    contexts = [open_context(db_url, clock=clock, actor=f"relay{i}", upgrade=False) for i in range(2)]
    start = threading.Barrier(len(contexts))
    results: list[mail.RelayResult] = []
    errors: list[BaseException] = []

    def run(c) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait(timeout=30)
            results.append(mail.relay_outbox(c, mailer=smtp.mailer()))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for c in contexts:
            c.db.dispose()
    assert errors == []
    assert sum(r.sent for r in results) == count and all(r.failed == r.retry_later == 0 for r in results)
    assert smtp.recorder.recipients() == [f"c{n:02d}@mail.example" for n in range(count)]
    assert [v.attempts for v in mail.list_mail(ctx, limit=100).rows] == [1] * count


# --- (e) no SMTP configured: .eml files ------------------------------------------------------------


def test_without_smtp_the_mail_is_written_as_an_eml_file(ctx, tmp_path: Path) -> None:
    assert mail.mail_config(ctx) is None
    folder = tmp_path / "eml"
    mailer = mail.mailer_for(ctx, eml_folder=folder)
    assert isinstance(mailer, EmlFolderMailer)
    invoice_id = add_invoice(ctx, number="PS26002")
    queue(ctx, key=f"invoice-mail:{invoice_id}:1", invoice_id=invoice_id)

    assert mail.relay_outbox(ctx, mailer=mailer) == mail.RelayResult(sent=1)

    (path,) = folder.iterdir()  # no temporary file left behind
    assert path.name.startswith("20261123T090000Z-") and path.suffix == ".eml"
    msg = email.message_from_bytes(path.read_bytes())
    assert attachments(msg) == [("PS26002.pdf", "application/pdf", PDF)]
    assert msg["From"] == "billing@localhost" and msg["To"] == "mario.rossi@mail.example"
    view = only(ctx)
    assert view.status == "sent"
    with ctx.db.read() as session:
        assert session.get(OutboxMessage, view.id).message_id == msg["Message-ID"]  # type: ignore[union-attr]


def test_out_of_the_box_the_relay_writes_to_the_data_directory(ctx) -> None:
    from billing_tui.paths import data_dir

    assert ctx.data_dir == data_dir()  # the user's (a temporary home in tests)
    queue(ctx, key="k:1")
    assert mail.relay_outbox(ctx) == mail.RelayResult(sent=1)
    (path,) = mail.default_eml_folder(ctx).glob("*.eml")
    assert mail.default_eml_folder(ctx) == ctx.data_dir / "outbox-eml"
    assert email.message_from_bytes(path.read_bytes())["Subject"] == "Fattura PS26001"


def test_the_relay_asks_the_contexts_mailer_factory_with_the_smtp_settings(ctx, smtp: SmtpServer) -> None:
    update_settings(ctx, {"smtp_host": "smtp.saved.example", "smtp_port": "2525"})
    asked = []

    def mailer(_ctx, config):  # type: ignore[no-untyped-def]
        asked.append((config.host, config.port))
        return smtp.mailer()

    ctx = dataclasses.replace(ctx, mailer=mailer)
    queue(ctx, key="k:1")
    assert mail.relay_outbox(ctx) == mail.RelayResult(sent=1)
    assert asked == [("smtp.saved.example", 2525)]
    assert smtp.recorder.recipients() == ["mario.rossi@mail.example"]


def test_the_eml_writer_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    msg = build_message(sender=SENDER, recipient="a@b.example", subject="s", body="b", message_id_domain="x.example")
    with pytest.raises(MailError, match="Cannot write the mail"):
        EmlFolderMailer(blocker).send(msg)


# --- (f) configuration: environment (ctx.settings) over the shared settings ---------------------------


def test_settings_configure_smtp_and_the_environment_overrides_them(ctx, clock) -> None:
    update_settings(ctx, {"smtp_host": "smtp.saved.example", "smtp_port": "2525", "smtp_tls": "ssl",
                          "smtp_user": "saved-user", "smtp_password": "saved-password",
                          "mail_from": "saved@venditore.example"})
    saved = mail.mail_config(ctx)
    assert saved is not None
    assert (saved.host, saved.port, saved.tls, saved.user, saved.sender) == (
        "smtp.saved.example", 2525, "ssl", "saved-user", "saved@venditore.example")
    assert saved.password.get_secret_value() == "saved-password"

    partly = mail.mail_config(dataclasses.replace(ctx, settings=Settings(smtp_host="smtp.env.example")))
    assert partly is not None and (partly.host, partly.port, partly.tls, partly.user) == (
        "smtp.env.example", 2525, "ssl", "saved-user")

    every = Settings(smtp_host="smtp.env.example", smtp_port=465, smtp_tls="starttls", smtp_user="env-user",
                     smtp_password="env-password", mail_from="env@venditore.example")
    env = mail.mail_config(dataclasses.replace(ctx, settings=every))
    assert env is not None
    assert (env.host, env.port, env.tls, env.user, env.sender) == (
        "smtp.env.example", 465, "starttls", "env-user", "env@venditore.example")
    assert env.password.get_secret_value() == "env-password"


def test_the_environment_alone_sends_through_smtp_with_a_login(ctx, smtp_down: SmtpServer) -> None:
    server = SmtpServer(smtp_down.port, login=("env-user", PASSWORD)).start()
    try:
        ctx = dataclasses.replace(ctx, settings=Settings(
            smtp_host="127.0.0.1", smtp_port=server.port, smtp_tls="none", smtp_user="env-user",
            smtp_password=PASSWORD, mail_from="env@venditore.example"))
        assert isinstance(mail.mailer_for(ctx), SmtpMailer)
        queue(ctx, key="k:1")
        assert mail.relay_outbox(ctx) == mail.RelayResult(sent=1)
        (envelope,) = server.recorder.envelopes
        assert envelope.mail_from == "env@venditore.example"
    finally:
        server.stop()


def test_the_sender_defaults_to_the_sellers_email_then_to_localhost(ctx) -> None:
    assert mail.mail_sender(ctx) == "billing@localhost"
    with ctx.db.write() as session:
        session.add(SellerSettings(id=1, email="amministrazione@venditore.example"))
    assert mail.mail_sender(ctx) == "amministrazione@venditore.example"
    update_settings(ctx, {"mail_from": "fatture@venditore.example"})
    assert mail.mail_sender(ctx) == "fatture@venditore.example"
    env = dataclasses.replace(ctx, settings=Settings(mail_from="env@venditore.example"))
    assert mail.mail_sender(env) == "env@venditore.example"


# --- (g) short reasons, and the password never shown -------------------------------------------------


def test_a_refused_login_is_reported_and_the_password_never_shows(ctx, smtp_down: SmtpServer) -> None:
    server = SmtpServer(smtp_down.port, login=("billing", "the-right-one")).start()
    try:
        config = server.config(user="billing", password=PASSWORD)
        assert PASSWORD not in repr(config) and PASSWORD not in str(config)
        assert PASSWORD not in repr(SmtpMailer(config)) and PASSWORD not in config.model_dump_json()
        queue(ctx, key="k:1")
        assert mail.relay_outbox(ctx, mailer=SmtpMailer(config)) == mail.RelayResult(retry_later=1)
        assert server.recorder.envelopes == []
    finally:
        server.stop()
    view = only(ctx)
    assert (view.last_error or "").startswith("SMTP login failed for user 'billing'")
    page = mail.list_mail(ctx)
    assert PASSWORD not in repr(page) and PASSWORD not in to_json(page)
    assert PASSWORD not in repr(mail.get_mail(ctx, view.id))


def test_a_refused_recipient_is_reported(ctx, smtp: SmtpServer) -> None:
    smtp.recorder.refuse.add("nobody@mail.example")
    queue(ctx, key="k:1", to="nobody@mail.example")
    mail.relay_outbox(ctx, mailer=smtp.mailer())
    assert only(ctx).last_error == (
        "Recipient refused by the SMTP server: nobody@mail.example (550 5.1.1 No such user here)")


def test_starttls_on_a_server_without_it_is_explained(smtp: SmtpServer) -> None:
    msg = build_message(sender=SENDER, recipient="a@b.example", subject="s", body="b", message_id_domain="x.example")
    with pytest.raises(MailError, match="does not offer STARTTLS") as caught:
        smtp.mailer(tls="starttls").send(msg)
    assert isinstance(caught.value, BillingError) and caught.value.__cause__ is None
    with pytest.raises(MailError, match="Unknown SMTP host"):
        SmtpMailer(MailConfig(host="no-such-host.invalid", port=25, tls="none")).send(msg)


# --- queueing and tracking -------------------------------------------------------------------------


def test_queueing_is_idempotent_by_key(ctx) -> None:
    first = queue(ctx, key="invoice-mail:1:1", subject="A")
    again = queue(ctx, key="invoice-mail:1:1", subject="B")
    assert first == again
    with ctx.db.write() as session:
        a = mail.queue_email(session, ctx, key="k:2", invoice_id=None, recipient="x@y.example", subject="s", body="b")
        b = mail.queue_email(session, ctx, key="k:2", invoice_id=None, recipient="x@y.example", subject="s", body="b")
        assert a.id == b.id
    rows = mail.list_mail(ctx).rows
    assert [(r.key, r.subject, r.status, r.attempts) for r in rows] == [
        ("k:2", "s", "queued", 0), ("invoice-mail:1:1", "A", "queued", 0)]
    assert rows[1].next_attempt_at == FIXED_NOW and rows[1].created_at == FIXED_NOW


def test_a_mail_queued_for_later_waits_until_then(ctx, clock, smtp: SmtpServer) -> None:
    with ctx.db.write() as session:
        mail.queue_email(session, ctx, key="k:later", invoice_id=None, recipient="a@b.example", subject="s",
                         body="b", send_after=FIXED_NOW + timedelta(hours=1))
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult()
    clock.set(FIXED_NOW + timedelta(hours=1))
    assert mail.relay_outbox(ctx, mailer=smtp.mailer()) == mail.RelayResult(sent=1)


def test_two_transactions_queueing_one_key_at_once_make_one_row(ctx, db_url, backend) -> None:
    """PostgreSQL: the second insert waits on the first's unique key, then returns the first's row."""
    if backend != "postgresql":
        pytest.skip("SQLite writers never overlap: the second one finds the row before inserting")
    from sqlalchemy import text

    other = open_context(db_url, upgrade=False)
    second: dict[str, object] = {}
    pid_known = threading.Event()

    def queue_in_other_transaction() -> None:
        try:
            with other.db.write() as session:
                second["pid"] = session.connection().exec_driver_sql("select pg_backend_pid()").scalar()
                pid_known.set()
                row = mail.queue_email(session, other, key="k:same", invoice_id=None, recipient="b@b.example",
                                       subject="second", body="b")
                second["id"] = row.id
        except BaseException as exc:  # noqa: BLE001 - asserted below
            second["error"] = exc
            pid_known.set()

    thread = threading.Thread(target=queue_in_other_transaction)
    try:
        with ctx.db.write() as session:
            first = mail.queue_email(session, ctx, key="k:same", invoice_id=None, recipient="a@b.example",
                                     subject="first", body="a")
            thread.start()
            assert pid_known.wait(timeout=30)
            with ctx.db.read() as probe:  # wait until the other insert is blocked on our uncommitted key
                waiting = text("select wait_event_type from pg_stat_activity where pid = :pid")
                pause = threading.Event()  # never set: a short pause between two looks, 30 s at most
                for _ in range(3000):
                    if "error" in second or probe.execute(waiting, {"pid": second["pid"]}).scalar() == "Lock":
                        break
                    probe.rollback()
                    pause.wait(0.01)
        thread.join(timeout=30)
    finally:
        other.db.dispose()
    assert "error" not in second, second.get("error")
    assert second["id"] == first.id
    assert [(r.key, r.subject) for r in mail.list_mail(ctx).rows] == [("k:same", "first")]


def test_the_mail_list_is_newest_first_with_filters_and_pages(ctx, clock, smtp: SmtpServer) -> None:
    first = add_invoice(ctx, number="PS26001", counter=1)
    second = add_invoice(ctx, number="PS26002", counter=2)
    for n, invoice_id in enumerate((first, second, first)):
        clock.set(FIXED_NOW + timedelta(minutes=n))
        queue(ctx, key=f"invoice-mail:{invoice_id}:{n}", invoice_id=invoice_id)
    smtp.recorder.refuse.add("nobody@mail.example")
    queue(ctx, key="k:refused", to="nobody@mail.example")
    mail.relay_outbox(ctx, mailer=smtp.mailer())

    everything = mail.list_mail(ctx)
    assert [r.key for r in everything.rows] == [
        "k:refused", f"invoice-mail:{first}:2", f"invoice-mail:{second}:1", f"invoice-mail:{first}:0"]
    assert [r.invoice_number for r in everything.rows] == [None, "PS26001", "PS26002", "PS26001"]
    assert [r.key for r in mail.list_mail(ctx, invoice_id=first).rows] == [
        f"invoice-mail:{first}:2", f"invoice-mail:{first}:0"]
    assert [r.key for r in mail.list_mail(ctx, status="failed").rows] == ["k:refused"]
    page = mail.list_mail(ctx, offset=1, limit=2)
    assert [r.key for r in page.rows] == [f"invoice-mail:{first}:2", f"invoice-mail:{second}:1"] and page.has_more
    assert not mail.list_mail(ctx, offset=2, limit=2).has_more
    with pytest.raises(BillingError, match="Unknown mail status"):
        mail.list_mail(ctx, status="lost")
