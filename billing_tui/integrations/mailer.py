"""Sending email: building a message with its PDF, and delivering it by SMTP or as .eml files in a folder."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from billing_tui.domain.errors import BillingError

TlsMode = Literal["none", "starttls", "ssl"]


class MailError(BillingError):
    """A message could not be delivered; the message says why in a few words (never a traceback)."""


class MailConfig(BaseModel):
    """How to reach the SMTP server; the password is a ``SecretStr`` so it never shows in a repr or a log."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(min_length=1, description="Host name or address of the SMTP server.")
    port: int = Field(default=587, ge=1, le=65535, description="TCP port: 587 for STARTTLS, 465 for SSL, 25 plain.")
    tls: TlsMode = Field(default="starttls", description="Transport security: none, starttls or ssl.")
    user: str = Field(default="", description="Login user; no login when empty.")
    password: SecretStr = Field(default=SecretStr(""), description="Login password (never printed).")
    sender: str = Field(default="billing@localhost", description="Envelope and From address.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the server before giving up.")


class Mailer(Protocol):
    """Something that delivers a built message and returns its Message-ID."""

    def send(self, msg: EmailMessage) -> str: ...


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    body: str,
    attachment_name: str | None = None,
    attachment: bytes | None = None,
    message_id_domain: str,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A plain-text message, with the PDF attached as ``application/pdf`` when ``attachment`` is given.

    ``message_id`` keeps the same Message-ID across retries of one outbox row (so a mail
    delivered twice after a crash is recognisable as one); a new one is made otherwise.
    ``date`` comes from the caller's clock; the wall clock when omitted.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=message_id_domain)
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(
            attachment, maintype="application", subtype="pdf", filename=attachment_name or "document.pdf"
        )
    return msg


def _message_id(msg: EmailMessage) -> str:
    mid = msg["Message-ID"]
    if not mid:
        domain = str(msg["From"] or "").rpartition("@")[2].strip(" >") or "localhost"
        mid = make_msgid(domain=domain)
        msg["Message-ID"] = mid
    return str(mid)


class SmtpMailer:
    """Delivers messages to an SMTP server (STARTTLS, SSL or plain; login when a user is set)."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"SmtpMailer({self.config!r})"

    @property
    def where(self) -> str:
        """``host:port`` of the server, for messages."""
        return f"{self.config.host}:{self.config.port}"

    def send(self, msg: EmailMessage) -> str:
        """Deliver ``msg``; its Message-ID, or ``MailError`` with a short reason."""
        import smtplib
        import socket
        import ssl

        cfg = self.config
        mid = _message_id(msg)
        where = self.where
        try:
            context = ssl.create_default_context() if cfg.tls != "none" else None
            smtp: smtplib.SMTP
            if cfg.tls == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with smtp:
                if cfg.tls == "starttls":
                    try:
                        smtp.starttls(context=context)
                    except smtplib.SMTPNotSupportedError:
                        raise MailError(
                            f"The SMTP server {where} does not offer STARTTLS: set the SMTP security to "
                            "ssl or none, or use the server's submission port"
                        ) from None
                if cfg.user:
                    try:
                        smtp.login(cfg.user, cfg.password.get_secret_value())
                    except smtplib.SMTPNotSupportedError:
                        raise MailError(
                            f"The SMTP server {where} does not accept a login: clear the SMTP user, "
                            "or turn on STARTTLS/SSL"
                        ) from None
                refused = smtp.send_message(msg, from_addr=cfg.sender or None)
            if refused:
                raise MailError(_refused_text(refused))
        except MailError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"SMTP login failed for user {cfg.user!r} on {where}: check the SMTP user and password "
                f"({_server_said(exc.smtp_code, exc.smtp_error)})"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(_refused_text(exc.recipients)) from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(
                f"The SMTP server refused the sender {exc.sender!r}: set a sender address the server accepts "
                f"({_server_said(exc.smtp_code, exc.smtp_error)})"
            ) from None
        except smtplib.SMTPDataError as exc:
            said = _server_said(exc.smtp_code, exc.smtp_error)
            raise MailError(f"The SMTP server {where} refused the message ({said})") from None
        except smtplib.SMTPServerDisconnected:
            raise MailError(f"The SMTP server {where} closed the connection unexpectedly") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"The SMTP server {where} answered {_server_said(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPException as exc:
            raise MailError(f"SMTP error with {where}: {exc}") from None
        except ConnectionRefusedError:
            raise MailError(
                f"Connection refused by {where}: is the SMTP server running, and are host and port right?"
            ) from None
        except ssl.SSLError as exc:
            raise MailError(
                f"TLS with {where} failed ({exc.reason or exc}): check the SMTP security setting and port"
            ) from None
        except socket.gaierror:
            raise MailError(f"Unknown SMTP host {cfg.host!r}: check the host name") from None
        except TimeoutError:
            raise MailError(f"No answer from {where} within {cfg.timeout:g} s") from None
        except OSError as exc:
            raise MailError(f"Cannot reach the SMTP server {where}: {exc.strerror or exc}") from None
        return mid


def _server_said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()


def _refused_text(refused: dict[str, tuple[int, bytes]]) -> str:
    parts = [f"{addr} ({_server_said(code, text)})" for addr, (code, text) in refused.items()]
    return "Recipient refused by the SMTP server: " + ", ".join(parts)


_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


class EmlFolderMailer:
    """Writes each message as ``<timestamp>-<message-id>.eml`` in a folder (used when no SMTP is configured)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"EmlFolderMailer({str(self.folder)!r})"

    def send(self, msg: EmailMessage) -> str:
        """Write ``msg`` atomically (a temporary file, then a rename); its Message-ID."""
        mid = _message_id(msg)
        try:
            when = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else datetime.now(UTC)
        except (TypeError, ValueError):
            when = datetime.now(UTC)
        stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        slug = _SLUG.sub("-", mid.strip().strip("<>")).strip("-")[:150] or "message"
        target = self.folder / f"{stamp}-{slug}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(msg.as_bytes())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailError(f"Cannot write the mail to {self.folder}: {exc.strerror or exc}") from None
        return mid
