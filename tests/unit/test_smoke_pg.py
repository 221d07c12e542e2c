"""The demo fills and reads back on every backend."""

from billing_tui.services import carts


def test_demo_lists_carts(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    page = carts.list_carts(demo_ctx, carts.CartQuery(limit=10))
    assert len(page.rows) == 10 and page.has_more
    assert page.rows[0].created_at >= page.rows[-1].created_at
