"""Saving documents to files the user can pick up (over SSH: scp them from the exports folder)."""

from __future__ import annotations

from pathlib import Path

from billing_tui.services.context import ServiceContext
from billing_tui.services.invoices import invoice_pdf


def exports_dir(ctx: ServiceContext) -> Path:
    """``exports/`` in the context's data directory (created on demand)."""
    path = ctx.data_dir / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_pdf(ctx: ServiceContext, number: str, target: Path | None = None) -> Path:
    """Write a document's PDF, byte for byte as issued, to ``target`` (default: the exports folder)."""
    name, content = invoice_pdf(ctx, number)
    path = target or exports_dir(ctx) / name.replace("/", "-")
    if path.is_dir():
        path = path / name.replace("/", "-")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)
    return path
