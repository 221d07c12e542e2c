"""Child process of bench/carts.py: start an app headless and say FIRST_FRAME / FIRST_PAGE as it shows up.

    python bench/_first_frame.py app DBURL        the billing-tui app, given the URL: it opens the database
                                                   itself after its first frame, as from the command line.
                                                   FIRST_FRAME when the carts screen is drawn (empty table,
                                                   "Loading carts…": on_first_frame), FIRST_PAGE when it
                                                   shows its first page of data (on_first_page)
    python bench/_first_frame.py app DBURL --ui   then also time a filter, a search and a sort through
                                                   the carts screen, and print them on a UI line
    python bench/_first_frame.py bare              a bare Textual app (Header, a 50-row DataTable, Footer);
                                                   FIRST_FRAME after its first refresh
    python bench/_first_frame.py floor DBURL       the bare app showing the first page from list_carts:
                                                   what the database layer adds before any screen code

The parent measures the wall time from spawning this process to reading each line, so the
figures include the interpreter start and every import. The lines also carry where the time
went, in ms since this script started. Textual captures ``print`` while an app runs, so lines
are written straight to file descriptor 1.
"""

from __future__ import annotations

import os
import sys
import time

STARTED = time.perf_counter()
SIZE = (120, 40)


def _ms() -> int:
    return round((time.perf_counter() - STARTED) * 1000)


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def run_app(url: str, ui: bool) -> int:
    """The real app on ``url``: exits once the carts screen has shown its first page (and, with ``ui``, more).

    The app gets the URL and opens the database itself, in a worker after its first frame, as
    it does when started from the command line.
    """
    import asyncio

    import billing_tui.app as app_module

    imported = _ms()
    stages: dict[str, int] = {}
    open_context = app_module.open_context

    def timed_open_context(*args, **kwargs):  # type: ignore[no-untyped-def]
        stages["db_imported"] = _ms()  # the worker imports the database stack (list_carts), then opens
        try:
            return open_context(*args, **kwargs)
        finally:
            stages["context"] = _ms()

    app_module.open_context = timed_open_context  # type: ignore[assignment]
    first_page = asyncio.Event()

    def on_first_frame() -> None:
        stages["first_frame"] = _ms()
        _say(f"FIRST_FRAME imports={imported} built={built} first_frame={stages['first_frame']}")

    def on_first_page() -> None:
        _say(f"FIRST_PAGE imports={imported} built={built} first_frame={stages.get('first_frame', -1)} "
             f"db_imported={stages.get('db_imported', -1)} context={stages.get('context', -1)} "
             f"first_page={_ms()}")
        if ui:
            first_page.set()
        else:
            app.exit()

    app = app_module.build_app(url, on_first_frame=on_first_frame, on_first_page=on_first_page)
    built = _ms()

    async def drive(_pilot) -> None:  # type: ignore[no-untyped-def]
        """After the first page: time changes on the carts screen until their page is painted."""
        await first_page.wait()
        import billing_tui.services.carts as carts_service  # the carts screen imports it in its worker

        painted = asyncio.Event()
        sql_ms: list[float] = []
        page_shown, list_carts = app.first_page_shown, carts_service.list_carts

        def on_page_shown() -> None:  # the carts screen calls this after showing any page
            page_shown()
            app.call_after_refresh(painted.set)

        def timed_list_carts(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return list_carts(*args, **kwargs)
            finally:
                sql_ms.append((time.perf_counter() - started) * 1000)

        app.first_page_shown = on_page_shown  # type: ignore[method-assign]
        carts_service.list_carts = timed_list_carts  # type: ignore[assignment]

        async def timed(change) -> str:  # type: ignore[no-untyped-def]
            painted.clear()
            sql_ms.clear()
            started = time.perf_counter()
            await change()
            try:
                await asyncio.wait_for(painted.wait(), 30)
            except TimeoutError:
                return "n/a"
            return f"{(time.perf_counter() - started) * 1000:.0f}/{sum(sql_ms):.0f}"

        def key(name: str):  # type: ignore[no-untyped-def]
            async def change() -> None:
                app.simulate_key(name)

            return change

        def set_search(text: str):  # type: ignore[no-untyped-def]
            async def change() -> None:  # one edit, as a paste would be
                app.screen.query_one("#carts-search").value = text  # type: ignore[attr-defined]

            return change

        figures = {
            "filter": await timed(key("f")),  # all -> confirmed
            "search": await timed(set_search("ross")),
            "sort": await timed(key("s")),  # newest first -> oldest first
            "clear_search": await timed(set_search("")),
            "next_page": await timed(key("n")),
        }
        _say("UI " + " ".join(f"{k}={v}" for k, v in figures.items()))
        app.exit()

    if ui:
        app.run(headless=True, size=SIZE, auto_pilot=drive)
    else:
        app.run(headless=True, size=SIZE)
    return 0 if app.return_code in (None, 0) else int(app.return_code)


def run_bare(url: str | None = None) -> int:
    """The yardstick: what any Textual app with a header, a table and a footer costs to start.

    With ``url`` (the "floor"), the table shows the first page of carts from ``list_carts``
    instead of made-up rows: the least any carts screen on this stack can cost.
    """
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    rows: list[tuple[str, ...]] = [
        (str(100_001 + i), f"2026-11-{1 + i % 28:02d}", f"Customer {i % 39}", f"{i * 7.5:.2f} EUR", "confirmed")
        for i in range(50)
    ]
    if url is not None:
        from billing_tui.services.carts import list_carts
        from billing_tui.services.context import open_context

        page = list_carts(open_context(url))
        rows = [(str(r.number), f"{r.created_at:%Y-%m-%d}", r.customer_name, f"{r.total} {r.currency}", r.status)
                for r in page.rows]
    imported = _ms()

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Number", "Date", "Customer", "Total", "Status")
            table.add_rows(rows)
            self.call_after_refresh(self._first_frame)

        def _first_frame(self) -> None:
            _say(f"FIRST_FRAME imports={imported} first_page={_ms()}")
            self.exit()

    BareApp().run(headless=True, size=SIZE)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["app"] and len(argv) in (2, 3) and argv[2:] in ([], ["--ui"]):
        return run_app(argv[1], ui=argv[2:] == ["--ui"])
    if argv == ["bare"]:
        return run_bare()
    if argv[:1] == ["floor"] and len(argv) == 2:
        return run_bare(argv[1])
    sys.stderr.write("usage: _first_frame.py app DBURL [--ui] | _first_frame.py bare | _first_frame.py floor DBURL\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
