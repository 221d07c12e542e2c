"""The one place the services get their Stripe gateway from: the context's Stripe factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing_tui.services.context import ServiceContext

if TYPE_CHECKING:
    from billing_tui.integrations.stripe_gateway import StripeGateway


def gateway_for(ctx: ServiceContext) -> StripeGateway | None:
    """The Stripe gateway of ``ctx``; None when Stripe is not connected (no ``BILLING_STRIPE_API_KEY``).

    Cards, renewals and the demo all call this at the moment they need Stripe, so a context built
    with another factory (``dataclasses.replace(ctx, stripe=...)``) points every one of them at
    another server, e.g. localstripe. A key of the wrong kind is refused here with a StripeError.
    """
    return ctx.stripe(ctx)
