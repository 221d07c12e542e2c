"""The key footer of the billing screens: Textual's Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class _Keys(NamedTuple):
    """What the footer shows, from the screen's active bindings."""

    palette: tuple[bool, bool]  # show_command_palette, the app's ENABLE_COMMAND_PALETTE
    bindings: tuple[tuple[str, Binding, str, str], ...]  # key, binding, tooltip, key label
    enabled: tuple[bool, ...]  # per binding


class Footer(TextualFooter):
    """Textual's Footer, which rebuilds every key (and restyles it) on each change of the screen's bindings.

    Most of those changes show the same keys: a screen that starts publishes three before its
    first frame (a focus, the screen resuming, the refresh after the focus), and a list that
    shows a new page publishes one. With a dozen keys each rebuild costs tens of milliseconds.
    This footer schedules one update for the changes that arrive while one is pending; the
    update does nothing when the footer already shows those keys, only dims or undims the keys
    whose enabled state changed when that is all, and otherwise rebuilds as Textual's does.
    (Written against Textual 8.2.8's Footer and FooterKey; the version is pinned.)
    """

    _update_pending = False
    _shown: _Keys | None = None

    def _keys(self) -> _Keys | None:
        if not self._bindings_ready:
            return None  # compose shows nothing yet
        app = self.app
        active = self.screen.active_bindings.items()
        return _Keys(
            (self.show_command_palette, app.ENABLE_COMMAND_PALETTE),
            tuple((key, binding, tooltip, app.get_key_display(binding)) for key, (_, binding, _, tooltip) in active),
            tuple(enabled for _, (_, _, enabled, _) in active),
        )

    def compose(self) -> ComposeResult:
        self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        # Textual's Footer.bindings_changed, with at most one update pending.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._update_pending:
            self._update_pending = True
            self.call_after_refresh(self._update_keys)

    async def _update_keys(self) -> None:
        self._update_pending = False
        if not self.is_attached or not self.screen.is_attached:
            return  # the screen closed while the update waited
        keys, shown = self._keys(), self._shown
        if keys == shown:
            return
        if keys is None or shown is None or keys.palette != shown.palette or keys.bindings != shown.bindings:
            await self.recompose()
            return
        # Only enabled states changed: dim or undim those keys, as a rebuild would show them.
        changed = {(binding.key, binding.action): enabled
                   for (_, binding, _, _), enabled, was in zip(keys.bindings, keys.enabled, shown.enabled, strict=True)
                   if enabled != was}
        for footer_key in self.query(FooterKey):
            enabled = changed.get((footer_key.key, footer_key.action))
            if enabled is not None:
                footer_key._disabled = not enabled
                footer_key.set_class(not enabled, "-disabled")
        self._shown = keys
