"""A real fake Stripe server (localstripe) on loopback for tests: one per session, emptied before each test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from billing_tui.integrations.stripe_gateway import CardInfo, StripeGateway
from tests.smtp_server import free_port

TEST_KEY = "sk_test_billing_tui_localstripe"
"""Any ``sk_...`` key is accepted by localstripe; this one is also a *test* key for ``is_test_key``."""

VISA = "4242424242424242"
"""Attaches and charges."""
DECLINES_ON_CHARGE = "4000000000000341"
"""Attaches, then every charge is declined (``card_declined``)."""
DECLINES_ON_ATTACH = "4000000000000002"
"""Refused when attached to a customer."""

# localstripe's own command line listens on every interface and reloads/saves its whole store in
# /tmp/localstripe.pickle (shared by every copy on the machine). This launcher serves the same app
# on 127.0.0.1 only, from an empty store that lives in memory.
_LAUNCHER = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


class LocalStripe:
    """A localstripe process on a free loopback port, started and stopped by the test session."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "localstripe.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LocalStripe:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
                [sys.executable, "-c", _LAUNCHER, str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited ({self.process.returncode}): {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"localstripe did not listen on {self.url} within {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def reset(self) -> None:
        """Forget every customer, card and payment (localstripe's ``DELETE /_config/data``)."""
        request = urllib.request.Request(self.url + "/_config/data", method="DELETE")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as answer:
            answer.read()


@dataclass(frozen=True)
class StripeTestServer:
    """What a test gets: the server's base URL, a test key and helpers to make gateways and cards."""

    url: str
    api_key: str
    server: LocalStripe

    def gateway(self, api_key: str | None = None) -> StripeGateway:
        """A gateway talking to this server (with the test key unless another is given)."""
        return StripeGateway(api_key or self.api_key, api_base=self.url)

    def reset(self) -> None:
        """Empty the server (done before every test already)."""
        self.server.reset()

    def customer_with_card(self, number: str = VISA, *, email: str = "cliente@example.com",
                           default: bool = True) -> tuple[str, CardInfo]:
        """A new Stripe customer with one test card attached (the default one unless ``default=False``)."""
        gateway = self.gateway()
        customer_id = gateway.create_customer(email=email, name="Cliente di prova", metadata={"source": "test"})
        card = gateway.attach_card(customer_id, gateway.create_test_card(number, 12, 2034))
        if default:
            gateway.set_default_card(customer_id, card.id)
            card = next(c for c in gateway.list_cards(customer_id) if c.id == card.id)
        return customer_id, card


@pytest.fixture(scope="session")
def _localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """One localstripe process for the whole test session."""
    server = LocalStripe(tmp_path_factory.mktemp("localstripe")).start()
    yield server
    server.stop()


@pytest.fixture
def stripe_server(_localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch) -> StripeTestServer:
    """A running, empty fake Stripe server: its base URL, a test key and helpers."""
    for name in ("NO_PROXY", "no_proxy"):  # a developer's HTTP proxy must not sit between us and loopback
        monkeypatch.setenv(name, ",".join(filter(None, [os.environ.get(name, ""), "127.0.0.1", "localhost"])))
    _localstripe.reset()
    return StripeTestServer(url=_localstripe.url, api_key=TEST_KEY, server=_localstripe)
