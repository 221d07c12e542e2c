"""The one place the services get their Stripe gateway from: the configured key, or what a test or tool sets."""

from __future__ import annotations

from billing_tui.integrations.stripe_gateway import StripeGateway, stripe_gateway
from billing_tui.services.context import ServiceContext


def gateway_for(ctx: ServiceContext) -> StripeGateway | None:
    """The Stripe gateway (``BILLING_STRIPE_API_KEY``, ``BILLING_STRIPE_API_BASE``); None when Stripe is not configured.

    Cards, renewals and the demo all call this at the moment they need Stripe, so replacing it
    (``stripe_link.gateway_for = ...``) points every one of them at another server, e.g. localstripe.
    """
    from billing_tui.config import Settings

    return stripe_gateway(Settings())
