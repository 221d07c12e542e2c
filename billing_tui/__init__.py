"""billing-tui: keyboard-driven billing for small businesses in Italy and Romania."""

__version__ = "0.1.0"
