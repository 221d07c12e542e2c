"""``python -m billing_tui.cli``: the same as the ``billing-tui`` command."""

import sys

from billing_tui.cli import main

sys.exit(main())
