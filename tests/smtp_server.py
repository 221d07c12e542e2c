"""A real SMTP server (aiosmtpd) on loopback for tests, started and stopped on demand."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from billing_tui.integrations.mailer import MailConfig, SmtpMailer

SENDER = "fatture@venditore.example"


def free_port() -> int:
    """A loopback port nothing listens on right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every envelope; it can refuse some recipients."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]  # type: ignore[arg-type]

    def recipients(self) -> list[str]:
        return sorted(r for e in self.envelopes for r in e.rcpt_tos)


class SmtpServer:
    """A real SMTP server on loopback, started and stopped on demand (synchronously)."""

    def __init__(self, port: int, *, login: tuple[str, str] | None = None) -> None:
        self.port = port
        self.recorder = Recorder()
        self.login = login
        self.controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = (isinstance(auth_data, LoginPassword) and self.login is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.login)
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        kwargs = {"authenticator": self._authenticate, "auth_require_tls": False} if self.login else {}
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self, **overrides: object) -> MailConfig:
        values: dict[str, object] = {"host": "127.0.0.1", "port": self.port, "tls": "none", "sender": SENDER,
                                     "timeout": 10}
        values.update(overrides)
        return MailConfig(**values)  # type: ignore[arg-type]

    def mailer(self, **overrides: object) -> SmtpMailer:
        return SmtpMailer(self.config(**overrides))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server that records what it receives."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """An SMTP server that is not running yet (nothing listens on its port until ``start()``)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()
