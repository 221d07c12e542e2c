#!/usr/bin/env bash
# Install billing-tui into .venv, fill the demo database if it is empty, and open the app on it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/billing-tui --demo "$@"
